/**
 * Pushing an image whose manifest is made on the way (registry/compose.ts),
 * against a small in-memory registry that keeps what distribution keeps:
 * stream uploads (POST, PATCH, PUT ?digest= checked against the bytes),
 * mounts, manifests. The integration tests push real archives to the real
 * registry; these look at what only a fake shows plainly: which requests
 * went, and that a bad layer never closes its upload.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import zlib from 'node:zlib'
import { afterEach, describe, expect, test } from '@jest/globals'
import { RegistryClient } from '../../src/registry/client.js'
import { type ComposedImage, type ComposedLayer, pushComposed } from '../../src/registry/compose.js'
import { ContentError } from '../../src/registry/content.js'

const TLS = { tlsVerify: false, caFile: '' }
const USER = { username: 'ci', password: 'secret' }

const sha256 = (bytes: Buffer): string =>
  `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`

interface FakeRegistry {
  client: RegistryClient
  asked: string[]
  blobs: Map<string, Buffer>
  manifests: Map<string, Buffer>
}

const servers: http.Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
})

/** A registry that keeps blobs (by digest, any repository: mounts always work) and manifests. */
async function fakeRegistry(): Promise<FakeRegistry> {
  const asked: string[] = []
  const blobs = new Map<string, Buffer>()
  const manifests = new Map<string, Buffer>()
  const uploads = new Map<string, Buffer[]>()
  let next = 0
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://registry')
      const body = Buffer.concat(chunks)
      if (url.pathname !== '/v2/') asked.push(`${request.method} ${url.pathname}${url.search}`)
      const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname)
      const upload = /^\/v2\/(.+)\/blobs\/uploads\/(\d*)$/.exec(url.pathname)
      const manifest = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(url.pathname)
      if (url.pathname === '/v2/') return void response.writeHead(200).end()
      if (blob && request.method === 'HEAD') {
        return void response.writeHead(blobs.has(blob[2]) ? 200 : 404).end()
      }
      if (upload && request.method === 'POST') {
        const mount = url.searchParams.get('mount')
        if (mount && blobs.has(mount)) return void response.writeHead(201).end()
        const id = String(++next)
        uploads.set(id, [])
        return void response
          .writeHead(202, { Location: `/v2/${upload[1]}/blobs/uploads/${id}` })
          .end()
      }
      if (upload && request.method === 'PATCH') {
        uploads.get(upload[2])?.push(body)
        return void response
          .writeHead(202, { Location: `/v2/${upload[1]}/blobs/uploads/${upload[2]}` })
          .end()
      }
      if (upload && request.method === 'PUT') {
        const bytes = Buffer.concat([...(uploads.get(upload[2]) ?? []), body])
        const digest = url.searchParams.get('digest') ?? ''
        if (sha256(bytes) !== digest) return void response.writeHead(400).end()
        blobs.set(digest, bytes)
        return void response.writeHead(201).end()
      }
      if (manifest && request.method === 'PUT') {
        manifests.set(`${manifest[1]}:${manifest[2]}`, body)
        return void response.writeHead(201, { 'Docker-Content-Digest': sha256(body) }).end()
      }
      response.writeHead(404).end()
    })
  })
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    client: new RegistryClient(`http://127.0.0.1:${port}`, TLS, USER),
    asked,
    blobs,
    manifests
  }
}

/** A layer of `stored` bytes whose uncompressed content is `content`. */
function layer(content: Buffer, stored = content, diffId = sha256(content)): ComposedLayer {
  return {
    diffId,
    compression: stored === content ? 'none' : stored[0] === 0x1f ? 'gzip' : 'zstd',
    size: stored.length,
    // eslint-disable-next-line @typescript-eslint/require-await
    open: async function* () {
      for (let start = 0; start < stored.length; start += 100_000) {
        yield stored.subarray(start, start + 100_000)
      }
    }
  }
}

async function bytesOf(source: ComposedLayer): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of source.open()) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

function gunzipped(blob: Buffer): Buffer | undefined {
  try {
    return zlib.gunzipSync(blob)
  } catch {
    return undefined
  }
}

function image(layers: ComposedLayer[]): ComposedImage {
  const config = Buffer.from(
    JSON.stringify({ rootfs: { type: 'layers', diff_ids: layers.map(entry => entry.diffId) } })
  )
  return {
    label: 'docker-archive:/tmp/app.tar',
    config: { digest: sha256(config), bytes: config },
    layers
  }
}

