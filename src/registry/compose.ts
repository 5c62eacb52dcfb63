/**
 * Pushes an image whose registry manifest is made on the way: a docker
 * archive (`docker save`, `podman save --format docker-archive`) holds an
 * image's config and its layers as plain tars, not what a registry serves.
 * What goes up is what skopeo makes of it (a Docker schema 2 manifest): the
 * config byte for byte (so the image ID stays the source's), each plain
 * layer gzip-compressed while it streams (gzip-stream.ts), layers
 * compressed already sent as they are. Every layer's
 * uncompressed bytes are hashed on the way and must be the config's
 * `rootfs.diff_ids` entry: a layer that is not fails the image before its
 * manifest is put, so nothing is tagged.
 *
 * A layer's compressed digest is known only once it is sent, so it goes up
 * as distribution's "stream upload": POST a session, PATCH the bytes with
 * no length (chunked), PUT `?digest=` to close it (distribution,
 * registry/handlers/blobupload.go: a PATCH without Content-Range is a
 * stream; opencontainers/distribution-spec spec.md, "Pushing a blob in
 * chunks", for the POST / PATCH / PUT sequence; Harbor hands these requests
 * to distribution unchanged). The registry checks the digest against the
 * bytes it received, and keeps nothing under it if they differ.
 */
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { Readable } from 'node:stream'
import zlib from 'node:zlib'
import { retrying } from '../backoff.js'
import { mapWithLimit } from '../pool.js'
import type { RegistryClient } from './client.js'
import { ContentError, type Descriptor, sha256Digest } from './content.js'
import {
  type CopyDestination,
  type CopyOptions,
  type CopyResult,
  Deferred,
  causeOf,
  copyBlob,
  hasBlob,
  mountBlob,
  putManifest,
  sourceCause,
  startUpload,
  transient
} from './copy.js'
import { gzipStream } from './gzip-stream.js'
import { discardBody } from './http.js'

/** How a layer is stored in its source. */
export type LayerCompression = 'none' | 'gzip' | 'zstd'

export interface ComposedLayer {
  /** sha256 of the uncompressed tar: the config's `rootfs.diff_ids` entry. */
  diffId: string
  compression: LayerCompression
  /** Bytes as the source stores them. */
  size: number
  /** The bytes as stored, a new stream each call (a retry reads them again). */
  open(): AsyncIterable<Uint8Array>
}

/** An image to be pushed with a manifest made for it. */
export interface ComposedImage {
  /** How logs and errors name it: `docker-archive:/path:name:tag`. */
  label: string
  /** The config blob, byte for byte: its digest is the image ID. */
  config: { digest: string; bytes: Buffer }
  layers: ComposedLayer[]
}

const DOCKER = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip'
}
/** Docker schema 2 has no zstd layer type: an image with one goes up as OCI. */
const OCI = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd'
}

/** Layers sent at once unless told. */
const DEFAULT_PARALLEL = 4

/** Where a layer went: its compressed descriptor, and the repository that holds it. */
interface Landed {
  descriptor: Descriptor
  repository: string
}

/**
 * Layers each registry session has sent or is sending, by diffID: a layer
 * several archives of one run share is compressed and sent once, then
 * mounted (or found present) under the digest the first push gave it.
 */
const ledgers = new WeakMap<RegistryClient, Map<string, Promise<Landed | undefined>>>()

function ledgerOf(client: RegistryClient): Map<string, Promise<Landed | undefined>> {
  let ledger = ledgers.get(client)
  if (!ledger) ledgers.set(client, (ledger = new Map<string, Promise<Landed | undefined>>()))
  return ledger
}

