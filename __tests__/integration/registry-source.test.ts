/**
 * Reading a `docker://` source with the project's own client, against a
 * real registry holding a multi-platform index pushed by podman: the index
 * and its manifests byte for byte (their sha256 is their digest), blobs
 * streamed and checked, a blob served from "object storage" through a
 * redirect (the storage host never sees the registry's Authorization), and
 * a storage that corrupts a blob is caught before its last bytes go on.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RegistryClient } from '../../src/registry/client.js'
import { RegistryContentSource } from '../../src/sources/registry.js'
import type { StoredManifest } from '../../src/registry/content.js'
import { type FaultProxy, startFaultProxy } from '../../rig/fault-proxy.js'
import { pushManifestList } from '../../rig/images.js'
import { getManifest, request } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'

const USER = { username: 'reader', password: crypto.randomBytes(10).toString('hex') }
const TLS = { tlsVerify: false, caFile: '' }
const ARCHES = ['amd64', 'arm64']
const basic = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`

let registry: Registry
let indexDigest: string

/** A storage host of another origin: serves blobs read from the registry, recording each request's Authorization. */
interface Storage {
  url: string
  seen: { path: string; authorization?: string }[]
  corrupt: boolean
  close(): Promise<void>
}

async function startStorage(): Promise<Storage> {
  const storage: Storage = {
    url: '',
    seen: [],
    corrupt: false,
    close: () => Promise.resolve()
  }
  const server = http.createServer((req, res) => {
    storage.seen.push({ path: req.url ?? '', authorization: req.headers.authorization })
    // A presigned URL carries its own right to read: the registry's login is not needed here.
    void request(registry, 'GET', req.url ?? '/', { Authorization: basic }).then(answer => {
      const body = Buffer.from(answer.body)
      if (storage.corrupt && body.length > 0) body[0] ^= 0xff
      res.writeHead(answer.status, { 'Content-Length': String(body.length) })
      res.end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  storage.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  storage.close = async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
  return storage
}

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

function sha256(bytes: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`
}

function sourceOn(
  host: string,
  reference: { tag?: string; digest?: string }
): RegistryContentSource {
  const client = new RegistryClient(`http://${host}`, TLS, USER)
  return new RegistryContentSource(client, {
    host,
    repository: 'staging/app',
    tag: reference.tag ?? '',
    digest: reference.digest ?? ''
  })
}

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER.username]: USER.password } })
  await pushManifestList(`${registry.host}/staging/app:v1`, ARCHES, USER)
  indexDigest = (await getManifest(registry, 'staging/app', 'v1', USER))?.digest ?? ''
})

afterAll(async () => {
  await registry?.stop()
})

describe('a registry source read with our own client', () => {
  test('the index, each manifest and each blob arrive byte for byte', async () => {
    const source = sourceOn(registry.host, { tag: 'v1' })
    expect(source.label).toBe(`docker://${registry.host}/staging/app:v1`)
    expect(source.mountFrom).toEqual({ host: registry.host, repository: 'staging/app' })
    expect(await source.resolve()).toEqual({ kind: 'found', digest: indexDigest })

    const root = await source.root()
    expect(root.digest).toBe(indexDigest)
    expect(sha256(root.bytes)).toBe(indexDigest)
    expect(root.mediaType).toMatch(/index|manifest\.list/)
    const index = JSON.parse(root.bytes.toString()) as {
      manifests: {
        digest: string
        mediaType: string
        size: number
        platform: { architecture: string }
      }[]
    }
    expect(index.manifests.map(entry => entry.platform.architecture).sort()).toEqual(ARCHES)

    for (const entry of index.manifests) {
      const child: StoredManifest = await source.manifest(entry)
      expect(child.digest).toBe(entry.digest)
      expect(child.bytes.length).toBe(entry.size)
      const image = JSON.parse(child.bytes.toString()) as {
        config: { digest: string; size: number; mediaType: string }
        layers: { digest: string; size: number; mediaType: string }[]
      }
      for (const descriptor of [image.config, ...image.layers]) {
        const blob = await source.blob(descriptor)
        const bytes = await bytesOf(blob.body)
        expect(blob.size).toBe(descriptor.size)
        expect(sha256(bytes)).toBe(descriptor.digest)
      }
    }
  })

  test('by digest: the same index; a missing tag is "missing"', async () => {
    const byDigest = sourceOn(registry.host, { digest: indexDigest })
    expect(await byDigest.resolve()).toEqual({ kind: 'found', digest: indexDigest })
    expect((await byDigest.root()).digest).toBe(indexDigest)
    expect(await sourceOn(registry.host, { tag: 'nope' }).resolve()).toEqual({ kind: 'missing' })
  })

  describe('blobs served from object storage through a redirect', () => {
    let front: FaultProxy
    let storage: Storage

    beforeAll(async () => {
      storage = await startStorage()
      front = await startFaultProxy(registry.host)
      // The registry answers a blob GET with a redirect to its storage, as with S3 or GCS.
      front.setRule(req =>
        req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')
          ? { status: 307, body: '', location: `${storage.url}${req.url ?? ''}` }
          : 'pass'
      )
    })
    afterAll(async () => {
      await front?.stop()
      await storage?.close()
    })

    async function firstLayer(source: RegistryContentSource) {
      const index = JSON.parse((await source.root()).bytes.toString()) as {
        manifests: { digest: string; mediaType: string; size: number }[]
      }
      const image = JSON.parse((await source.manifest(index.manifests[0])).bytes.toString()) as {
        layers: { digest: string; size: number; mediaType: string }[]
      }
      return image.layers[0]
    }

    test('the blob is followed there, and the storage host gets no Authorization', async () => {
      const source = sourceOn(front.host, { tag: 'v1' })
      const layer = await firstLayer(source)
      const bytes = await bytesOf((await source.blob(layer)).body)
      expect(sha256(bytes)).toBe(layer.digest)
      // The registry (through the front) got the credentials; the storage got the request, without them.
      expect(front.requests.some(seen => seen.path.includes('/blobs/') && seen.authorization)).toBe(
        true
      )
      expect(storage.seen.map(seen => seen.path)).toEqual([`/v2/staging/app/blobs/${layer.digest}`])
      expect(storage.seen.map(seen => seen.authorization)).toEqual([undefined])
    })

    test('a blob whose bytes do not match its digest ends in an error, not quietly', async () => {
      storage.corrupt = true
      try {
        const source = sourceOn(front.host, { tag: 'v1' })
        const layer = await firstLayer(source)
        await expect(bytesOf((await source.blob(layer)).body)).rejects.toThrow(
          `blob "${layer.digest}" has the sha256`
        )
      } finally {
        storage.corrupt = false
      }
    })
  })
})
