/**
 * OCI image layouts as content sources (image-spec, image-layout.md): a
 * folder holding `index.json` and `blobs/<algorithm>/<hex>`, read in place,
 * or the same files inside an OCI archive (oci-archive.ts). The image is
 * chosen as skopeo's `oci:` transport chooses it: the manifest of
 * `index.json` whose `org.opencontainers.image.ref.name` annotation is
 * `REF`, or, with no `REF`, the only one there is.
 */
import fs from 'node:fs'
import path from 'node:path'
import { InputError } from '../errors.js'
import { MAX_MANIFEST_BYTES, SHA256_DIGEST, platformName } from '../oci.js'
import {
  type BlobBody,
  ContentError,
  type ContentSource,
  type Descriptor,
  type ParsedManifest,
  type StoredManifest,
  checkListedSize,
  checkManifestCount,
  checkedBytes,
  parseManifest,
  sha256Digest
} from '../registry/content.js'

/** The files of a layout, wherever they lie. */
export interface LayoutFiles {
  /** A small file's bytes (index.json, a manifest); undefined when there is none. */
  read(name: string, maxBytes: number): Promise<Buffer | undefined>
  /** A file's size and bytes, streamed; undefined when there is none. */
  open(name: string): Promise<BlobBody | undefined> | BlobBody | undefined
  /** A file's size, without reading it; undefined when there is none. */
  size(name: string): Promise<number | undefined> | number | undefined
}

/** What an image of a layout holds, read and checked before anything is pushed. */
export interface LayoutImage {
  /** The digest of the manifest or index: what the registry will hold, byte for byte. */
  digest: string
  mediaType: string
  /** An image manifest's config digest (its image ID). */
  configDigest?: string
  /** An index: each manifest it lists, with its `os/architecture[/variant]`. */
  platforms?: { platform: string; digest: string }[]
  /** Every blob, once (configs and layers of every platform). */
  blobs: Descriptor[]
}

/** The annotation that names an image of a layout (image-spec, annotations.md). */
export const REF_NAME = 'org.opencontainers.image.ref.name'

/** How many of a layout's image names an error lists, and how much of each. */
const SHOWN_NAMES = 5
const NAME_CHARS = 80

/**
 * `it holds "a", "b", and 3 more`: the names an archive or layout holds, for
 * an error that says a name is not there; '' when it names none. A few names
 * say enough; an archive may hold thousands, of any length.
 */
export function heldNames(names: readonly unknown[]): string {
  const named = names.filter(Boolean)
  const shown = named.slice(0, SHOWN_NAMES).map(name => {
    const text = String(name)
    return `"${text.length > NAME_CHARS ? `${text.slice(0, NAME_CHARS)}…` : text}"`
  })
  const more = named.length > SHOWN_NAMES ? `, and ${named.length - SHOWN_NAMES} more` : ''
  return named.length > 0 ? `it holds ${shown.join(', ')}${more}` : ''
}

interface IndexEntry extends Descriptor {
  annotations?: Record<string, string>
}

/** An image of an OCI layout (folder or archive), chosen by `ref`. */
export class LayoutSource implements ContentSource {
  private chosen?: Promise<IndexEntry>

  constructor(
    private readonly files: LayoutFiles,
    private readonly ref: string,
    /** `oci:/path:ref`, `oci-archive:/path:ref`: how errors name it. */
    readonly label: string
  ) {}

  /**
   * The entry of `index.json` that `ref` names, checked once: a missing or
   * unreadable index.json, or a `ref` it does not hold, is an input error
   * that says what the layout holds.
   */
  entry(): Promise<IndexEntry> {
    this.chosen ??= this.choose()
    return this.chosen
  }