/** Pushes `image` to `destination` on `client`'s registry; throws on the first failure that retries do not cure. */
export async function pushComposed(
  client: RegistryClient,
  image: ComposedImage,
  destination: CopyDestination,
  options: CopyOptions = {}
): Promise<CopyResult> {
  const { repository } = destination
  const types = image.layers.some(layer => layer.compression === 'zstd') ? OCI : DOCKER
  const counts = { bytesUploaded: 0, blobsMounted: 0, blobsSkipped: 0, blobsUploaded: 0 }
  const stop = new AbortController()
  const retried = <T>(attempt: () => Promise<T>): Promise<T> =>
    retrying(attempt, {
      retries: options.retry?.retries ?? 0,
      baseDelayMs: options.retry?.baseDelayMs,
      retryable: transient,
      onRetry: (number, error, delay) => options.retry?.onRetry?.(number, causeOf(error), delay),
      signal: stop.signal
    })
  const count = (how: 'skipped' | 'mounted' | 'uploaded', size: number): void => {
    if (how === 'skipped') counts.blobsSkipped++
    else if (how === 'mounted') counts.blobsMounted++
    else {
      counts.blobsUploaded++
      counts.bytesUploaded += size
    }
  }

  const config: Descriptor = {
    mediaType: types.config,
    digest: image.config.digest,
    size: image.config.bytes.length
  }
  const configSource = {
    label: image.label,
    blob: () =>
      Promise.resolve({
        size: config.size,
        body: Readable.from([image.config.bytes]) as AsyncIterable<Uint8Array>
      })
  }
  const ledger = ledgerOf(client)
  const layers: Descriptor[] = []
  let failure: Error | undefined
  const fail = (error: unknown): void => {
    failure ??= error instanceof Error ? error : new Error(String(error))
    stop.abort(failure)
  }
  // The config goes up beside the layers: three round trips that need not hold them back.
  const configSent = retried(() =>
    copyBlob(client, configSource, repository, config, undefined, stop.signal)
  ).then(how => count(how, config.size), fail)
  await mapWithLimit(
    image.layers.map((layer, index) => ({ layer, index })),
    options.parallel ?? DEFAULT_PARALLEL,
    async ({ layer, index }) => {
      if (failure) return
      const elsewhere = ledger.get(layer.diffId)
      const landed = new Deferred<Landed | undefined>()
      if (!elsewhere) ledger.set(layer.diffId, landed.promise)
      try {
        const there = elsewhere && (await elsewhere)
        const reused = there && (await retried(() => reuse(client, repository, there, stop.signal)))
        if (there && (reused === 'skipped' || reused === 'mounted')) {
          count(reused, there.descriptor.size)
          layers[index] = there.descriptor
          return
        }
        const location = typeof reused === 'object' ? reused.location : undefined
        let first = true
        const sent = await retried(() => {
          // A mount's upload session serves the first try only.
          const session = first ? location : undefined
          first = false
          return upload(client, repository, image.label, index, layer, types, session, stop.signal)
        })
        count('uploaded', sent.size)
        layers[index] = sent
        if (!elsewhere) landed.resolve({ descriptor: sent, repository })
      } catch (error) {
        fail(error)
      } finally {
        if (!elsewhere && !layers[index]) {
          // Others waiting for it send it themselves.
          ledger.delete(layer.diffId)
          landed.resolve(undefined)
        }
      }
    }
  )
  await configSent
  if (failure) throw failure

  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: types.manifest, config, layers })
  )
  const stored = { digest: sha256Digest(manifest), mediaType: types.manifest, bytes: manifest }
  for (const tag of destination.tags.length > 0 ? destination.tags : [stored.digest]) {
    await putManifest(client, repository, stored, tag)
  }
  return { digest: stored.digest, mediaType: stored.mediaType, ...counts }
}

/**
 * A layer another push of this run sent: present in `repository` already
 * (HEAD, when it went to this repository), or mounted from where it went. 'upload' when neither works (the
 * mount refused, and no session given); `{ location }` when the registry
 * answered the mount with an upload session instead.
 */
async function reuse(
  client: RegistryClient,
  repository: string,
  there: Landed,
  signal: AbortSignal
): Promise<'skipped' | 'mounted' | 'upload' | { location: string }> {
  const { digest } = there.descriptor
  if (there.repository === repository) {
    // Another tag of this repository: the layer is there unless that push lost it.
    return (await hasBlob(client, repository, digest, signal)) ? 'skipped' : 'upload'
  }
  // Another repository: straight to the mount, one round trip (a blob there already mounts too).
  return (await mountBlob(client, repository, digest, there.repository, signal)) ?? 'upload'
}

