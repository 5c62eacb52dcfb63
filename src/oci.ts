/**
 * Words of the OCI image and distribution specs that the tools, the
 * registry client and the content sources all use.
 */

/** A platform as an OCI index entry gives it. */
export interface Platform {
  os?: string
  architecture?: string
  variant?: string
}

/** `os/architecture[/variant]` of an OCI index entry's `platform`. */
export function platformName(platform?: Platform): string {
  return [platform?.os, platform?.architecture, platform?.variant].filter(Boolean).join('/')
}

/**
 * Manifests larger than this are refused unread: the distribution spec asks
 * registries to take at least 4 MiB, and distribution refuses more.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

/** A digest the project reads and writes: sha256, the only algorithm the sources and the copier check. */
export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/

/**
 * Manifests an index (with the indexes it lists) may name: real ones list a
 * few dozen, platforms and their attestations.
 */
export const MAX_MANIFESTS = 1000
