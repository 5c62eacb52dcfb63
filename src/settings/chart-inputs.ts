/**
 * The chart inputs: `charts`, `chart-version`, `chart-app-version`,
 * `helm-version`, `helm-download-url`. Pure checks of the values; finding the
 * charts on disk is src/charts' job.
 */
import { InputError } from '../errors.js'
import { redactUserinfo } from '../redact.js'
import {
  DEFAULT_HELM_VERSION,
  MINIMUM_HELM,
  atLeast,
  parseHelmVersion
} from '../tools/helm-version.js'
import type { Settings } from './settings.js'

/** SemVer 2.0.0, as semver.org gives it: what Helm requires of a chart version. */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

export const DEFAULT_HELM_DOWNLOAD_URL = 'https://get.helm.sh'

export type ChartInputs = Pick<
  Settings,
  'charts' | 'chartVersion' | 'chartAppVersion' | 'helmVersion' | 'helmDownloadUrl'
>

/** Why `version` is no SemVer 2 chart version, or undefined when it is one. */
export function chartVersionProblem(version: string): string | undefined {
  if (SEMVER.test(version)) {
    // helm stores "+" as "_" in the OCI tag, which is limited to 128 characters.
    return version.length > 128
      ? `it is ${version.length} characters long (at most 128)`
      : undefined
  }
  if (/^v\d/.test(version) && SEMVER.test(version.slice(1))) return 'drop the leading "v"'
  return 'it is not SemVer 2 (MAJOR.MINOR.PATCH[-prerelease][+build], e.g. 1.4.0 or 1.4.0-rc.1)'
}

/**
 * Parses the chart inputs; `list` splits `charts` the way every list input
 * is split.
 */
export function parseChartInputs(
  input: (name: string) => string,
  list: (value: string) => string[]
): ChartInputs {
  const chartVersion = input('chart-version')
  if (chartVersion) {
    const problem = chartVersionProblem(chartVersion)
    if (problem) throw new InputError(`chart-version "${chartVersion}" is not valid: ${problem}`)
  }
  const chartAppVersion = input('chart-app-version')
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(chartAppVersion)) {
    throw new InputError(
      `chart-app-version "${chartAppVersion}" holds a line break or control character; give one line, e.g. "6.0.0"`
    )
  }
  return {
    charts: [...new Set(list(input('charts')))],
    chartVersion,
    chartAppVersion,
    helmVersion: parseHelmVersionInput(input('helm-version')),
    helmDownloadUrl: parseDownloadUrl(input('helm-download-url'))
  }
}

function parseHelmVersionInput(value: string): string {
  if (!value) return DEFAULT_HELM_VERSION
  const version = parseHelmVersion(value)
  if (!version) {
    throw new InputError(
      `helm-version "${value}" is not a helm release version; give one such as "${DEFAULT_HELM_VERSION}"`
    )
  }
  if (!atLeast(version, MINIMUM_HELM)) {
    throw new InputError(
      `helm-version "${value}" is too old: pushing charts to OCI registries needs helm ${MINIMUM_HELM.text} or newer`
    )
  }
  return version.text
}

function parseDownloadUrl(value: string): string {
  if (!value) return DEFAULT_HELM_DOWNLOAD_URL
  let url: URL
  try {
    url = new URL(value)
  } catch {
    url = new URL('invalid:')
  }
  if (!['https:', 'http:'].includes(url.protocol) || !url.host) {
    throw new InputError(
      `helm-download-url "${redactUserinfo(value)}" is not an http(s) URL; give the base of helm releases, e.g. ${DEFAULT_HELM_DOWNLOAD_URL}`
    )
  }
  if (url.search || url.hash) {
    throw new InputError(
      `helm-download-url "${redactUserinfo(value)}" has a query or fragment; give the base URL only (the archive name is appended)`
    )
  }
  return value.replace(/\/+$/, '')
}
