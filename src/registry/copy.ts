/**
 * Copies one image (or a multi-platform index, whole) from a ContentSource
 * to a repository of the session's registry, the way the OCI distribution
 * spec's "Push" workflow describes it (opencontainers/distribution-spec,
 * spec.md): every blob first, then the manifests an index lists, then the
 * index or manifest itself under each tag. Manifests travel as the bytes
 * the source stores, so the destination digest is the source digest and
 * signatures made on it stay valid.
 */
import { retrying } from '../backoff.js'
import { InputError } from '../errors.js'
import { mapWithLimit } from '../pool.js'
import type { RegistryClient } from './client.js'
import { platformName } from '../oci.js'
import {
  ContentError,
  type ContentSource,
  type Descriptor,
  type ParsedManifest,
  SourceError,
  type StoredManifest,
  checkListedSize,
  checkManifestCount,
  parseManifest,
  sha256Digest
} from './content.js'
import { RegistryError } from './errors.js'
import {
  type RetryPolicy,
  TRANSIENT_STATUS,
  discardBody,
  isTransientNetworkFailure,
  networkCause
} from './http.js'

export interface CopyDestination {
  /** The repository on the client's registry, e.g. `library/app`. */
  repository: string
  /** Each tag the image is pushed as; none: by digest only. */
  tags: string[]
}

export interface CopyOptions {
  /** Blobs copied at once. */
  parallel?: number
  /** Transient failures of a blob copy start it over, as this allows. */
  retry?: RetryPolicy
}

export interface CopyResult {
  /** The digest of the manifest or index pushed: the source's. */
  digest: string
  mediaType: string
  /** `os/architecture[/variant]` of each manifest of an index. */
  platforms?: string[]
  /** Bytes of the blobs sent to the registry (mounted and skipped ones move none). */
  bytesUploaded: number
  blobsMounted: number
  blobsSkipped: number
  blobsUploaded: number
}

/** Blobs copied at once unless told. */
const DEFAULT_PARALLEL = 4

/** Copies `source` to `destination` on `client`'s registry; throws on the first failure that retries do not cure. */
export async function copyImage(
  client: RegistryClient,
  source: ContentSource,
  destination: CopyDestination,
  options: CopyOptions = {}
): Promise<CopyResult> {
  const root = checked(await fromSource(source, 'the manifest', () => source.root()), source.label)
  const rootParsed = parseManifest(root, source.label)

  // The tree below the root: manifests an index lists (recursively), and every blob once.
  const children: StoredManifest[] = []
  const blobs = new Map<string, Descriptor>()
  const listed = new Set<string>()
  const visit = async (parsed: ParsedManifest): Promise<void> => {
    if (parsed.manifests) {
      // Counted before any is read: each is held until the push, up to 4 MiB.
      for (const entry of parsed.manifests) listed.add(entry.digest)
      checkManifestCount(source.label, listed.size)
      for (const entry of parsed.manifests) {
        // An index may list one manifest twice (or two indexes one): read and pushed once.
        if (children.some(child => child.digest === entry.digest)) continue
        const child = checked(
          await fromSource(source, `manifest "${entry.digest}"`, () => source.manifest(entry)),
          source.label
        )
        if (child.digest !== entry.digest) {
          throw new ContentError(
            `${source.label}: the index lists "${entry.digest}" but the source gave "${child.digest}"`
          )
        }
        checkListedSize(source.label, entry, child)
        await visit(parseManifest(child, source.label))
        children.push(child)
      }
      return
    }
    for (const blob of [...(parsed.config ? [parsed.config] : []), ...(parsed.layers ?? [])]) {
      blobs.set(blob.digest, blob)
    }
  }
  await visit(rootParsed)

  const counts = { bytesUploaded: 0, blobsMounted: 0, blobsSkipped: 0, blobsUploaded: 0 }
  const mountFrom =
    source.mountFrom && source.mountFrom.host === client.host
      ? source.mountFrom.repository
      : undefined
  const stop = new AbortController()
  const ledger = ledgerOf(client)
  let failure: Error | undefined
  await mapWithLimit([...blobs.values()], options.parallel ?? DEFAULT_PARALLEL, async blob => {
    if (failure) return
    // Another copy of this run is sending the same blob to another repository
    // of this registry: wait for it, then mount from there (what skopeo and
    // podman do with their blob-info cache) rather than send it twice.
    const elsewhere = ledger.get(blob.digest)
    const landed = new Deferred<string | undefined>()
    if (!elsewhere) ledger.set(blob.digest, landed.promise)
    try {
      const there = elsewhere && (await elsewhere)
      const from = mountFrom ?? (there !== destination.repository ? there : undefined)
      // An upload's body is a stream that cannot be sent twice: after a
      // transient failure the whole blob copy starts over, from the HEAD
      // (the last try may have landed).
      const how = await retrying(
        () => copyBlob(client, source, destination.repository, blob, from, stop.signal),
        {
          retries: options.retry?.retries ?? 0,
          baseDelayMs: options.retry?.baseDelayMs,
          retryable: transient,
          onRetry: (attempt, error, delay) =>
            options.retry?.onRetry?.(attempt, causeOf(error), delay),
          signal: stop.signal
        }
      )
      landed.resolve(destination.repository)
      if (how === 'skipped') counts.blobsSkipped++
      else if (how === 'mounted') counts.blobsMounted++
      else {
        counts.blobsUploaded++
        counts.bytesUploaded += blob.size
      }
    } catch (error) {
      if (!elsewhere) {
        // Others waiting for it send it themselves.
        ledger.delete(blob.digest)
        landed.resolve(undefined)
      }
      // The first failure ends the copy: the uploads still running are cancelled.
      failure ??= error instanceof Error ? error : new Error(String(error))
      stop.abort(failure)
    }
  })
  if (failure) throw failure

  // The manifests an index lists must exist before the index (the registry checks).
  for (const child of children) {
    await putManifest(client, destination.repository, child, child.digest)
  }
  for (const tag of destination.tags.length > 0 ? destination.tags : [root.digest]) {
    await putManifest(client, destination.repository, root, tag)
  }

  const platforms = rootParsed.manifests?.map(entry => platformName(entry.platform))
  return {
    digest: root.digest,
    mediaType: root.mediaType,
    ...(platforms ? { platforms } : {}),
    ...counts
  }
}

