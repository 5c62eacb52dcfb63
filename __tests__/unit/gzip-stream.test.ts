/**
 * gzip as it streams: level 1 for bytes that compress, stored windows for
 * bytes that do not (random bytes, compressed files), the same output for
 * the same input, every byte seen once, and a consumer that stops early
 * leaves nothing running.
 */
import crypto from 'node:crypto'
import zlib from 'node:zlib'
import { describe, expect, test } from '@jest/globals'
import { compresses, gzipStream } from '../../src/registry/gzip-stream.js'

async function* chunks(bytes: Buffer, size = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) {
    await Promise.resolve()
    yield bytes.subarray(start, start + size)
  }
}

async function gzipOf(bytes: Buffer): Promise<{ output: Buffer; seen: number }> {
  let seen = 0
  const parts: Buffer[] = []
  for await (const chunk of gzipStream(chunks(bytes), chunk => (seen += chunk.length))) {
    parts.push(Buffer.from(chunk))
  }
  return { output: Buffer.concat(parts), seen }
}

/** Text-like bytes that level 1 shrinks: a tar of words. */
function text(size: number): Buffer {
  const words = ['usr', 'share', 'doc', 'lib', 'x86_64', 'linux', 'gnu', 'perl', 'bin', 'etc']
  let out = ''
  for (let index = 0; out.length < size; index++) out += `${words[(index * 7) % 10]}/${index % 97} `
  return Buffer.from(out.slice(0, size))
}

describe('gzipStream', () => {
  test.each([
    // Stored: 1.00016 of the input (5 bytes a 64 KiB block); level 1 would give 1.00031.
    ['random bytes, stored', () => crypto.randomBytes(3 * 1024 * 1024 + 123), 1.0002, 1.0],
    ['text, compressed', () => text(3 * 1024 * 1024), 0.5, 0],
    [
      'random then text then random, each window as it is',
      () =>
        Buffer.concat([
          crypto.randomBytes(2 * 1024 * 1024),
          text(2 * 1024 * 1024),
          crypto.randomBytes(1024 * 1024)
        ]),
      0.75,
      0.6
    ],
    ['nothing', () => Buffer.alloc(0), Infinity, 0]
  ])('%s: a gzip stream of the bytes', async (_label, make, most, least) => {
    const input = make()
    const { output, seen } = await gzipOf(input)
    expect(seen).toBe(input.length)
    expect([...output.subarray(0, 2)]).toEqual([0x1f, 0x8b])
    expect(zlib.gunzipSync(output).equals(input)).toBe(true)
    if (input.length > 0) {
      expect(output.length / input.length).toBeLessThan(most)
      expect(output.length / input.length).toBeGreaterThanOrEqual(least)
    }
    // The same bytes, the same blob: a retry or another run gives the same digest.
    expect((await gzipOf(input)).output.equals(output)).toBe(true)
  })

  test('a window is stored when level 1 would not shrink it', () => {
    expect(compresses(crypto.randomBytes(1024 * 1024))).toBe(false)
    expect(compresses(text(1024 * 1024))).toBe(true)
    expect(compresses(Buffer.alloc(0))).toBe(true)
  })

  test('a consumer that stops early: the input is closed, nothing left running', async () => {
    let closed = false
    async function* input(): AsyncIterable<Uint8Array> {
      try {
        for (;;) {
          await Promise.resolve()
          yield crypto.randomBytes(64 * 1024)
        }
      } finally {
        closed = true
      }
    }
    let read = 0
    for await (const chunk of gzipStream(input(), () => undefined)) {
      read += chunk.length
      if (read > 4 * 1024 * 1024) break
    }
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(closed).toBe(true)
  })

  test('a failing input fails the stream', async () => {
    async function* input(): AsyncIterable<Uint8Array> {
      yield crypto.randomBytes(2 * 1024 * 1024)
      await Promise.resolve()
      throw new Error('the disk went away')
    }
    await expect(
      (async () => {
        for await (const chunk of gzipStream(input(), () => undefined)) void chunk
      })()
    ).rejects.toThrow('the disk went away')
  })
})
