import * as core from '@actions/core'
import type { Report } from '../push/results.js'

/** Sets the `images`, `charts` and `refs` outputs of action.yml. */
export function setOutputs(report: Report): void {
  core.setOutput(
    'images',
    JSON.stringify(
      report.images.map(({ source, destination, digest, status }) => ({
        source,
        destination,
        digest,
        status
      }))
    )
  )
  core.setOutput(
    'charts',
    JSON.stringify(
      report.charts.map(({ chart, version, reference, digest, status }) => ({
        chart,
        version,
        reference,
        digest,
        status
      }))
    )
  )
  core.setOutput('refs', refsOf(report).join('\n'))
}

/**
 * `<destination>@<digest>` (tag and digest: a valid reference) of everything
 * now in the registry, for signing or attestation steps. Charts are named
 * without `oci://`, as signing tools expect.
 */
export function refsOf(report: Report): string[] {
  return [
    ...report.images.map(image => ({ ref: image.destination, ...image })),
    ...report.charts.map(chart => ({ ref: chart.reference.replace(/^oci:\/\//, ''), ...chart }))
  ]
    .filter(result => result.digest && result.status !== 'failed')
    .map(result => `${result.ref}@${result.digest}`)
}
