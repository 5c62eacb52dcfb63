import { createHash } from 'node:crypto'
import { MAX_MANIFESTS, type Platform, SHA256_DIGEST } from '../oci.js'

/**
 * What the project's own registry client copies: an image (or a
 * multi-platform index) read from somewhere, manifests as stored bytes so
 * that the destination digest equals the source digest. Implemented by a
 * registry source (`docker://`), an OCI layout and an OCI archive; the
 * copier (`registry/copy.ts`) writes any of them to a destination registry.
 */

/** A content descriptor, as the OCI image spec defines it. */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
}

/** A manifest or index exactly as stored: its digest is the sha256 of `bytes`. */
export interface StoredManifest {
  digest: string
  mediaType: string
  bytes: Buffer
}

/** A blob's bytes, streamed: nothing is held in memory or written to disk on the way. */
export interface BlobBody {
  size: number
  body: AsyncIterable<Uint8Array>
}

/** Where one image's bytes come from. */
export interface ContentSource {
  /** How logs and errors name it: `docker://host/repo:tag`, `oci:/path:ref`. */
  readonly label: string
  /** The manifest or index the source's reference names. */
  root(): Promise<StoredManifest>
  /** A manifest an index lists, by digest. */
  manifest(descriptor: Descriptor): Promise<StoredManifest>
  /** A blob (config or layer), by descriptor. */
  blob(descriptor: Descriptor): Promise<BlobBody>
  /**
   * Set when the blobs sit in a repository of a registry: on the same
   * registry as the destination, the copier mounts them from there instead
   * of reading and uploading them again.
   */
  readonly mountFrom?: { host: string; repository: string }
}

/**
 * A source's content is not what it says: a blob or manifest whose bytes
 * do not hash to its digest, or a size that differs. Never retried.
 */
export class ContentError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ContentError'
  }
}

/**
 * A source could not be read in the middle of a copy: its registry refused,
 * failed or went silent, or its file could not be read. The message names
 * the source, so that the failure is never taken for one of the destination.
 */
export class SourceError extends Error {
  constructor(
    message: string,
    /** Another attempt may cure it (a network failure, a 5xx). */
    readonly transient: boolean,
    cause: unknown
  ) {
    super(message, { cause })
    this.name = 'SourceError'
  }
}

/** `sha256:<hex>` of `bytes`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/**
 * The bytes of `stream`, checked against `descriptor` on the way: the last
 * chunk is held back until the digest and size are known to match, so a
 * corrupt blob never reaches a registry whole. `where` names the source in
 * the error.
 */
export async function* checkedBytes(
  stream: AsyncIterable<Uint8Array>,
  descriptor: Descriptor,
  where: string
): AsyncIterable<Uint8Array> {
  const [algorithm, expected] = descriptor.digest.split(':')
  if (algorithm !== 'sha256') {
    throw new ContentError(
      `${where}: blob "${descriptor.digest}" uses an unsupported digest algorithm`
    )
  }
  const hash = createHash('sha256')
  let size = 0
  let held: Uint8Array | undefined
  for await (const chunk of stream) {
    hash.update(chunk)
    size += chunk.length
    if (size > descriptor.size) break
    if (held) yield held
    held = chunk
  }
  if (size !== descriptor.size) {
    throw new ContentError(
      `${where}: blob "${descriptor.digest}" holds ${size > descriptor.size ? 'more than' : 'only'} ${Math.min(size, descriptor.size)} bytes where its descriptor says ${descriptor.size}: the source is corrupt`
    )
  }
  const actual = hash.digest('hex')
  if (actual !== expected) {
    throw new ContentError(
      `${where}: blob "${descriptor.digest}" has the sha256 ${actual}: its bytes are not what its name says, the source is corrupt`
    )
  }
  if (held) yield held
}

/** What the copier and the sources read of a manifest or an index. */
export interface ParsedManifest {
  config?: Descriptor
  layers?: Descriptor[]
  manifests?: (Descriptor & { platform?: Platform })[]
}

const IMAGE_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
])

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json'
])

/**
 * A manifest's JSON: an index with the manifests it lists, or an image
 * manifest with its config and layers. Anything else is a ContentError
 * naming the source (`label`) and the manifest.
 */
export function parseManifest(manifest: StoredManifest, label: string): ParsedManifest {
  // It goes as the PUT's Content-Type: one a registry takes for a manifest, nothing else.
  if (!INDEX_TYPES.has(manifest.mediaType) && !IMAGE_TYPES.has(manifest.mediaType)) {
    throw new ContentError(
      `${label}: manifest "${manifest.digest}" has the media type ${JSON.stringify(manifest.mediaType)?.slice(0, 200)}, not one of an image manifest or index`
    )
  }
  let parsed: ParsedManifest
  try {
    parsed = JSON.parse(manifest.bytes.toString('utf8')) as ParsedManifest
  } catch {
    throw new ContentError(`${label}: manifest "${manifest.digest}" is not JSON`)
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new ContentError(`${label}: manifest "${manifest.digest}" is not a JSON object`)
  }
  const isIndex = INDEX_TYPES.has(manifest.mediaType) || Array.isArray(parsed.manifests)
  if (isIndex && !Array.isArray(parsed.manifests)) {
    throw new ContentError(`${label}: index "${manifest.digest}" lists no manifests`)
  }
  if (!isIndex && !parsed.config) {
    throw new ContentError(`${label}: manifest "${manifest.digest}" names no config blob`)
  }
  const result = isIndex
    ? { manifests: parsed.manifests }
    : { config: parsed.config, layers: parsed.layers ?? [] }
  // Digests become paths of registry URLs and files, sizes Content-Lengths:
  // one that is a path (`sha256:…/../../api`) would send a request with the
  // destination's login anywhere on its host.
  const layers: unknown = result.layers ?? []
  const descriptors = [
    ...(result.manifests ?? []),
    ...(result.config ? [result.config] : []),
    ...(Array.isArray(layers) ? (layers as unknown[]) : [undefined])
  ]
  if (!descriptors.every(isDescriptor)) {
    const what = isIndex ? 'index' : 'manifest'
    const listed = isIndex ? 'a manifest' : 'a blob'
    throw new ContentError(
      `${label}: ${what} "${manifest.digest}" lists ${listed} that is not a sha256 digest with a size`
    )
  }
  return result
}

/**
 * Refuses an index tree listing more than MAX_MANIFESTS manifests: each is
 * read and held until the push, and no image has that many platforms.
 */
export function checkManifestCount(label: string, listed: number): void {
  if (listed > MAX_MANIFESTS) {
    throw new ContentError(
      `${label}: the index lists more than ${MAX_MANIFESTS} manifests (${listed} so far): no image has that many platforms, the source is broken or hostile`
    )
  }
}

/** A manifest an index lists must have the size the index gives it: clients that check sizes (containerd, containers/image) fail to pull it otherwise. */
export function checkListedSize(label: string, entry: Descriptor, child: StoredManifest): void {
  if (child.bytes.length !== entry.size) {
    throw new ContentError(
      `${label}: manifest "${entry.digest}" is ${child.bytes.length} bytes where the index says ${entry.size}: the source is corrupt`
    )
  }
}

function isDescriptor(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const { digest, size } = value as { digest?: unknown; size?: unknown }
  return (
    typeof digest === 'string' &&
    SHA256_DIGEST.test(digest) &&
    typeof size === 'number' &&
    Number.isSafeInteger(size) &&
    size >= 0
  )
}
