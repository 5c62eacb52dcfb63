/**
 * Docker archives read in place: the legacy layout of `docker save` (up to
 * Docker 24) and `podman save --format docker-archive` (`manifest.json`
 * listing each image's config `<hex>.json` and layers `<id>/layer.tar` or
 * `<hex>.tar`), and Docker 25+'s, an OCI layout with the same
 * `manifest.json` beside it (config and layers `blobs/sha256/<hex>`). Both
 * are read through `manifest.json`. Nothing is extracted: the tar's entries
 * are indexed once (archive-files.ts, hostile entries refused) and each
 * layer is streamed as a byte range of the file when it is pushed.
 *
 * The image is chosen as skopeo's docker-archive transport chooses it
 * (containers/image, docker/internal/tarfile/reader.go,
 * ChooseManifestItem): `:NAME:TAG` is the image with that tag among its
 * RepoTags (both normalised, `web:v1` is `docker.io/library/web:v1`), `:@N`
 * the N-th image (from 0), none the only image there is.
 */
import { InputError } from '../errors.js'
import { MAX_MANIFEST_BYTES, SHA256_DIGEST } from '../oci.js'
import type { ComposedImage, ComposedLayer, LayerCompression } from '../registry/compose.js'
import { WINDOW } from '../registry/gzip-stream.js'
import { ContentError, checkManifestCount, sha256Digest } from '../registry/content.js'
import { ArchiveFiles, cleanName } from './archive-files.js'
import { heldNames } from './oci-layout.js'

/** No image has more layers (overlay stacks end at 128; Docker refuses more than 125). */
const MAX_LAYERS = 1000

/** One image as `manifest.json` lists it. */
interface ManifestItem {
  Config?: unknown
  RepoTags?: unknown
  Layers?: unknown
}

/** An image of the docker archive `file`, chosen by `ref` (`name:tag`, `@N` or ''). */
export class DockerArchiveSource {
  readonly label: string
  private readonly files: ArchiveFiles

  constructor(
    file: string,
    private readonly ref: string
  ) {
    this.label = `docker-archive:${file}${ref ? `:${ref}` : ''}`
    this.files = new ArchiveFiles(file, this.label, {
      noun: 'docker archive',
      article: 'a',
      madeBy: 'as docker save and podman save --format docker-archive write it',
      keepsLinks: true
    })
  }

  /**
   * The image, checked without reading a layer: the config present and
   * matching its name, every layer present, one diffID for each. A problem
   * is an input error naming the archive: nothing is pushed of it.
   */
  async inspect(): Promise<ComposedImage> {
    try {
      return await this.image()
    } catch (error) {
      if (error instanceof ContentError) {
        throw new InputError(`${error.message}. Nothing was pushed.`)
      }
      throw error
    }
  }

  private async image(): Promise<ComposedImage> {
    const item = await this.choose()
    if (typeof item.Config !== 'string') {
      throw new ContentError(`${this.label}: its manifest.json names no Config for the image`)
    }
    const configName = cleanName(item.Config, this.label)
    this.refuseLink(configName)
    const bytes = await this.files.read(configName, MAX_MANIFEST_BYTES)
    if (!bytes) throw new ContentError(`${this.label}: its config "${configName}" is missing`)
    const digest = sha256Digest(bytes)
    // The config's name is its digest in either layout (`<hex>.json`, `blobs/sha256/<hex>`).
    const named = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(configName)?.[1]
    if (named && `sha256:${named}` !== digest) {
      throw new ContentError(
        `${this.label}: its config "${configName}" has the sha256 "${digest}": its bytes are not what its name says, the archive is corrupt`
      )
    }
    const diffIds = diffIdsOf(bytes, this.label)
    const names = Array.isArray(item.Layers) ? (item.Layers as unknown[]) : undefined
    if (!names || !names.every(name => typeof name === 'string')) {
      throw new ContentError(`${this.label}: its manifest.json lists no Layers for the image`)
    }
    if (names.length > MAX_LAYERS) {
      throw new ContentError(
        `${this.label}: its manifest.json lists ${names.length} layers, more than ${MAX_LAYERS}: no image has that many, the archive is broken or hostile`
      )
    }
    if (names.length !== diffIds.length) {
      throw new ContentError(
        `${this.label}: its manifest.json lists ${names.length} layers where the image's config lists ${diffIds.length} (rootfs.diff_ids): the archive is corrupt`
      )
    }
    const layers = await Promise.all(
      names.map(async (given, index): Promise<ComposedLayer> => {
        const name = cleanName(given, this.label)
        this.refuseLink(name)
        const entry = this.files.get(name)
        if (!entry) {
          throw new ContentError(
            `${this.label}: layer "${name}" is missing from the archive (an image whose layers were left out is not pushable)`
          )
        }
        const head = await this.files.readAt(entry, 0, 4, name)
        return {
          diffId: diffIds[index],
          compression: compressionOf(head),
          size: entry.size,
          // A window of the compressor a read: its level is decided per window, with nothing to join.
          open: () => this.files.stream(entry, WINDOW)
        }
      })
    )
    return { label: this.label, config: { digest, bytes }, layers }
  }

