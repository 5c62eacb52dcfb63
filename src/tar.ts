/**
 * Reads a tar archive the way Go's archive/tar does, since that is the reader
 * helm uses: ustar names with their prefix, GNU long names, pax `path` and
 * `size` records, the end-of-archive marker. Whatever Go could read
 * differently (ambiguous extension headers, sparse files, unknown entry
 * types, data after the end) is an error or an entry of kind `other`, never
 * a guess. No tool is run, so a chart archive can be checked before helm is
 * even installed. The same walk indexes an OCI archive in place: where each
 * entry's content lies, read from the file header by header, never whole.
 */

const BLOCK = 512

/** What an entry is; links and devices carry no content of their own. */
export type EntryKind = 'file' | 'folder' | 'symbolic link' | 'hard link' | 'other'

export interface TarEntry {
  /** The path as stored, after the extension headers. */
  name: string
  kind: EntryKind
  /** The content; empty for everything but files. */
  body: Buffer
}

/** Where an entry's content lies in the archive. */
export interface TarEntryLocation {
  /** The path as stored, after the extension headers. */
  name: string
  kind: EntryKind
  /** Byte offset of the content in the archive. */
  offset: number
  /** Bytes of content; 0 for everything but files. */
  size: number
}

/** Reads up to `length` bytes at `offset` (fewer at the end of the archive). */
export type ReadAt = (offset: number, length: number) => Buffer

/** An extension header (long name, pax records) larger than this is refused, not read. */
const MAX_EXTENSION_BYTES = 1 << 20

const KINDS: Record<string, EntryKind> = {
  '\0': 'file',
  '0': 'file',
  '7': 'file',
  '1': 'hard link',
  '2': 'symbolic link',
  '5': 'folder'
}
/** Entry types whose size field Go ignores: no content follows their header. */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6'])
/** The file-type bits of the mode field, which Go also reads the kind from. */
const MODE_TYPE = 0o170000
const MODE_TYPES: Partial<Record<EntryKind, number>> = { file: 0o100000, folder: 0o040000 }

/** Every entry of the uncompressed tar `tar`; throws when it is not a tar archive or is ambiguous. */
export function readTar(tar: Buffer): TarEntry[] {
  const readAt: ReadAt = (offset, length) => tar.subarray(offset, offset + length)
  return tarEntries(readAt, tar.length).map(({ name, kind, offset, size }) => ({
    name,
    kind,
    body: kind === 'file' ? tar.subarray(offset, offset + size) : Buffer.alloc(0)
  }))
}

/**
 * Where every entry of an uncompressed tar of `total` bytes lies, read
 * through `read`: headers and extension headers only, never a file's
 * content. Throws when it is not a tar archive, is ambiguous, or claims
 * content beyond its end.
 */
export function tarEntries(read: ReadAt, total: number): TarEntryLocation[] {
  const entries: TarEntryLocation[] = []
  let longName: string | undefined
  let pax: Map<string, string> | undefined
  for (let offset = 0; offset < total;) {
    const header = read(offset, BLOCK)
    if (header.every(byte => byte === 0)) {
      // Go stops at two zero blocks and refuses a zero block followed by anything else.
      if (!read(offset + BLOCK, BLOCK).every(byte => byte === 0)) {
        throw new Error(`the tar archive goes on after its end marker (byte ${offset})`)
      }
      break
    }
    if (header.length < BLOCK) throw new Error('the tar archive ends in the middle of a header')
    checkChecksum(header, offset)
    const type = String.fromCharCode(header[156])
    const paxSize = pax?.get('size')
    const size = HEADER_ONLY.has(type)
      ? 0
      : paxSize !== undefined
        ? readPaxSize(paxSize)
        : readSize(header.subarray(124, 136))
    const contentOffset = offset + BLOCK
    if (contentOffset + size > total)
      throw new Error('the tar archive ends in the middle of a file')
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK

    if (type === 'L' || type === 'x') {
      if (size > MAX_EXTENSION_BYTES)
        throw new Error('the tar archive has an oversized extended header')
      const body = read(contentOffset, size)
      // Go keeps only the last of several, and gives a GNU long name and a pax path each
      // their own precedence: an archive that has both kinds, or two of one, is ambiguous.
      if (longName !== undefined || pax !== undefined) {
        throw new Error('the tar archive has two extended headers for one entry')
      }
      if (type === 'L') longName = cString(body)
      else pax = paxRecords(body)
      continue
    }
    if (type === 'g') {
      // Go returns a global header as an entry of its own, dropping what came before it.
      if (longName !== undefined || pax !== undefined) {
        throw new Error('the tar archive has an extended header before a global one')
      }
      continue
    }
    if (type === 'K') continue // a link's long target: links are refused by kind anyway

    const name = pax?.get('path') ?? longName ?? headerName(header)
    const sparse = [...(pax?.keys() ?? [])].some(key => key.startsWith('GNU.sparse.'))
    longName = undefined
    pax = undefined
    const kind = sparse ? 'other' : kindOf(type, name, readOctal(header.subarray(100, 108)))
    entries.push({ name, kind, offset: contentOffset, size: kind === 'file' ? size : 0 })
  }
  return entries
}

