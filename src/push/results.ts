/** What became of each thing the step was asked to push. */

export type Status = 'pushed' | 'unchanged' | 'skipped' | 'failed'

/** One destination reference of an image: the `images` output's objects. */
export interface ImageResult {
  source: string
  destination: string
  /** Manifest digest in the registry; '' when the push failed. */
  digest: string
  status: Status
  /** Why it failed (or was skipped), in words a user can act on. */
  error?: string
  /** What a person should know about a push that landed (a pull policy kept it from being read back). */
  note?: string
  /** A multi-platform image: the platforms its index holds (`os/architecture`). */
  platforms?: string[]
  /** Wall time of the push, in seconds. */
  seconds: number
}

/** One chart: the `charts` output's objects. */
export interface ChartResult {
  /** Chart name (from Chart.yaml). */
  chart: string
  version: string
  /** `oci://<registry>/<name>:<version>` */
  reference: string
  digest: string
  status: Status
  error?: string
  note?: string
  seconds: number
}

/** Everything a run did. */
export interface Report {
  images: ImageResult[]
  charts: ChartResult[]
}

/** `N pushed, N unchanged, N skipped, N failed`, images and charts together. */
export function countLine(results: readonly { status: Status }[]): string {
  const count = (status: Status): number =>
    results.filter(result => result.status === status).length
  return `${count('pushed')} pushed, ${count('unchanged')} unchanged, ${count('skipped')} skipped, ${count('failed')} failed`
}

/** Every failure of the report, one line each; '' when nothing failed. */
export function failureList(report: Report): string {
  const failed = [
    ...report.images.map(image => ({ what: image.destination, ...image })),
    ...report.charts.map(chart => ({ what: chart.reference, ...chart }))
  ].filter(result => result.status === 'failed')
  const total = report.images.length + report.charts.length
  if (failed.length === 0) return ''
  return (
    `${failed.length} of ${total} pushes failed:\n` +
    failed.map(result => `- ${result.what}: ${result.error ?? ''}`).join('\n')
  )
}

/** One object of the `images` output. */
export type ImageOutput = Pick<
  ImageResult,
  'source' | 'destination' | 'digest' | 'status' | 'platforms'
>
/** One object of the `charts` output. */
export type ChartOutput = Pick<ChartResult, 'chart' | 'version' | 'reference' | 'digest' | 'status'>

/**
 * The report as every front end publishes it: the action's `images`,
 * `charts` and `refs` outputs and the command's `--json` are made here, so
 * they cannot differ.
 */
export function outputsOf(report: Report): {
  images: ImageOutput[]
  charts: ChartOutput[]
  refs: string[]
} {
  return {
    images: report.images.map(({ source, destination, digest, status, platforms }) => ({
      source,
      destination,
      digest,
      status,
      ...(platforms ? { platforms } : {})
    })),
    charts: report.charts.map(({ chart, version, reference, digest, status }) => ({
      chart,
      version,
      reference,
      digest,
      status
    })),
    refs: refsOf(report)
  }
}

/**
 * `<destination>@<digest>` (tag and digest: a valid reference) of everything
 * now in the registry, for signing or attestation steps. Charts are named
 * without `oci://`, as signing tools expect.
 */
export function refsOf(report: Report): string[] {
  return (
    [
      ...report.images.map(image => ({ ref: image.destination, ...image })),
      ...report.charts.map(chart => ({ ref: chart.reference.replace(/^oci:\/\//, ''), ...chart }))
    ]
      // Skipped tags hold someone else's content: nothing to sign as this step's work.
      .filter(
        result => result.digest && (result.status === 'pushed' || result.status === 'unchanged')
      )
      .map(result => `${result.ref}@${result.digest}`)
  )
}
