/**
 * What a destination tag holds, compared with what a push would put there:
 * read before the push (the decision) and after a tool failed (did it land
 * anyway?).
 */
import type { ManifestInfo, Refused, RegistryClient } from '../registry/client.js'
import { RegistryError } from '../registry/errors.js'

/** What a destination tag holds now, compared with what would be pushed. */
export type TagState =
  | { kind: 'absent' }
  /** `platforms`: when the tag holds an index, its platforms, as the registry lists them. */
  | { kind: 'same'; digest: string; platforms?: string[] }
  | { kind: 'different'; digest: string }
  /** The registry could not be asked (no credentials for an auth-only registry). */
  | { kind: 'unknown' }
  /** The tag exists, but a pull policy of the project keeps its content from being read. */
  | { kind: 'unreadable'; policy: string }

/** What should be in a tag for it to count as "the same" as what would be pushed. */
export interface Expected {
  /** An image's local ID (its config digest)... */
  configDigest?: string
  /** ...or a chart's `.tgz` digest (its one layer)... */
  layerDigest?: string
  /** ...or, for a multi-platform image, every platform's image ID (config digest)... */
  platformIds?: string[]
  /** ...or the manifest digest itself, for a source whose manifest is pushed byte for byte (OCI archives, layouts). */
  manifestDigest?: string
  /** `host/repository@digest` of manifests known to hold this image (the engine's records): such a tag needs no manifest read. */
  recorded?: readonly string[]
}

/** A tag's manifest now (an index with its platforms' config digests); undefined when absent, 'unknown' when the registry cannot be asked. */
export type HeldTag =
  | (ManifestInfo & { platformConfigs?: string[] })
  /** A manifest the engine recorded for the image to push: the same image, known without reading it. */
  | { digest: string; recorded: true }
  | Refused
  | undefined
  | 'unknown'

/** A destination tag, split the way the registry API addresses it. */
export interface TagTarget {
  /** `host[:port]`, as the destination names it. */
  host: string
  repository: string
  tag: string
}

/**
 * What a tag holds now. The manifest is read (GET) where its content must be
 * compared; a HEAD goes first only where it can spare that read or a GET
 * costs more than a HEAD:
 * - a digest the engine recorded for the image in this repository
 *   (`recorded`, awaited before asking) is the same image, known from the
 *   HEAD alone;
 * - Docker Hub counts manifest GETs against the account's pull rate limit,
 *   HEADs not (docs.docker.com/docker-hub/usage/pulls).
 * Elsewhere a HEAD first would only add a round trip: where the tag exists
 * its manifest is read anyway, and Harbor books one pull for that GET either
 * way (src/server/registry/manifest.go fires the pull event on a GET that
 * found the artifact, never on a HEAD or a 404). A tag the account may not
 * read is 'unknown'.
 */
export async function readTag(
  client: RegistryClient,
  target: TagTarget,
  recorded?: Promise<readonly string[] | undefined>,
  headFirst = false
): Promise<HeldTag> {
  try {
    const prefix = `${target.host}/${target.repository}@`
    const records = (await recorded)?.filter(name => name.startsWith(prefix)) ?? []
    if (headFirst || records.length > 0) {
      const digest = await client.tagDigest(target.repository, target.tag)
      if (typeof digest !== 'string') return digest
      if (records.includes(`${prefix}${digest}`)) return { digest, recorded: true }
    }
    const held = await client.manifest(target.repository, target.tag)
    if (!held || 'policy' in held || !held.children) return held
    // An index: what each platform's manifest names as its config.
    const children = await Promise.all(
      held.children.map(child => client.manifest(target.repository, child))
    )
    const platformConfigs = children.map(child =>
      child && 'configDigest' in child ? (child.configDigest ?? '') : ''
    )
    return { ...held, platformConfigs }
  } catch (error) {
    if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
      return 'unknown'
    }
    throw error
  }
}

/** A tag compared with what would be pushed. */
export function tagState(held: HeldTag, expected: Expected): TagState {
  if (held === 'unknown') return { kind: 'unknown' }
  if (!held) return { kind: 'absent' }
  if ('policy' in held) return { kind: 'unreadable', policy: held.policy }
  if ('recorded' in held) return { kind: 'same', digest: held.digest }
  const same = expected.manifestDigest
    ? held.digest === expected.manifestDigest
    : expected.platformIds
      ? sameSet(held.platformConfigs ?? [], expected.platformIds)
      : (expected.configDigest !== undefined && sameImage(held, expected.configDigest)) ||
        (expected.layerDigest !== undefined && held.layers.includes(expected.layerDigest))
  if (!same) return { kind: 'different', digest: held.digest }
  return {
    kind: 'same',
    digest: held.digest,
    ...(held.platforms ? { platforms: held.platforms } : {})
  }
}

/**
 * Whether a tag holds the local image with this ID. The classic docker store
 * and podman give the config digest as the ID; docker's containerd image
 * store (the default of fresh Docker 29 installs) gives the digest of the
 * image's target, the manifest or index it pushes byte for byte (moby/moby
 * #51779, #52937; its `docker push` writes an index even for one platform,
 * #51532). A config digest can never equal a manifest digest (different
 * bytes), so either match is the same image.
 */
function sameImage(held: ManifestInfo, id: string): boolean {
  return held.configDigest === id || held.digest === id
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join()
}
