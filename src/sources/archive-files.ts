/**
 * The files of an archive read in place (an OCI archive, a docker archive):
 * its tar entries are indexed once (where each file's bytes lie) and every
 * file is then read or streamed as a byte range of the archive. Nothing is
 * extracted, nothing held in memory whole.
 *
 * An archive comes from another job and is checked as hostile: links,
 * absolute paths, `..`, devices, a name given twice and sizes beyond the
 * file are refused before anything is pushed.
 */
import fs from 'node:fs'
import { InputError, messageOf } from '../errors.js'
import { ContentError } from '../registry/content.js'
import { type TarEntryLocation, tarEntries } from '../tar.js'

/** How errors name a kind of archive and say how it is made. */
export interface ArchiveKind {
  /** `OCI archive`, `docker archive` */
  noun: string
  /** `an`, `a`: what goes before the noun */
  article: 'a' | 'an'
  /**
   * Links are kept as names that are never read, not refused: podman and
   * Docker 25+ write `<id>/layer.tar` links beside the files manifest.json
   * names (for readers of the older layout). Any other kind is refused.
   */
  keepsLinks?: boolean
  /** `as podman save --format oci-archive writes it` */
  madeBy: string
}

/** The files of one archive, by their cleaned name (`./blobs/x` is `blobs/x`). */
export class ArchiveFiles {
  private index?: Map<string, TarEntryLocation>
  /** Links the archive holds (when its kind keeps them): never read, only named in errors. */
  private readonly links = new Map<string, string>()

  constructor(
    readonly file: string,
    /** `oci-archive:/path:ref`: how errors name it. */
    readonly label: string,
    private readonly kind: ArchiveKind
  ) {}

  /** Every file, indexed on first use; hostile entries refused (an InputError). */
  entries(): Map<string, TarEntryLocation> {
    this.index ??= indexArchive(this.file, this.label, this.kind, this.links)
    return this.index
  }

  /** `symbolic link`, `hard link` when `name` is a link the archive holds. */
  linkKind(name: string): string | undefined {
    this.entries()
    return this.links.get(name)
  }

  get(name: string): TarEntryLocation | undefined {
    return this.entries().get(name)
  }

  /** A small file's bytes; undefined when there is none, a ContentError when larger than `maxBytes`. */
  async read(name: string, maxBytes: number): Promise<Buffer | undefined> {
    const entry = this.get(name)
    if (!entry) return undefined
    if (entry.size > maxBytes) {
      throw new ContentError(`${this.label}: "${name}" is ${entry.size} bytes, too large`)
    }
    return this.readAt(entry, 0, entry.size, name)
  }

  /** `length` bytes of `entry` from `start` (fewer when the entry is shorter). */
  async readAt(
    entry: TarEntryLocation,
    start: number,
    length: number,
    name = entry.name
  ): Promise<Buffer> {
    const wanted = Math.max(0, Math.min(length, entry.size - start))
    const handle = await fs.promises.open(this.file)
    try {
      const bytes = Buffer.alloc(wanted)
      const { bytesRead } = await handle.read(bytes, 0, wanted, entry.offset + start)
      if (bytesRead !== wanted) throw new ContentError(`${this.label}: "${name}" is cut short`)
      return bytes
    } finally {
      await handle.close()
    }
  }

  /** The bytes of `entry`, streamed from the file (a new stream each call), `chunkBytes` a read. */
  stream(entry: TarEntryLocation, chunkBytes?: number): AsyncIterable<Uint8Array> {
    return entry.size === 0
      ? emptyBody()
      : fs.createReadStream(this.file, {
          start: entry.offset,
          end: entry.offset + entry.size - 1,
          ...(chunkBytes ? { highWaterMark: chunkBytes } : {})
        })
  }
}

/** The files of the archive by their cleaned name; hostile entries refused. */
function indexArchive(
  file: string,
  label: string,
  kind: ArchiveKind,
  links: Map<string, string>
): Map<string, TarEntryLocation> {
  let fd: number
  try {
    fd = fs.openSync(file, 'r')
  } catch (error) {
    throw new InputError(
      `"${label}" cannot be opened (${messageOf(error)}): check the path. Nothing was pushed.`
    )
  }
  try {
    const total = fs.fstatSync(fd).size
    const read = (offset: number, length: number): Buffer => {
      const bytes = Buffer.alloc(Math.max(0, Math.min(length, total - offset)))
      const bytesRead = bytes.length > 0 ? fs.readSync(fd, bytes, 0, bytes.length, offset) : 0
      return bytes.subarray(0, bytesRead)
    }
    const head = read(0, 2)
    if (head[0] === 0x1f && head[1] === 0x8b) {
      // Read in place means read at any offset: a compressed stream has none to read at.
      throw new InputError(
        `"${label}" is gzip-compressed: harbor-push reads ${kind.article} ${kind.noun} in place, as an uncompressed tar (${kind.madeBy.replace(/^as /, '')}); gunzip it first. Nothing was pushed.`
      )
    }
    let located: TarEntryLocation[]
    try {
      located = tarEntries(read, total)
    } catch (error) {
      throw new InputError(
        `"${label}" is not a readable ${kind.noun} (${messageOf(error)}): check that it is an uncompressed tar, ${kind.madeBy}. Nothing was pushed.`
      )
    }
    const files = new Map<string, TarEntryLocation>()
    for (const entry of located) {
      const name = cleanName(entry.name, label)
      if (entry.kind === 'folder') continue
      if (files.has(name) || links.has(name)) {
        throw new InputError(
          `"${label}" holds "${name}" twice: which one counts is ambiguous. Nothing was pushed.`
        )
      }
      const isLink = entry.kind === 'symbolic link' || entry.kind === 'hard link'
      if (isLink && kind.keepsLinks) {
        links.set(name, entry.kind)
        continue
      }
      if (entry.kind !== 'file') {
        throw new InputError(
          `"${label}" holds "${entry.name}", a ${entry.kind === 'other' ? 'special file' : entry.kind}: ${kind.article} ${kind.noun} holds plain files only, and harbor-push reads no other kind. Nothing was pushed.`
        )
      }
      files.set(name, entry)
    }
    return files
  } finally {
    fs.closeSync(fd)
  }
}

/** The name without `./`; absolute names and `..` are refused (they point outside the archive). */
export function cleanName(name: string, label: string): string {
  const parts = name.split('/').filter(part => part !== '' && part !== '.')
  if (name.startsWith('/') || parts.includes('..')) {
    throw new InputError(
      `"${label}" holds "${name}", a path outside the archive's own folder: refused. Nothing was pushed.`
    )
  }
  return parts.join('/')
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
