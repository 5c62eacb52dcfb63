import http from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { retryAfterMs } from '../../src/backoff.js'
import { registryFetch } from '../../src/registry/http.js'

const TLS = { tlsVerify: true, caFile: '' }
let server: http.Server
let base = ''
const answers: ((response: http.ServerResponse) => void)[] = []
let seen = 0

beforeAll(async () => {
  server = http.createServer((_request, response) => {
    seen++
    const next = answers.shift()
    if (next) next(response)
    else response.end('ok')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise(resolve => server.close(resolve))
})

function retryLog(): {
  attempts: [number, string, number][]
  retry: Parameters<typeof registryFetch>[2]
} {
  const attempts: [number, string, number][] = []
  return {
    attempts,
    retry: { retry: { retries: 2, baseDelayMs: 5, onRetry: (...args) => attempts.push(args) } }
  }
}

describe('registryFetch retries', () => {
  test('429 with Retry-After waits as told, then succeeds', async () => {
    seen = 0
    answers.push(response => response.writeHead(429, { 'Retry-After': '1' }).end())
    const { attempts, retry } = retryLog()
    const response = await registryFetch(`${base}/v2/`, TLS, retry)
    expect(response.status).toBe(200)
    expect(seen).toBe(2)
    expect(attempts).toEqual([[1, `HTTP 429 from ${base}/v2/`, 1000]])
  })

  test('503 twice then success: three attempts with backoff', async () => {
    seen = 0
    answers.push(
      response => response.writeHead(503).end(),
      response => response.writeHead(503).end()
    )
    const { attempts, retry } = retryLog()
    expect((await registryFetch(`${base}/v2/`, TLS, retry)).status).toBe(200)
    expect(attempts.map(([attempt]) => attempt)).toEqual([1, 2])
  })

  test('still failing after the retries: the last answer is returned as it came', async () => {
    seen = 0
    for (let index = 0; index < 3; index++) answers.push(response => response.writeHead(502).end())
    const { retry } = retryLog()
    expect((await registryFetch(`${base}/v2/`, TLS, retry)).status).toBe(502)
    expect(seen).toBe(3)
  })

  test.each([401, 403, 404, 412])('%d is never retried', async status => {
    seen = 0
    answers.push(response => response.writeHead(status).end())
    const { attempts, retry } = retryLog()
    expect((await registryFetch(`${base}/v2/`, TLS, retry)).status).toBe(status)
    expect(seen).toBe(1)
    expect(attempts).toEqual([])
  })

  test('a stalled answer times out, is retried, and the timeout is thrown at the end', async () => {
    seen = 0
    for (let index = 0; index < 3; index++) answers.push(() => undefined)
    const { attempts, retry } = retryLog()
    await expect(
      registryFetch(`${base}/v2/`, TLS, { ...retry, timeoutMs: 200 })
    ).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(attempts).toHaveLength(2)
    expect(seen).toBe(3)
  })

  test('a refused connection is retried, then thrown', async () => {
    const { attempts, retry } = retryLog()
    // A port that was free a moment ago: nothing listens there now.
    const closed = http.createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const address = closed.address()
    await new Promise(resolve => closed.close(resolve))
    const port = typeof address === 'object' && address ? address.port : 0
    await expect(registryFetch(`http://127.0.0.1:${port}/v2/`, TLS, retry)).rejects.toThrow(
      'fetch failed'
    )
    expect(attempts.map(([, cause]) => cause)).toEqual([
      expect.stringMatching(/ECONNREFUSED/),
      expect.stringMatching(/ECONNREFUSED/)
    ])
  })
})

describe('retryAfterMs', () => {
  test.each([
    ['3', 3000],
    ['0', 0],
    ['120', 60_000],
    [null, undefined],
    ['soon', undefined]
  ])('%s -> %s', (header, ms) => {
    expect(retryAfterMs(header)).toBe(ms)
  })

  test('an HTTP date in the future', () => {
    const ms = retryAfterMs(new Date(Date.now() + 5000).toUTCString()) ?? 0
    expect(ms).toBeGreaterThan(3000)
    expect(ms).toBeLessThanOrEqual(5000)
  })
})

describe('registryFetch with a streamed body (an upload)', () => {
  test('sent once, as it is read, with its Content-Length; a 503 comes back unretried, read like fetch answers', async () => {
    const received: { length?: string; bytes: number }[] = []
    const sink = http.createServer((request, response) => {
      let bytes = 0
      request.on('data', (chunk: Buffer) => (bytes += chunk.length))
      request.on('end', () => {
        received.push({ length: request.headers['content-length'], bytes })
        response
          .writeHead(received.length === 1 ? 201 : 503, { 'Docker-Content-Digest': 'sha256:abc' })
          .end(received.length === 1 ? '' : '{"errors":[{"code":"UNAVAILABLE"}]}')
      })
    })
    await new Promise<void>(resolve => sink.listen(0, '127.0.0.1', resolve))
    const address = sink.address()
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/upload`
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let index = 0; index < 16; index++) {
        // Each chunk comes later, as from a file.
        await new Promise(resolve => setImmediate(resolve))
        yield Buffer.alloc(64 * 1024, index)
      }
    }
    const upload = (): ReturnType<typeof registryFetch> =>
      registryFetch(url, TLS, {
        method: 'PUT',
        headers: { 'Content-Length': String(16 * 64 * 1024) },
        body: chunks(),
        retry: { retries: 3, baseDelayMs: 5 }
      })
    try {
      const created = await upload()
      expect(created.status).toBe(201)
      expect(created.headers.get('docker-content-digest')).toBe('sha256:abc')
      const refused = await upload()
      expect(refused.status).toBe(503)
      expect(await refused.text()).toContain('UNAVAILABLE')
      expect(received).toEqual([
        { length: String(16 * 64 * 1024), bytes: 16 * 64 * 1024 },
        { length: String(16 * 64 * 1024), bytes: 16 * 64 * 1024 }
      ])
    } finally {
      sink.closeAllConnections()
      await new Promise(resolve => sink.close(resolve))
    }
  })
})