  private async choose(): Promise<IndexEntry> {
    const bytes = await this.files.read('index.json', MAX_MANIFEST_BYTES)
    if (!bytes) {
      throw new InputError(
        `"${this.label}" holds no index.json: it is not an OCI image layout. Nothing was pushed.`
      )
    }
    let entries: IndexEntry[]
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { manifests?: unknown }
      if (!Array.isArray(parsed.manifests)) throw new Error('no "manifests" list')
      entries = parsed.manifests as IndexEntry[]
    } catch (error) {
      throw new InputError(
        `"${this.label}": its index.json cannot be read (${error instanceof Error ? error.message : String(error)}). Nothing was pushed.`
      )
    }
    const held = heldNames(entries.map(entry => entry.annotations?.[REF_NAME]))
    const matches = this.ref
      ? entries.filter(entry => entry.annotations?.[REF_NAME] === this.ref)
      : entries
    if (matches.length !== 1) {
      const why = this.ref
        ? matches.length === 0
          ? `holds no image named "${this.ref}"${held ? ` (${held})` : ''}`
          : `holds ${matches.length} images named "${this.ref}"`
        : `holds ${entries.length} images, not one${held ? ` (${held})` : ''}: name one after the path, as ":REF"`
      throw new InputError(`"${this.label}" ${why}. Nothing was pushed.`)
    }
    const [entry] = matches
    if (typeof entry.digest !== 'string' || !SHA256_DIGEST.test(entry.digest)) {
      throw new InputError(
        `"${this.label}": its index.json names the digest "${String(entry.digest)}", not a sha256 digest. Nothing was pushed.`
      )
    }
    return entry
  }

  /**
   * What the image holds, checked without reading a layer: every manifest
   * readable and matching its digest, every blob present with its size. A
   * problem is an input error naming the source: nothing is pushed of it.
   */
  async inspect(): Promise<LayoutImage> {
    try {
      const root = await this.root()
      const blobs = new Map<string, Descriptor>()
      const parsed = parseManifest(root, this.label)
      const children = parsed.manifests ?? []
      // The whole tree, as the copier copies it (an index may list indexes),
      // and what the copier refuses (copy.ts) is refused here, before anything is pushed.
      const manifests: ParsedManifest[] = [parsed]
      let listed = 0
      const walk = async (entries: Descriptor[]): Promise<void> => {
        listed += entries.length
        checkManifestCount(this.label, listed)
        for (const child of await Promise.all(entries.map(entry => this.child(entry)))) {
          manifests.push(child)
          if (child.manifests) await walk(child.manifests)
        }
      }
      await walk(children)
      for (const manifest of manifests) {
        for (const blob of [
          ...(manifest.config ? [manifest.config] : []),
          ...(manifest.layers ?? [])
        ]) {
          blobs.set(blob.digest, blob)
        }
      }
      for (const blob of blobs.values()) {
        const size = await this.files.size(this.blobPath(blob))
        if (size === undefined) throw this.missing(blob)
        if (size !== blob.size) {
          throw new ContentError(
            `${this.label}: blob "${blob.digest}" is ${size} bytes where its descriptor says ${blob.size}: the source is corrupt`
          )
        }
      }
      return {
        digest: root.digest,
        mediaType: root.mediaType,
        ...(parsed.config ? { configDigest: parsed.config.digest } : {}),
        ...(parsed.manifests
          ? {
              platforms: children.map(entry => ({
                platform: platformName(entry.platform),
                digest: entry.digest
              }))
            }
          : {}),
        blobs: [...blobs.values()]
      }
    } catch (error) {
      if (error instanceof ContentError)
        throw new InputError(`${error.message}. Nothing was pushed.`)
      throw error
    }
  }

  /** A manifest an index lists, parsed, with the size the index gives it. */
  private async child(entry: Descriptor): Promise<ParsedManifest> {
    const child = await this.manifest(entry)
    checkListedSize(this.label, entry, child)
    return parseManifest(child, this.label)
  }

  async root(): Promise<StoredManifest> {
    return this.manifest(await this.entry())
  }

  async manifest(descriptor: Descriptor): Promise<StoredManifest> {
    if (descriptor.size > MAX_MANIFEST_BYTES) {
      throw new ContentError(
        `${this.label}: manifest "${descriptor.digest}" is ${descriptor.size} bytes, more than a manifest may be`
      )
    }
    const bytes = await this.files.read(this.blobPath(descriptor), MAX_MANIFEST_BYTES)
    if (!bytes) throw this.missing(descriptor)
    const actual = sha256Digest(bytes)
    if (actual !== descriptor.digest) {
      throw new ContentError(
        `${this.label}: manifest "${descriptor.digest}" has the sha256 "${actual}": its bytes are not what its name says, the source is corrupt`
      )
    }
    let mediaType = descriptor.mediaType
    try {
      mediaType =
        (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? mediaType
    } catch {
      // The copier says it is not JSON, with the digest.
    }
    return { digest: descriptor.digest, mediaType, bytes }
  }

  async blob(descriptor: Descriptor): Promise<BlobBody> {
    const file = await this.files.open(this.blobPath(descriptor))
    if (!file) throw this.missing(descriptor)
    if (file.size !== descriptor.size) {
      throw new ContentError(
        `${this.label}: blob "${descriptor.digest}" is ${file.size} bytes where its descriptor says ${descriptor.size}: the source is corrupt`
      )
    }
    return { size: file.size, body: checkedBytes(file.body, descriptor, this.label) }
  }

  /** `blobs/sha256/<hex>`; a digest of any other shape never becomes a path. */
  private blobPath(descriptor: Descriptor): string {
    if (!SHA256_DIGEST.test(descriptor.digest)) {
      throw new ContentError(`${this.label}: "${descriptor.digest}" is not a sha256 digest`)
    }
    return `blobs/sha256/${descriptor.digest.slice('sha256:'.length)}`
  }

  private missing(descriptor: Descriptor): ContentError {
    return new ContentError(
      `${this.label}: blob "${descriptor.digest}" is missing from the layout (an image whose layers were left out is not pushable)`
    )
  }
}

/** An image of the OCI layout folder `dir`, read in place. */
export function ociLayoutSource(dir: string, ref: string): LayoutSource {
  const label = `oci:${dir}${ref ? `:${ref}` : ''}`
  const files: LayoutFiles = {
    async read(name, maxBytes) {
      const file = path.join(dir, name)
      const size = await sizeOf(file)
      if (size === undefined) return undefined
      if (size > maxBytes) throw new ContentError(`${label}: "${name}" is ${size} bytes, too large`)
      return fs.promises.readFile(file)
    },
    async open(name) {
      const file = path.join(dir, name)
      const size = await sizeOf(file)
      if (size === undefined) return undefined
      return { size, body: fs.createReadStream(file) }
    },
    size: name => sizeOf(path.join(dir, name))
  }
  return new LayoutSource(files, ref, label)
}

/** The size of a regular file; undefined when there is none. */
async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const stat = await fs.promises.stat(file)
    return stat.isFile() ? stat.size : undefined
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
