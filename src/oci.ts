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

/** The characters a part of a platform's name keeps. */
const PLATFORM_PART_CHARS = 64

/**
 * `os/architecture[/variant]` of an OCI index entry's `platform`. The index
 * may come from anyone, and the name goes into outputs, logs and the job
 * summary: strings only, each part clipped (real ones are a few letters).
 */
export function platformName(platform?: Platform): string {
  return [platform?.os, platform?.architecture, platform?.variant]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .map(part =>
      part.length > PLATFORM_PART_CHARS ? `${part.slice(0, PLATFORM_PART_CHARS - 1)}…` : part
    )
    .join('/')
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
