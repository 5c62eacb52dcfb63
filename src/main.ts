import * as core from '@actions/core'
import { InputError, messageOf } from './errors.js'
import type { Log } from './log.js'
import { harborPush } from './push/harbor-push.js'
import { countLine, failureList } from './push/results.js'
import { getSettings } from './runner/inputs.js'
import { setOutputs } from './runner/outputs.js'
import { markMainStarted, savePlacedCaFile, savePrivateDir } from './runner/state.js'
import { writeSummary } from './runner/summary.js'

/** The runner's log, with groups. */
export const actionLog: Log = {
  info: message => core.info(message),
  warning: message => core.warning(message),
  group: (title, lines) => {
    core.startGroup(title)
    for (const line of lines) core.info(line)
    core.endGroup()
  }
}

/** The main step; the one error boundary of the action. */
export async function run(): Promise<void> {
  markMainStarted()
  try {
    const settings = getSettings()
    // State is saved before each thing it names exists, so the post step can
    // clean up after a main step that was killed.
    const report = await harborPush(settings, actionLog, {
      onPrivateDir: savePrivateDir,
      onCaFilePlaced: savePlacedCaFile
    })
    setOutputs(report)
    if (settings.summary) await writeSummary(settings.registry.prefix, report)
    core.info(countLine([...report.images, ...report.charts]))
    const failures = failureList(report)
    if (failures) core.setFailed(failures)
  } catch (error) {
    const prefix = error instanceof InputError ? 'Invalid input: ' : ''
    core.setFailed(`${prefix}${messageOf(error)}`)
  }
}