function kindOf(type: string, name: string, mode: number): EntryKind {
  // Go reads an old-style entry (type NUL) whose name ends in "/" as a folder.
  const kind = type === '\0' && name.endsWith('/') ? 'folder' : (KINDS[type] ?? 'other')
  const modeType = mode & MODE_TYPE
  return modeType === 0 || modeType === MODE_TYPES[kind] ? kind : 'other'
}

/** ustar splits long paths into prefix and name; GNU and old (v7) headers have no prefix. */
function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100))
  const ustar = header.subarray(257, 265).toString('latin1') === 'ustar\u000000'
  if (!ustar) return name
  // star archives end the header with "tar\0" and keep a shorter prefix.
  const star = header.subarray(508, 512).toString('latin1') === 'tar\u0000'
  const prefix = cString(header.subarray(345, star ? 476 : 500))
  return prefix ? `${prefix}/${name}` : name
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0)
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8')
}

/** Octal, or base-256 when the first byte has its high bit set (GNU, for large files). */
function readSize(field: Buffer): number {
  if (field[0] & 0x80) {
    let size = field[0] & 0x7f
    for (const byte of field.subarray(1)) size = size * 256 + byte
    if (!Number.isSafeInteger(size)) throw new Error('a tar header has an invalid size')
    return size
  }
  return readOctal(field)
}

function readOctal(field: Buffer): number {
  const text = cString(field).trim()
  if (!/^[0-7]*$/.test(text)) throw new Error('a tar header has an invalid number')
  const value = text === '' ? 0 : parseInt(text, 8)
  if (!Number.isSafeInteger(value)) throw new Error('a tar header has an invalid number')
  return value
}

function readPaxSize(text: string): number {
  const size = /^\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(size)) throw new Error(`a pax header has an invalid size "${text}"`)
  return size
}

function checkChecksum(header: Buffer, offset: number): void {
  const stored = parseInt(cString(header.subarray(148, 156)).trim(), 8)
  let sum = 0
  for (let index = 0; index < BLOCK; index++) {
    sum += index >= 148 && index < 156 ? 0x20 : header[index]
  }
  if (stored !== sum) throw new Error(`not a tar archive (bad header checksum at byte ${offset})`)
}

/** The records of a pax extended header: `<length> <key>=<value>\n` each. */
function paxRecords(body: Buffer): Map<string, string> {
  const records = new Map<string, string>()
  for (let offset = 0; offset < body.length && body[offset] !== 0;) {
    const space = body.indexOf(0x20, offset)
    const length = space === -1 ? NaN : Number(body.subarray(offset, space).toString('latin1'))
    const record = body.subarray(space + 1, offset + length)
    const equals = record.indexOf('=')
    if (!Number.isSafeInteger(length) || length <= 0 || record.at(-1) !== 0x0a || equals < 1) {
      throw new Error('a pax extended header is malformed')
    }
    const key = record.subarray(0, equals).toString('utf8')
    const value = record.subarray(equals + 1, -1).toString('utf8')
    if (key === 'path' && value.includes('\0')) throw new Error('a pax path holds a NUL byte')
    records.set(key, value)
    offset += length
  }
  return records
}