/**
 * Blobs each registry session has in flight or has copied, by digest: the
 * repository they go to. A run copying many images that share layers sends
 * each shared layer once and mounts it everywhere else.
 */
const ledgers = new WeakMap<RegistryClient, Map<string, Promise<string | undefined>>>()

function ledgerOf(client: RegistryClient): Map<string, Promise<string | undefined>> {
  let ledger = ledgers.get(client)
  if (!ledger) ledgers.set(client, (ledger = new Map<string, Promise<string | undefined>>()))
  return ledger
}

export class Deferred<T> {
  resolve!: (value: T) => void
  readonly promise = new Promise<T>(resolve => (this.resolve = resolve))
}

/**
 * One blob: nothing to do when the repository has it (HEAD); a mount from
 * the source repository on the same registry; else an upload streamed from
 * the source ("POST then PUT", the spec's monolithic upload, which every
 * conformant registry supports: one request carries the bytes, with their
 * length and digest).
 */
export async function copyBlob(
  client: RegistryClient,
  source: Pick<ContentSource, 'label' | 'blob'>,
  repository: string,
  blob: Descriptor,
  mountFrom: string | undefined,
  signal: AbortSignal
): Promise<'skipped' | 'mounted' | 'uploaded'> {
  if (await hasBlob(client, repository, blob.digest)) return 'skipped'

  const mounted =
    mountFrom === undefined
      ? undefined
      : await mountBlob(client, repository, blob.digest, mountFrom)
  if (mounted === 'mounted') return 'mounted'
  const location = mounted?.location ?? (await startUpload(client, repository))
  // The Location may be relative and may carry query parameters of its own (distribution's `_state`).
  const url = new URL(location, client.baseUrl)
  url.searchParams.set('digest', blob.digest)
  const what = `blob "${blob.digest}"`
  const body = await fromSource(source, what, () => source.blob(blob))
  const put = await client
    .request('PUT', url.toString(), repository, {
      push: true,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(body.size)
      },
      body: readFrom(source, what, body.body),
      signal
    })
    // A corrupt or failing source stops the upload from inside fetch: say what it found, not "fetch failed".
    .catch((error: unknown) => {
      throw sourceCause(error) ?? error
    })
  await discardBody(put)
  return 'uploaded'
}

/** Whether `repository` has the blob `digest` (HEAD). */
export async function hasBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  signal?: AbortSignal
): Promise<boolean> {
  const head = await client.request('HEAD', `/v2/${repository}/blobs/${digest}`, repository, {
    push: true,
    accept: [404],
    signal
  })
  await discardBody(head)
  return head.status === 200
}

/**
 * Mounts `digest` into `repository` from `from` on the same registry (spec.md,
 * "Mounting a blob from another repository"): 'mounted' (201); the upload
 * session the registry started instead (202), for the caller to send the
 * bytes to; undefined when the mount was refused (a token without pull on
 * `from`: 401/403) or the 202 named no session.
 */