  /** A file manifest.json names must be a plain file: a link is never followed (it could point anywhere). */
  private refuseLink(name: string): void {
    const link = this.files.linkKind(name)
    if (link) {
      throw new InputError(
        `"${this.label}" holds "${name}", a ${link}, where its manifest.json names a file: harbor-push follows no link in an archive. Nothing was pushed.`
      )
    }
  }

  /** The item of manifest.json that `ref` names; an input error saying what the archive holds otherwise. */
  private async choose(): Promise<ManifestItem> {
    this.refuseLink('manifest.json')
    const bytes = await this.files.read('manifest.json', MAX_MANIFEST_BYTES)
    if (!bytes) {
      throw new InputError(
        `"${this.label}" holds no manifest.json: it is not a docker archive (docker save, podman save --format docker-archive). Nothing was pushed.`
      )
    }
    let items: ManifestItem[]
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as unknown
      if (!Array.isArray(parsed)) throw new Error('not a list of images')
      items = (parsed as unknown[]).map(item =>
        typeof item === 'object' && item !== null ? (item as ManifestItem) : {}
      )
    } catch (error) {
      throw new InputError(
        `"${this.label}": its manifest.json cannot be read (${error instanceof Error ? error.message : String(error)}). Nothing was pushed.`
      )
    }
    checkManifestCount(this.label, items.length)
    const tagsOf = (item: ManifestItem): string[] =>
      Array.isArray(item.RepoTags)
        ? item.RepoTags.filter((tag): tag is string => typeof tag === 'string')
        : []
    const held = heldNames(items.flatMap(tagsOf))
    const index = /^@(\d+)$/.exec(this.ref)?.[1]
    if (index !== undefined) {
      const item = items[Number(index)]
      if (!item) {
        throw new InputError(
          `"${this.label}" holds ${items.length} ${items.length === 1 ? 'image' : 'images'}: "@${index}" names none (the first is @0). Nothing was pushed.`
        )
      }
      return item
    }
    if (!this.ref) {
      if (items.length !== 1) {
        throw new InputError(
          `"${this.label}" holds ${items.length} images, not one${held ? ` (${held})` : ''}: name one after the path, as ":NAME:TAG" or ":@N". Nothing was pushed.`
        )
      }
      return items[0]
    }
    const wanted = normalisedName(this.ref)
    const item = items.find(candidate =>
      tagsOf(candidate).some(tag => normalisedName(tag) === wanted)
    )
    if (!item) {
      throw new InputError(
        `"${this.label}" holds no image tagged "${this.ref}"${held ? ` (${held})` : ''}. Nothing was pushed.`
      )
    }
    return item
  }
}

/** The config's `rootfs.diff_ids`, each a sha256 digest. */
function diffIdsOf(config: Buffer, label: string): string[] {
  let parsed: { rootfs?: { diff_ids?: unknown } }
  try {
    parsed = JSON.parse(config.toString('utf8')) as typeof parsed
  } catch {
    throw new ContentError(`${label}: the image's config is not JSON`)
  }
  const diffIds = parsed?.rootfs?.diff_ids
  if (
    !Array.isArray(diffIds) ||
    !diffIds.every(id => typeof id === 'string' && SHA256_DIGEST.test(id))
  ) {
    throw new ContentError(
      `${label}: the image's config lists no rootfs.diff_ids of sha256 digests: it is not an image config`
    )
  }
  return diffIds as string[]
}

/** How a layer is stored, from its first bytes: gzip (1f 8b), zstd (28 b5 2f fd), else a plain tar. */
export function compressionOf(head: Buffer): LayerCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip'
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd'
  return 'none'
}

/**
 * `name:tag` as distribution/reference's ParseNormalizedNamed writes it: a
 * first component that is no host (no `.` or `:`, not `localhost`) is on
 * docker.io, and a one-component name there is in `library/`.
 */
export function normalisedName(reference: string): string {
  const slash = reference.indexOf('/')
  const first = slash === -1 ? '' : reference.slice(0, slash)
  const isHost = first !== '' && (/[.:]/.test(first) || first === 'localhost')
  let domain = isHost ? first : 'docker.io'
  let rest = isHost ? reference.slice(slash + 1) : reference
  if (domain === 'index.docker.io') domain = 'docker.io'
  if (domain === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`
  return `${domain}/${rest}`
}
