/**
 * Hand-made chart archives: a minimal ustar writer, so that tests can build
 * the archives that no tar tool writes on purpose (two top-level folders,
 * `../` names, absolute names, links, extension headers, a huge Chart.yaml).
 */
import zlib from 'node:zlib'

export interface CraftedEntry {
  /** The name exactly as stored (at most 100 bytes; use a pax or GNU entry for longer ones). */
  name: string
  body?: string | Buffer
  /** The typeflag: '0' file (default), '1' hard link, '2' symlink, '5' folder, 'x' pax, 'L' GNU long name, ... */
  type?: string
  linkName?: string
  /** The mode field, file-type bits included when wanted; 0o644 by default. */
  mode?: number
  /** The size field when it must lie about the body. */
  size?: number
}

const BLOCK = 512

/** One ustar header block. */
function header(entry: CraftedEntry, size: number): Buffer {
  const block = Buffer.alloc(BLOCK)
  const field = (offset: number, length: number, text: string): void => {
    if (Buffer.byteLength(text) > length) throw new Error(`"${text}" does not fit the tar field`)
    block.write(text, offset, length, 'utf8')
  }
  const octal = (offset: number, length: number, value: number): void =>
    field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`)
  field(0, 100, entry.name)
  octal(100, 8, entry.mode ?? 0o644)
  octal(108, 8, 0)
  octal(116, 8, 0)
  octal(124, 12, entry.size ?? size)
  octal(136, 12, 1_700_000_000)
  field(156, 1, entry.type ?? '0')
  field(157, 100, entry.linkName ?? '')
  field(257, 8, 'ustar\u000000')
  block.fill(0x20, 148, 156)
  const sum = block.reduce((total, byte) => total + byte, 0)
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `)
  return block
}

/** A pax record `<length> <key>=<value>\n` (the length counts itself). */
export function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`
  let length = Buffer.byteLength(rest) + 1
  while (String(length).length + Buffer.byteLength(rest) !== length) length++
  return `${length}${rest}`
}

/** The uncompressed tar of `entries`, with the end-of-archive marker unless told otherwise. */
export function tarOf(entries: readonly CraftedEntry[], endMarker = true): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '')
    parts.push(
      header(entry, body.length),
      body,
      Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)
    )
  }
  if (endMarker) parts.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(parts)
}

/** The gzip'd tar of `entries`: a `.tgz` as helm would be handed it. */
export function tgzOf(entries: readonly CraftedEntry[]): Buffer {
  return zlib.gzipSync(tarOf(entries))
}

/** A Chart.yaml text. */
export function chartYaml(name: string, version = '1.0.0', extra = ''): string {
  return `apiVersion: v2\nname: ${name}\nversion: ${version}\n${extra}`
}

/**
 * A chart whose Chart.yaml holds a `description` of `mebibytes` MiB: a few
 * hundred KB once compressed, and far too much to parse.
 */
export function hugeChartTgz(name: string, mebibytes: number): Buffer {
  const description = Buffer.alloc(mebibytes * 1024 * 1024, 'a')
  const body = Buffer.concat([Buffer.from(`${chartYaml(name)}description: `), description])
  return tgzOf([{ name: `${name}/Chart.yaml`, body }])
}
