/**
 * helm's versions as the settings and the tools both read them: the one
 * installed by default, the oldest that can push to an OCI registry, and how
 * to read and compare a version.
 */

/** The helm installed when none is on PATH: the action.yml default, tested in CI. */
export const DEFAULT_HELM_VERSION = 'v3.17.3'

export interface HelmVersion {
  major: number
  minor: number
  patch: number
  /** As helm prints it: `v3.17.3`. */
  text: string
}

/** `helm push` and OCI support left "experimental" in v3.8.0. */
export const MINIMUM_HELM: HelmVersion = { major: 3, minor: 8, patch: 0, text: 'v3.8.0' }

/** `v3.17.3`, `3.17.3`, `v4.1.4-rc.1` → a version; undefined when it is none of those. */
export function parseHelmVersion(text: string): HelmVersion | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/.exec(text.trim())
  if (!match) return undefined
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number)
  return { major, minor, patch, text: `v${major}.${minor}.${patch}${match[4] ?? ''}` }
}

/** Whether `version` is `since` or newer (pre-releases count as their release). */
export function atLeast(version: HelmVersion, since: HelmVersion): boolean {
  if (version.major !== since.major) return version.major > since.major
  if (version.minor !== since.minor) return version.minor > since.minor
  return version.patch >= since.patch
}
