/**
 * A `docker://` source: an image (or a multi-platform index) read from a
 * registry with the project's own client, manifests as the registry stores
 * them (checked against their sha256), blobs streamed through. Within one
 * registry the copier mounts the blobs instead (`mountFrom`).
 */
import { MAX_MANIFEST_BYTES } from '../oci.js'
import { registryApiHost, registryApiRepository } from '../settings/docker-hub.js'
import { type RegistrySource, registryReference } from '../settings/settings.js'
import { MANIFEST_ACCEPT, type RegistryClient } from '../registry/client.js'
import { readBounded } from '../registry/http.js'
import {
  type BlobBody,
  ContentError,
  type ContentSource,
  type Descriptor,
  type StoredManifest,
  checkedBytes,
  sha256Digest
} from '../registry/content.js'

/** What the source's reference names now, from the registry. */
export type Resolved =
  | { kind: 'found'; digest: string }
  | { kind: 'missing' }
  /** A pull policy (Harbor's content trust or vulnerability prevention) refuses to hand it out. */
  | { kind: 'refused'; policy: string }

export class RegistryContentSource implements ContentSource {
  readonly label: string
  readonly mountFrom: { host: string; repository: string }
  /** The repository path the API knows: `library/alpine` for Docker Hub's `alpine` (docker-hub.ts). */
  readonly repository: string
  /** The digest `resolve()` found: `root()` reads that, even if the tag moves meanwhile. */
  private digest: string

  constructor(
    /** A client of the source's registry (its API host: `registryApiHost`), with the source's login. */
    private readonly client: RegistryClient,
    readonly source: RegistrySource
  ) {
    // The label keeps the user's spelling; requests use the API's names.
    this.label = registryReference(source)
    this.repository = registryApiRepository(source.host, source.repository)
    // The copier compares it with its client's host, which URL parsing lower-cases.
    this.mountFrom = {
      host: registryApiHost(source.host).toLowerCase(),
      repository: this.repository
    }
    this.digest = source.digest
  }

  /**
   * What the reference names now: a HEAD (no pull in Harbor's audit log or
   * retention rules), a GET only when the registry gives no digest with it.
   * Registry failures (401, 403, network) are thrown as they came.
   */
  async resolve(): Promise<Resolved> {
    const { repository } = this
    const held = await this.client.tagDigest(repository, this.reference())
    if (held === undefined) return { kind: 'missing' }
    if (typeof held !== 'string') return { kind: 'refused', policy: held.policy }
    if (this.source.digest && held && held !== this.source.digest) {
      throw new ContentError(
        `${this.label}: the registry says this digest names "${held}": a broken registry or proxy`
      )
    }
    this.digest = held || (await this.read(this.reference())).digest
    return { kind: 'found', digest: this.digest }
  }

  async root(): Promise<StoredManifest> {
    if (!this.digest) await this.resolve()
    return this.read(this.digest || this.reference(), this.digest)
  }

  manifest(descriptor: Descriptor): Promise<StoredManifest> {
    return this.read(descriptor.digest, descriptor.digest)
  }

  async blob(descriptor: Descriptor): Promise<BlobBody> {
    const { repository } = this
    const response = await this.client.request(
      'GET',
      `/v2/${repository}/blobs/${descriptor.digest}`,
      repository,
      { streamBody: true }
    )
    if (!response.body)
      throw new Error(`${this.label}: blob ${descriptor.digest} came with no body`)
    return {
      size: descriptor.size,
      // Checked as it streams: a corrupt blob ends in a ContentError before its last bytes go on.
      body: checkedBytes(response.body, descriptor, this.label)
    }
  }

  /** `:tag` or `@digest` as the API's path takes it. */
  private reference(): string {
    return this.source.digest || this.source.tag
  }

  /**
   * A manifest or index as stored, by tag or digest, checked: its sha256
   * must be `expected` (when read by digest) and the digest the registry
   * says it is.
   */
  private async read(reference: string, expected = ''): Promise<StoredManifest> {
    const { repository } = this
    const response = await this.client.request(
      'GET',
      `/v2/${repository}/manifests/${reference}`,
      repository,
      { headers: { Accept: MANIFEST_ACCEPT } }
    )
    // Read up to the bound whatever Content-Length says: a chunked answer has none.
    const { bytes, more } = await readBounded(response, MAX_MANIFEST_BYTES)
    if (more) {
      throw new ContentError(
        `${this.label}: the manifest "${reference}" is larger than 4 MiB, more than any registry takes: a broken registry or proxy`
      )
    }
    const digest = sha256Digest(bytes)
    const said = response.headers.get('docker-content-digest') ?? ''
    const wanted = expected || said
    if (wanted && wanted !== digest) {
      throw new ContentError(
        `${this.label}: manifest "${wanted}" came with the sha256 ${digest}: its bytes are not what its name says (a broken registry or proxy)`
      )
    }
    // What it says it is, else what the answer says; the copier checks both the type and the JSON.
    let mediaType: unknown
    try {
      mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown } | null)?.mediaType
    } catch {
      // Not JSON: the copier says so, with the digest.
    }
    mediaType ??= (response.headers.get('content-type') ?? '').split(';')[0].trim()
    return { digest, mediaType: mediaType as string, bytes }
  }
}
