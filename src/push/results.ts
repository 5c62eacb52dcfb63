/** What became of each thing the step was asked to push. */

import os from 'node:os'

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
 * `charts`, `refs` and `subject-checksums` outputs and the command's
 * `--json` are made here, so they cannot differ.
 */
export function outputsOf(report: Report): {
  images: ImageOutput[]
  charts: ChartOutput[]
  refs: string[]
  subjectChecksums: string[]
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
    refs: refsOf(report),
    subjectChecksums: subjectChecksumsOf(report)
  }
}

/**
 * `<destination>@<digest>` (tag and digest: a valid reference) of everything
 * now in the registry, for signing or attestation steps. Charts are named
 * without `oci://`, as signing tools expect.
 */
export function refsOf(report: Report): string[] {
  return nowInRegistry(report).map(result => `${result.ref}@${result.digest}`)
}

/**
 * The `subject-checksums` lines: `<hex>  <registry>/<repository>`, one per
 * repository and digest of everything now in the registry (several tags of
 * one image are one subject). The format is what actions/attest (behind
 * actions/attest-build-provenance) parses in src/subject.ts: the digest up
 * to the first space, then one optional ' ' or '*' flag, then the name;
 * 64 hex digits are sha256. With push-to-registry the name is an image name
 * without tag or digest (`@sigstore/oci` attaches the attestation to
 * `<name>@sha256:<hex>`). That parser also drops repeated name+digest pairs;
 * doing it here keeps the file what `sha256sum` would write.
 */
export function subjectChecksumsOf(report: Report): string[] {
  const lines = nowInRegistry(report).map(
    result => `${result.digest.slice(result.digest.indexOf(':') + 1)}  ${withoutTag(result.ref)}`
  )
  return [...new Set(lines)]
}

/**
 * The `subject-checksums` file's text: each line ending in os.EOL, the
 * separator actions/attest splits the file on (and what `sha256sum -c`
 * reads on Linux).
 */
export function subjectChecksumsText(lines: readonly string[]): string {
  return lines.map(line => `${line}${os.EOL}`).join('')
}

/** What this step pushed or found already there, named without `oci://`. */
function nowInRegistry(report: Report): { ref: string; digest: string }[] {
  return (
    [
      ...report.images.map(image => ({ ref: image.destination, ...image })),
      ...report.charts.map(chart => ({ ref: chart.reference.replace(/^oci:\/\//, ''), ...chart }))
    ]
      // Skipped tags hold someone else's content: nothing to sign as this step's work.
      .filter(
        result => result.digest && (result.status === 'pushed' || result.status === 'unchanged')
      )
      .map(({ ref, digest }) => ({ ref, digest }))
  )
}

/**
 * `host[:port]/repository` of `host[:port]/repository:tag`. The report keeps
 * destinations as strings (the string form of a typed `Destination`: a host,
 * a repository and a tag); a tag never holds '/' and a port always
 * comes before one, so the tag is what follows the last ':' after the last '/'.
 */
function withoutTag(reference: string): string {
  return reference.replace(/:[^/:]*$/, '')
}
