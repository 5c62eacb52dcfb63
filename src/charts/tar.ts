/**
 * Just enough of tar to read one file out of a packaged chart (`.tgz`):
 * ustar names with their prefix, GNU long names and pax `path` records, which
 * is what `helm package` and common tar tools write. No tool is run, so a
 * chart archive can be checked before helm is even installed.
 */
import fs from 'node:fs'
import zlib from 'node:zlib'

const BLOCK = 512
/** A chart archive larger than this unpacked is refused rather than read into memory. */
const MAX_UNPACKED_BYTES = 256 * 1024 * 1024

/**
 * The content of the first regular file in the gzip'd tar `file` whose path
 * satisfies `wanted`, or undefined when there is none. Throws when the file
 * is not a gzip'd tar.
 */
export function readFromTgz(file: string, wanted: (path: string) => boolean): Buffer | undefined {
  const tar = zlib.gunzipSync(fs.readFileSync(file), { maxOutputLength: MAX_UNPACKED_BYTES })
  let longName: string | undefined
  for (let offset = 0; offset < tar.length;) {
    const header = tar.subarray(offset, offset + BLOCK)
    if (header.every(byte => byte === 0)) break
    if (header.length < BLOCK) throw new Error('the tar archive ends in the middle of a header')
    checkChecksum(header, offset)
    const size = readSize(header.subarray(124, 136))
    const type = String.fromCharCode(header[156] || 0x30)
    const body = tar.subarray(offset + BLOCK, offset + BLOCK + size)
    if (body.length < size) throw new Error('the tar archive ends in the middle of a file')
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK

    if (type === 'L') {
      longName = cString(body)
      continue
    }
    if (type === 'x') {
      longName = paxPath(body) ?? longName
      continue
    }
    const prefix = cString(header.subarray(345, 500))
    const name = longName ?? (prefix ? `${prefix}/` : '') + cString(header.subarray(0, 100))
    longName = undefined
    if ((type === '0' || type === '\0' || type === '7') && wanted(name.replace(/^\.\//, ''))) {
      return Buffer.from(body)
    }
  }
  return undefined
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
    return size
  }
  const text = cString(field).trim()
  const size = text === '' ? 0 : parseInt(text, 8)
  if (!Number.isSafeInteger(size) || size < 0) throw new Error('a tar header has an invalid size')
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

/** The `path` of a pax extended header: records `<length> <key>=<value>\n`. */
function paxPath(body: Buffer): string | undefined {
  let found: string | undefined
  for (let offset = 0; offset < body.length;) {
    const space = body.indexOf(0x20, offset)
    if (space === -1) break
    const length = parseInt(body.subarray(offset, space).toString('utf8'), 10)
    if (!Number.isInteger(length) || length <= 0) break
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8')
    const equals = record.indexOf('=')
    if (record.slice(0, equals) === 'path') found = record.slice(equals + 1)
    offset += length
  }
  return found
}