/** One layer sent as a stream upload (POST, PATCH, PUT ?digest=): its descriptor in the manifest. */
async function upload(
  client: RegistryClient,
  repository: string,
  label: string,
  index: number,
  layer: ComposedLayer,
  types: typeof DOCKER | typeof OCI,
  session: string | undefined,
  signal: AbortSignal
): Promise<Descriptor> {
  const location = session ?? (await startUpload(client, repository, signal))
  const tally = new LayerTally()
  const body =
    layer.compression === 'none'
      ? gzipped(layer, tally)
      : checkedCompressed(layer, tally, label, index)
  // No Content-Length: the size is known once the bytes are compressed, and undici sends the stream chunked.
  const patch = await client
    .request('PATCH', new URL(location, client.baseUrl).toString(), repository, {
      push: true,
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
      accept: [202],
      signal
    })
    .catch((error: unknown) => {
      throw sourceCause(error) ?? error
    })
  await discardBody(patch)
  // Checked before the upload is closed: a layer that is not what the config says never lands.
  const sent = tally.result(layer, label, index)
  const url = new URL(patch.headers.get('location') ?? location, client.baseUrl)
  url.searchParams.set('digest', sent.digest)
  const put = await client.request('PUT', url.toString(), repository, {
    push: true,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: '',
    accept: [201],
    signal
  })
  await discardBody(put)
  const mediaType = layer.compression === 'zstd' ? OCI.zstd : types === OCI ? OCI.gzip : DOCKER.gzip
  return { mediaType, digest: sent.digest, size: sent.size }
}

/** What a layer's stream read and sent: the uncompressed bytes' hash, the compressed ones'. */
class LayerTally {
  readonly uncompressed = createHash('sha256')
  readonly compressed = createHash('sha256')
  /** Bytes read from the source. */
  read = 0
  /** Bytes sent. */
  sent = 0

  /** The sent blob's digest and size, once the uncompressed bytes are checked against the diffID. */
  result(layer: ComposedLayer, label: string, index: number): { digest: string; size: number } {
    if (this.read !== layer.size) {
      throw new ContentError(
        `${label}: layer ${index + 1} gave ${this.read} bytes where the archive says ${layer.size}: the archive changed while it was read`
      )
    }
    const diffId = `sha256:${this.uncompressed.digest('hex')}`
    if (diffId !== layer.diffId) {
      throw new ContentError(
        `${label}: layer ${index + 1} holds content with the sha256 "${diffId}" where the image's config says "${layer.diffId}" (rootfs.diff_ids): the archive is corrupt or was altered; nothing of this image was tagged`
      )
    }
    return { digest: `sha256:${this.compressed.digest('hex')}`, size: this.sent }
  }
}

/** A plain layer, hashed as it is read and gzip-compressed (in libuv's thread pool) as it streams. */
async function* gzipped(layer: ComposedLayer, tally: LayerTally): AsyncIterable<Uint8Array> {
  const seen = (chunk: Uint8Array): void => {
    tally.uncompressed.update(chunk)
    tally.read += chunk.length
  }
  for await (const chunk of gzipStream(layer.open(), seen)) {
    tally.compressed.update(chunk)
    tally.sent += chunk.length
    yield chunk
  }
}

/**
 * A layer compressed already, sent as it is; its bytes are decompressed
 * on the side (the thread pool again) only to hash what they hold.
 */
async function* checkedCompressed(
  layer: ComposedLayer,
  tally: LayerTally,
  label: string,
  index: number
): AsyncIterable<Uint8Array> {
  const inflate = decompressor(layer.compression, label, index)
  inflate.on('data', (chunk: Buffer) => tally.uncompressed.update(chunk))
  const ended = new Promise<void>((resolve, reject) => {
    inflate.once('end', resolve)
    inflate.once('error', reject)
  })
  ended.catch(() => undefined)
  const unreadable = (error: unknown): ContentError =>
    new ContentError(
      `${label}: layer ${index + 1} is not readable ${layer.compression} (${causeOf(error)}): the archive is corrupt`
    )
  try {
    for await (const chunk of layer.open()) {
      tally.read += chunk.length
      tally.compressed.update(chunk)
      tally.sent += chunk.length
      // Bounded memory: the next chunk waits while the decompressor is behind.
      if (!inflate.write(chunk)) await Promise.race([once(inflate, 'drain'), ended])
      yield chunk
    }
    inflate.end()
    await ended.catch((error: unknown) => {
      throw unreadable(error)
    })
  } catch (error) {
    throw error instanceof ContentError ? error : unreadable(error)
  } finally {
    inflate.destroy()
  }
}

function decompressor(
  compression: LayerCompression,
  label: string,
  index: number
): NodeJS.ReadWriteStream & { destroy(): void } {
  if (compression === 'gzip') return zlib.createGunzip()
  // Node 22.15 and later; the action runs on Node 24.
  if (typeof zlib.createZstdDecompress !== 'function') {
    throw new ContentError(
      `${label}: layer ${index + 1} is zstd-compressed, which this Node.js (${process.version}) cannot read: run harbor-push on Node 22.15 or later`
    )
  }
  return zlib.createZstdDecompress()
}
