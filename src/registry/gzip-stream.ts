/**
 * gzip of a byte stream, as it streams, in libuv's thread pool (node:zlib):
 * level 1, except that a window of bytes that does not compress (already
 * compressed files in a layer, random bytes) is stored, not compressed.
 * At level 1 zlib takes longer over such bytes than over text, and ten
 * times longer than storing them; the Go compressor under skopeo
 * (klauspost/compress, through pgzip) likewise hurries through
 * incompressible data and stores what does not shrink.
 *
 * The output depends on the input bytes only (each window's level is
 * decided from its own bytes, and the level changes between writes once
 * zlib has flushed), so one layer compressed twice (a retry, another run)
 * gives the same blob and digest.
 *
 * The levels were measured (README, "How archives and layouts are pushed").
 */
import { once } from 'node:events'
import { Readable } from 'node:stream'
import zlib from 'node:zlib'

/** The gzip level of bytes that compress. */
export const GZIP_LEVEL = 1

/** Bytes whose level is decided at once: a read of the source, a chunk of output. */
export const WINDOW = 1 << 20
/** Samples of a window compressed to decide its level, and their size. */
const SAMPLES = 4
const SAMPLE_BYTES = 8 * 1024
/** A sample that level 1 shrinks by less than this share is taken as incompressible. */
const STORED_ABOVE = 0.97

/**
 * The gzip header (RFC 1952): deflate, no name, no time (so the output
 * depends on the bytes only), "fastest" (XFL 4, as zlib writes it for level
 * 1), Unix. zlib's own gzip streams cannot change their level midway
 * (node applies params() to deflate streams only), so the deflate stream is
 * raw and the header and trailer are written here.
 */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3])

/** `input` gzip-compressed; `seen` is told every input byte, in order, as it is read. */
export async function* gzipStream(
  input: AsyncIterable<Uint8Array>,
  seen: (chunk: Uint8Array) => void
): AsyncIterable<Uint8Array> {
  if (typeof zlib.crc32 !== 'function') {
    // Node before 20.15 has no crc32 to write the trailer with: zlib's own gzip, at level 1 throughout.
    yield* plainGzip(input, seen)
    return
  }
  // Output in windows too: with zlib's 16 KiB chunks, handing each over cost more than the deflating.
  const deflate = zlib.createDeflateRaw({ level: GZIP_LEVEL, chunkSize: WINDOW })
  // An error closes it too (once() rejects on one): either way, nothing more is written.
  const closed = once(deflate, 'close').then(
    () => undefined,
    () => undefined
  )
  const trailer = { crc: 0, size: 0 }
  const feeding = feed(
    input,
    deflate,
    chunk => {
      trailer.crc = zlib.crc32(chunk, trailer.crc)
      trailer.size += chunk.length
      seen(chunk)
    },
    closed
  ).catch((error: unknown) =>
    deflate.destroy(error instanceof Error ? error : new Error(String(error)))
  )
  try {
    yield GZIP_HEADER
    for await (const chunk of deflate as AsyncIterable<Buffer>) yield chunk
    await feeding
    // CRC-32 and the size modulo 2^32, little-endian.
    const end = Buffer.alloc(8)
    end.writeUInt32LE(trailer.crc >>> 0, 0)
    end.writeUInt32LE(trailer.size % 2 ** 32, 4)
    yield end
  } finally {
    deflate.destroy()
  }
}

/** Writes `input` to `deflate` window by window, each at its level; stops when `deflate` closes. */
async function feed(
  input: AsyncIterable<Uint8Array>,
  deflate: zlib.DeflateRaw,
  seen: (chunk: Uint8Array) => void,
  closed: Promise<void>
): Promise<void> {
  let level = GZIP_LEVEL
  for await (const window of windows(input)) {
    seen(window)
    const wanted = compresses(window) ? GZIP_LEVEL : 0
    if (wanted !== level) {
      // params() flushes what was written, then changes the level: every later byte gets the new one.
      const changed = new Promise<void>(resolve =>
        deflate.params(wanted, zlib.constants.Z_DEFAULT_STRATEGY, () => resolve())
      )
      if ((await Promise.race([changed.then(() => 'changed'), closed])) === undefined) return
      level = wanted
    }
    if (!deflate.write(window)) {
      const drained = once(deflate, 'drain').then(() => 'drained')
      if ((await Promise.race([drained, closed])) === undefined) return
    }
  }
  deflate.end()
}

async function* plainGzip(
  input: AsyncIterable<Uint8Array>,
  seen: (chunk: Uint8Array) => void
): AsyncIterable<Uint8Array> {
  const gzip = zlib.createGzip({ level: GZIP_LEVEL })
  const source = Readable.from(input).on('data', seen)
  source.on('error', error => gzip.destroy(error))
  source.pipe(gzip)
  try {
    yield* gzip as AsyncIterable<Buffer>
  } finally {
    source.destroy()
    gzip.destroy()
  }
}

/** The stream in windows of WINDOW bytes (the last one shorter). */
async function* windows(input: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  let held: Buffer[] = []
  let size = 0
  for await (const chunk of input) {
    if (size === 0 && chunk.length === WINDOW) {
      // Read a window at a time (docker-archive.ts does): nothing to join.
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      continue
    }
    held.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    size += chunk.length
    while (size >= WINDOW) {
      const joined = Buffer.concat(held, size)
      yield joined.subarray(0, WINDOW)
      held = size > WINDOW ? [joined.subarray(WINDOW)] : []
      size -= WINDOW
    }
  }
  if (size > 0) yield Buffer.concat(held, size)
}

/** Whether level 1 shrinks samples spread over `window` (a few per cent of its bytes, compressed here). */
export function compresses(window: Buffer): boolean {
  const step = Math.max(SAMPLE_BYTES, Math.floor(window.length / SAMPLES))
  let raw = 0
  let packed = 0
  for (let start = 0; start < window.length; start += step) {
    const sample = window.subarray(start, start + SAMPLE_BYTES)
    raw += sample.length
    packed += zlib.deflateRawSync(sample, { level: GZIP_LEVEL }).length
  }
  return raw === 0 || packed < raw * STORED_ABOVE
}
