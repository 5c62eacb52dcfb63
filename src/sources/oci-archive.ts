/**
 * OCI archives (`podman save --format oci-archive`, `buildx --output
 * type=oci`) read in place: a tar of an OCI layout. Its entries are indexed
 * once (where each file's bytes lie) and every blob is then streamed as a
 * byte range of the archive: nothing is extracted, nothing held in memory.
 * skopeo, by contrast, unpacks the whole archive to a temporary folder first.
 *
 * An archive comes from another job and is checked as hostile: links,
 * absolute paths, `..`, devices, a name given twice and sizes beyond the
 * file are refused before anything is pushed; a blob whose bytes do not
 * hash to its name fails its push (oci-layout.ts checks on the way).
 */
import fs from 'node:fs'
import { InputError, messageOf } from '../errors.js'
import { ContentError } from '../registry/content.js'
import { type TarEntryLocation, tarEntries } from '../tar.js'
import { type LayoutFiles, LayoutSource } from './oci-layout.js'

/** An image of the OCI archive `file`, chosen by `ref` as in a layout. */
export function ociArchiveSource(file: string, ref: string): LayoutSource {
  const label = `oci-archive:${file}${ref ? `:${ref}` : ''}`
  let index: Map<string, TarEntryLocation> | undefined
  const entries = (): Map<string, TarEntryLocation> => (index ??= indexArchive(file, label))
  const files: LayoutFiles = {
    async read(name, maxBytes) {
      const entry = entries().get(name)
      if (!entry) return undefined
      if (entry.size > maxBytes) {
        throw new ContentError(`${label}: "${name}" is ${entry.size} bytes, too large`)
      }
      const handle = await fs.promises.open(file)
      try {
        const bytes = Buffer.alloc(entry.size)
        const { bytesRead } = await handle.read(bytes, 0, entry.size, entry.offset)
        if (bytesRead !== entry.size) throw new ContentError(`${label}: "${name}" is cut short`)
        return bytes
      } finally {
        await handle.close()
      }
    },
    open(name) {
      const entry = entries().get(name)
      if (!entry) return undefined
      const body =
        entry.size === 0
          ? emptyBody()
          : fs.createReadStream(file, { start: entry.offset, end: entry.offset + entry.size - 1 })
      return { size: entry.size, body }
    },
    size: name => entries().get(name)?.size
  }
  return new LayoutSource(files, ref, label)
}

/** The files of the archive by their cleaned name (`./blobs/x` is `blobs/x`); hostile entries refused. */
function indexArchive(file: string, label: string): Map<string, TarEntryLocation> {
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
    let located: TarEntryLocation[]
    try {
      located = tarEntries(read, total)
    } catch (error) {
      throw new InputError(
        `"${label}" is not a readable OCI archive (${messageOf(error)}): check that it is an uncompressed tar, as podman save --format oci-archive writes it. Nothing was pushed.`
      )
    }
    const files = new Map<string, TarEntryLocation>()
    for (const entry of located) {
      const name = cleanName(entry.name, label)
      if (entry.kind === 'folder') continue
      if (entry.kind !== 'file') {
        throw new InputError(
          `"${label}" holds "${entry.name}", a ${entry.kind === 'other' ? 'special file' : entry.kind}: an OCI archive holds plain files only, and harbor-push reads no other kind. Nothing was pushed.`
        )
      }
      if (files.has(name)) {
        throw new InputError(
          `"${label}" holds "${name}" twice: which one counts is ambiguous. Nothing was pushed.`
        )
      }
      files.set(name, entry)
    }
    return files
  } finally {
    fs.closeSync(fd)
  }
}

/** The name without `./`; absolute names and `..` are refused (they point outside the layout). */
function cleanName(name: string, label: string): string {
  const parts = name.split('/').filter(part => part !== '' && part !== '.')
  if (name.startsWith('/') || parts.includes('..')) {
    throw new InputError(
      `"${label}" holds "${name}", a path outside the archive's own folder: refused. Nothing was pushed.`
    )
  }
  return parts.join('/')
}

async function* emptyBody(): AsyncIterable<Uint8Array> {}