describe('pushComposed', () => {
  test('plain layers go up gzip-compressed as stream uploads, a gzip layer as stored; the manifest is Docker schema 2', async () => {
    const registry = await fakeRegistry()
    const plain = crypto.randomBytes(300_000)
    const text = Buffer.from('usr/share/doc '.repeat(50_000))
    const gzipped = zlib.gzipSync(text)
    const pushed = image([layer(plain), layer(text, gzipped)])
    const result = await pushComposed(registry.client, pushed, {
      repository: 'proj/app',
      tags: ['v1']
    })

    const manifest = JSON.parse(registry.manifests.get('proj/app:v1')!.toString('utf8')) as {
      mediaType: string
      config: { digest: string; mediaType: string }
      layers: { digest: string; size: number; mediaType: string }[]
    }
    expect(result.digest).toBe(sha256(registry.manifests.get('proj/app:v1')!))
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json')
    expect(manifest.config).toMatchObject({
      digest: pushed.config.digest,
      mediaType: 'application/vnd.docker.container.image.v1+json'
    })
    expect(registry.blobs.get(pushed.config.digest)).toEqual(pushed.config.bytes)
    const [first, second] = manifest.layers
    expect(zlib.gunzipSync(registry.blobs.get(first.digest)!)).toEqual(plain)
    expect(first.size).toBe(registry.blobs.get(first.digest)!.length)
    // As stored: the gzip layer's own bytes, not compressed again.
    expect(second.digest).toBe(sha256(gzipped))
    expect(manifest.layers.map(entry => entry.mediaType)).toEqual([
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.diff.tar.gzip'
    ])
    expect(registry.asked.filter(line => line.startsWith('PATCH'))).toHaveLength(2)
    expect(result).toMatchObject({ blobsUploaded: 3, blobsMounted: 0, blobsSkipped: 0 })
  })

  test.each([
    [
      'a plain layer that is not its diffID',
      () => layer(Buffer.from('doctored'), undefined, sha256(Buffer.from('original'))),
      /layer 2 holds content with the sha256 "sha256:[0-9a-f]{64}" where the image's config says "sha256:[0-9a-f]{64}" \(rootfs\.diff_ids\)/
    ],
    [
      'a gzip layer whose content is not its diffID',
      () =>
        layer(
          Buffer.from('original'),
          zlib.gzipSync(Buffer.from('doctored')),
          sha256(Buffer.from('original'))
        ),
      /layer 2 holds content with the sha256/
    ],
    [
      'a gzip layer that is not gzip past its first bytes',
      () =>
        layer(
          Buffer.from('x'),
          Buffer.concat([Buffer.from([0x1f, 0x8b]), crypto.randomBytes(5000)])
        ),
      /layer 2 is not readable gzip \(.*\): the archive is corrupt/
    ]
  ])(
    '%s: the image fails, its upload is never closed, no manifest is put',
    async (_label, bad, words) => {
      const registry = await fakeRegistry()
      const pushing = pushComposed(
        registry.client,
        image([layer(crypto.randomBytes(1000)), bad()]),
        { repository: 'proj/app', tags: ['v1'] }
      )
      await expect(pushing).rejects.toThrow(ContentError)
      await expect(pushing).rejects.toThrow(words)
      // The bad layer's upload was never closed: the registry holds nothing of it, and no manifest.
      const bytes = await bytesOf(bad())
      const held = [...registry.blobs.values()].flatMap(blob => [blob, gunzipped(blob)])
      expect(held.some(blob => blob?.equals(bytes))).toBe(false)
      expect(registry.asked.filter(line => line.includes('/manifests/'))).toEqual([])
    }
  )

  test('images sharing a layer, pushed at once with one client: the layer is compressed and sent once, then mounted', async () => {
    const registry = await fakeRegistry()
    const shared = layer(crypto.randomBytes(2_000_000))
    const images = ['a', 'b', 'c'].map(() => image([shared, layer(crypto.randomBytes(1000))]))
    const results = await Promise.all(
      images.map((pushed, index) =>
        pushComposed(registry.client, pushed, { repository: `proj/app-${index}`, tags: ['v1'] })
      )
    )
    const patches = registry.asked.filter(line => line.startsWith('PATCH'))
    expect(patches).toHaveLength(1 + images.length)
    expect(registry.asked.filter(line => /^POST .*mount=sha256/.test(line))).toHaveLength(2)
    expect(results.map(result => result.blobsMounted).sort()).toEqual([0, 1, 1])
    // The same layer descriptor in every manifest.
    const layersOf = (index: number) =>
      (
        JSON.parse(registry.manifests.get(`proj/app-${index}:v1`)!.toString('utf8')) as {
          layers: { digest: string }[]
        }
      ).layers[0].digest
    expect(new Set([0, 1, 2].map(layersOf)).size).toBe(1)
  })
})