export async function mountBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  from: string,
  signal?: AbortSignal
): Promise<'mounted' | { location: string } | undefined> {
  const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`
  const mount = await client.request(
    'POST',
    `/v2/${repository}/blobs/uploads/?${query}`,
    repository,
    {
      push: true,
      mountFrom: from,
      accept: [202, 401, 403],
      signal
    }
  )
  await discardBody(mount)
  if (mount.status === 201) return 'mounted'
  const location = mount.status === 202 ? mount.headers.get('location') : null
  return location ? { location } : undefined
}

/** Starts an upload session in `repository`; its Location (relative or not, with distribution's `_state`). */
export async function startUpload(
  client: RegistryClient,
  repository: string,
  signal?: AbortSignal
): Promise<string> {
  const start = await client.request('POST', `/v2/${repository}/blobs/uploads/`, repository, {
    push: true,
    accept: [202],
    signal
  })
  await discardBody(start)
  const location = start.headers.get('location')
  if (location === null) {
    throw new RegistryError(start.status, 'the upload session has no Location', start.url)
  }
  return location
}

/**
 * Pushes a manifest as its stored bytes under `reference` (a tag, or its
 * digest for the manifests an index lists) and checks the registry kept
 * them: spec.md, "Pushing Manifests": the registry MUST store the manifest
 * without modification and answer its digest in Docker-Content-Digest.
 * A manifest listed by an index that the repository has already is not sent again.
 */
export async function putManifest(
  client: RegistryClient,
  repository: string,
  manifest: StoredManifest,
  reference: string
): Promise<void> {
  const path = `/v2/${repository}/manifests/${reference}`
  if (reference === manifest.digest) {
    const head = await client.request('HEAD', path, repository, {
      push: true,
      headers: { Accept: manifest.mediaType },
      accept: [404]
    })
    await discardBody(head)
    if (head.status === 200) return
  }
  // Bytes, not a stream: the client retries transient failures of this request itself.
  const response = await client.request('PUT', path, repository, {
    push: true,
    headers: { 'Content-Type': manifest.mediaType },
    body: manifest.bytes
  })
  await discardBody(response)
  const stored = response.headers.get('docker-content-digest')
  if (stored && stored !== manifest.digest) {
    throw new ContentError(
      `the registry stored "${repository}:${reference}" as "${stored}", not as the source's "${manifest.digest}": it rewrote the manifest`
    )
  }
}

/** Whether another attempt of a blob copy may cure `error` (a network failure, a 5xx; never corrupt content). */
export function transient(error: unknown): boolean {
  const cause = sourceCause(error)
  if (cause) return cause instanceof SourceError && cause.transient
  return transientFailure(error)
}

function transientFailure(error: unknown): boolean {
  if (error instanceof RegistryError) return TRANSIENT_STATUS.has(error.status)
  return isTransientNetworkFailure(error)
}

/**
 * `read` of the source, its failures named as the source's: a registry
 * answer such as a 403 would otherwise read as the destination's refusal.
 * A ContentError names the source already.
 */
async function fromSource<T>(
  source: Pick<ContentSource, 'label'>,
  what: string,
  read: () => Promise<T>
): Promise<T> {
  try {
    return await read()
  } catch (error) {
    throw sourceFailure(source, what, error)
  }
}

/** The bytes of a blob as the source gives them, a failure on the way named as the source's. */
async function* readFrom(
  source: Pick<ContentSource, 'label'>,
  what: string,
  body: AsyncIterable<Uint8Array>
): AsyncIterable<Uint8Array> {
  try {
    yield* body
  } catch (error) {
    throw sourceFailure(source, what, error)
  }
}

function sourceFailure(source: Pick<ContentSource, 'label'>, what: string, error: unknown): Error {
  // Bad input (a layout with no index.json) and failures that name the source already stay as they are.
  if (
    error instanceof ContentError ||
    error instanceof SourceError ||
    error instanceof InputError
  ) {
    return error
  }
  const detail = error instanceof RegistryError ? error.message : networkCause(error)
  return new SourceError(
    `${source.label}: reading ${what} from the source failed: ${detail}`,
    transientFailure(error),
    error
  )
}

export function causeOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The source's own failure behind an upload's (undici wraps what the body's stream threw). */
export function sourceCause(error: unknown): ContentError | SourceError | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 8; depth++) {
    if (current instanceof ContentError || current instanceof SourceError) return current
    current = current instanceof Error ? current.cause : undefined
  }
  return undefined
}

/** The manifest, checked against its digest: what goes to the registry is byte for byte what the source holds. */
function checked(manifest: StoredManifest, label: string): StoredManifest {
  const actual = sha256Digest(manifest.bytes)
  if (actual !== manifest.digest) {
    throw new ContentError(
      `${label}: manifest "${manifest.digest}" has the sha256 "${actual}": the source is corrupt`
    )
  }
  return manifest
}
