import * as core from '@actions/core'
import { type Report, outputsOf } from '../push/results.js'

export { refsOf } from '../push/results.js'

/** Sets the `images`, `charts` and `refs` outputs of action.yml. */
export function setOutputs(report: Report): void {
  const { images, charts, refs } = outputsOf(report)
  core.setOutput('images', JSON.stringify(images))
  core.setOutput('charts', JSON.stringify(charts))
  core.setOutput('refs', refs.join('\n'))
}
