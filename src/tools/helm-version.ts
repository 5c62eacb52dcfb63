/**
 * Which helm can do what. Registry flags came to helm over several releases,
 * and passing a flag that a helm lacks fails with a bare "unknown flag"; so
 * the flags are chosen from the version, and a helm too old for what the
 * settings ask for is refused up front with the version it needs.
 */
import { InputError } from '../errors.js'
import type { Scheme } from '../registry/probe.js'
import type { TlsOptions } from './container-tool.js'

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

/**
 * The first release of each flag this project passes. The tested versions'
 * `--help` confirm the two ends: v3.17.3 has every flag but `registry login
 * --plain-http`; v4.1.4 has all of them.
 */
export const FLAG_SINCE = {
  /** `helm registry login --insecure` (present since logins came to helm 3). */
  loginInsecure: MINIMUM_HELM,
  /** `helm push --ca-file / --insecure-skip-tls-verify` (helm/helm#11599). */
  pushTls: { major: 3, minor: 11, patch: 0, text: 'v3.11.0' },
  /** `helm registry login --ca-file` (helm/helm#11623). */
  loginCaFile: { major: 3, minor: 12, patch: 0, text: 'v3.12.0' },
  /** `helm push --plain-http` (helm/helm#12128). */
  pushPlainHttp: { major: 3, minor: 13, patch: 0, text: 'v3.13.0' },
  /**
   * `helm registry login --plain-http`. Before it, login tried HTTPS and fell
   * back to plain HTTP by itself (through a proxy, with --insecure only);
   * helm 4 no longer falls back.
   */
  loginPlainHttp: { major: 3, minor: 18, patch: 0, text: 'v3.18.0' }
} satisfies Record<string, HelmVersion>

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

/** Flags for the registry, per command. */
export interface RegistryFlags {
  login: string[]
  push: string[]
}

/**
 * The TLS and plain-HTTP flags `helm registry login` and `helm push` need for
 * the registry `host`, reached over `scheme`. Throws an InputError when the
 * settings cannot work with that registry, or naming the helm version needed
 * when this one lacks a flag the settings require.
 */
export function registryFlags(
  version: HelmVersion,
  host: string,
  scheme: Scheme,
  tls: TlsOptions,
  willLogin: boolean
): RegistryFlags {
  const need = (since: HelmVersion, what: string): void => {
    if (!atLeast(version, since)) {
      throw new InputError(
        `helm ${version.text} cannot ${what}: that needs helm ${since.text} or newer; put a newer helm on PATH, or remove helm from PATH so that helm-version is installed`
      )
    }
  }
  if (scheme === 'http') {
    if (tls.tlsVerify) {
      throw new InputError(
        `the registry "${host}" speaks plain HTTP: set tls-verify: false (and no ca-file) to push to it without TLS`
      )
    }
    need(FLAG_SINCE.pushPlainHttp, 'push to a plain-HTTP registry (helm push --plain-http)')
    // Older logins try HTTPS and fall back to plain HTTP: on their own for a
    // direct connection, but through a proxy only with --insecure (seen with
    // v3.17.3 behind squid). tls-verify is false here, so --insecure asks no more.
    const login = atLeast(version, FLAG_SINCE.loginPlainHttp) ? ['--plain-http'] : ['--insecure']
    return { login, push: ['--plain-http'] }
  }
  if (version.major < 4 && isLoopback(host)) {
    // helm 3 resolves registries with containerd's rules, which send plain
    // HTTP to every loopback host whatever the TLS flags say (seen with
    // v3.17.3); the push then fails with a bare "400 Bad Request".
    throw new InputError(
      `helm ${version.text} cannot push to the TLS registry "${host}": helm 3 always talks plain HTTP to loopback hosts; use helm 4 (put it on PATH, or take helm off PATH and set helm-version, e.g. v4.1.4)`
    )
  }
  if (!tls.tlsVerify) {
    need(FLAG_SINCE.pushTls, 'skip TLS verification (helm push --insecure-skip-tls-verify)')
    return { login: ['--insecure'], push: ['--insecure-skip-tls-verify'] }
  }
  if (tls.caFile) {
    need(FLAG_SINCE.pushTls, 'trust ca-file (helm push --ca-file)')
    if (willLogin) need(FLAG_SINCE.loginCaFile, 'trust ca-file (helm registry login --ca-file)')
    return { login: ['--ca-file', tls.caFile], push: ['--ca-file', tls.caFile] }
  }
  return { login: [], push: [] }
}

/** localhost, 127.0.0.0/8 or ::1, with or without a port. */
export function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]
  return name === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '::1'
}
