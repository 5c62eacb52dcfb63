/**
 * The own registry client's copier (src/registry/copy.ts) with the layout
 * and archive sources, against a real registry (docker-registry behind a
 * counting, fault-injecting front) and the test Harbor (token auth): a
 * multi-platform layout made with podman and skopeo arrives whole, with the
 * source's digest; a re-run uploads nothing; a mount on the same registry
 * uploads nothing; a transient 503 on a blob upload is retried; a corrupt
 * blob fails, naming the source, and no tag is written.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type FaultProxy, startFaultProxy } from '../../rig/fault-proxy.js'
import { type Harbor, startHarbor } from '../../rig/harbor.js'
import { makeManifestList, removeManifestList, toolPath } from '../../rig/images.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { requireTool, run } from '../../rig/tools.js'
import { RegistryClient } from '../../src/registry/client.js'
import type { ContentSource } from '../../src/registry/content.js'
import { copyImage } from '../../src/registry/copy.js'
import { ociArchiveSource } from '../../src/sources/oci-archive.js'
import { ociLayoutSource } from '../../src/sources/oci-layout.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const DEV = { username: 'dev', password: crypto.randomBytes(10).toString('hex') }
const LIST = `localhost/hp-copier-${crypto.randomBytes(4).toString('hex')}/multi:v1`
const ARCHES = ['amd64', 'arm64']
const INDEX = 'application/vnd.oci.image.index.v1+json'
const TLS = { tlsVerify: true, caFile: '' }
const RETRY = { retries: 2, baseDelayMs: 20 }

let registry: Registry
let front: FaultProxy
let harbor: Harbor
let dir: string
let layout: string
let archive: string
let sourceDigest: string

/** Blob uploads that reached the registry through the front: PUTs of upload sessions. */
function blobPuts(): number {
  return front.requests.filter(
    request => request.method === 'PUT' && request.path.includes('/blobs/uploads/')
  ).length
}

/** A client of the registry through the counting front. */
function frontClient(): RegistryClient {
  return new RegistryClient(front.url, TLS, USER, RETRY)
}

beforeAll(async () => {
  const skopeo = requireTool('skopeo', 'apt-get install -y skopeo')
  ;[registry, harbor] = await Promise.all([
    startRegistry({ users: { [USER.username]: USER.password } }),
    startHarbor({
      users: {
        [DEV.username]: {
          password: DEV.password,
          roles: { staging: 'developer', release: 'developer' }
        }
      },
      projects: { staging: {}, release: {} }
    })
  ])
  front = await startFaultProxy(registry.host)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-copier-'))
  layout = path.join(dir, 'layout')
  archive = path.join(dir, 'multi.tar')
  await makeManifestList(LIST, ARCHES)
  await run(toolPath('podman'), ['manifest', 'push', '--all', LIST, `oci:${layout}:v1`])
  await run(skopeo, ['copy', '--all', `oci:${layout}:v1`, `oci-archive:${archive}:v1`])
  const raw = (await run(skopeo, ['inspect', '--raw', `oci:${layout}:v1`])).stdout
  sourceDigest = `sha256:${crypto.createHash('sha256').update(raw).digest('hex')}`
})

afterAll(async () => {
  await removeManifestList(LIST, ARCHES)
  await Promise.all([front?.stop(), harbor?.stop()])
  await registry?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

describe('copier against a real registry', () => {
  test('a multi-platform layout arrives whole with the source digest; a re-run uploads nothing', async () => {
    const auth = { username: USER.username, password: USER.password }
    const source = ociLayoutSource(layout, 'v1')
    const first = await copyImage(frontClient(), source, {
      repository: 'app/multi',
      tags: ['v1', 'v1.0']
    })
    expect(first).toMatchObject({
      digest: sourceDigest,
      mediaType: INDEX,
      platforms: ['linux/amd64', 'linux/arm64'],
      blobsUploaded: 4,
      blobsSkipped: 0,
      blobsMounted: 0
    })
    expect(first.bytesUploaded).toBeGreaterThan(2 * 4096)
    expect(blobPuts()).toBe(4)
    for (const tag of ['v1', 'v1.0']) {
      const held = await getManifest(registry, 'app/multi', tag, auth)
      expect(held?.digest).toBe(sourceDigest)
      expect(held?.mediaType).toBe(INDEX)
      const platforms = (
        held?.body as { manifests: { platform: { architecture: string } }[] }
      ).manifests.map(entry => entry.platform.architecture)
      expect(platforms).toEqual(ARCHES)
      // Every platform's manifest is there, by digest.
      for (const child of (held?.body as { manifests: { digest: string }[] }).manifests) {
        expect((await getManifest(registry, 'app/multi', child.digest, auth))?.digest).toBe(
          child.digest
        )
      }
    }

    const before = blobPuts()
    const again = await copyImage(frontClient(), source, { repository: 'app/multi', tags: ['v1'] })
    expect(again).toMatchObject({
      digest: sourceDigest,
      blobsSkipped: 4,
      blobsUploaded: 0,
      bytesUploaded: 0
    })
    expect(blobPuts()).toBe(before)
  })

  test('on the same registry blobs are mounted from the source repository, not uploaded', async () => {
    const layoutSource = ociLayoutSource(layout, 'v1')
    const inRegistry: ContentSource = {
      label: 'docker://app/multi:v1',
      root: () => layoutSource.root(),
      manifest: descriptor => layoutSource.manifest(descriptor),
      blob: descriptor => layoutSource.blob(descriptor),
      mountFrom: { host: front.host, repository: 'app/multi' }
    }
    const before = blobPuts()
    const result = await copyImage(frontClient(), inRegistry, {
      repository: 'release/multi',
      tags: ['v1']
    })
    expect(result).toMatchObject({
      digest: sourceDigest,
      blobsMounted: 4,
      blobsUploaded: 0,
      bytesUploaded: 0
    })
    expect(blobPuts()).toBe(before)
    const mounts = front.requests.filter(
      request => request.method === 'POST' && request.path === '/v2/release/multi/blobs/uploads/'
    )
    expect(mounts).toHaveLength(4)
    expect((await getManifest(registry, 'release/multi', 'v1', USER))?.digest).toBe(sourceDigest)
  })

  test('an OCI archive is read in place and copied byte for byte; a 503 on a blob upload is retried', async () => {
    let failed = 0
    front.setRule(request => {
      if (request.method === 'PUT' && request.url?.includes('/blobs/uploads/') && failed < 2) {
        failed++
        return { status: 503 }
      }
      return 'pass'
    })
    const retried: string[] = []
    try {
      const result = await copyImage(
        frontClient(),
        ociArchiveSource(archive, 'v1'),
        { repository: 'archive/multi', tags: ['v1'] },
        { retry: { ...RETRY, onRetry: (_attempt, cause) => retried.push(cause) } }
      )
      expect(result).toMatchObject({ digest: sourceDigest, mediaType: INDEX, blobsUploaded: 4 })
    } finally {
      front.setRule(() => 'pass')
    }
    expect(failed).toBe(2)
    expect(retried).toHaveLength(2)
    expect(retried[0]).toContain('HTTP 503')
    expect((await getManifest(registry, 'archive/multi', 'v1', USER))?.digest).toBe(sourceDigest)
  })

  test('a blob whose bytes differ from its digest fails naming the source; no tag is written', async () => {
    const broken = path.join(dir, 'broken')
    fs.cpSync(layout, broken, { recursive: true })
    const index = JSON.parse(fs.readFileSync(path.join(broken, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[]
    }
    const root = JSON.parse(
      fs.readFileSync(path.join(broken, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8')
    ) as { manifests: { digest: string }[] }
    const image = JSON.parse(
      fs.readFileSync(path.join(broken, 'blobs/sha256', root.manifests[0].digest.slice(7)), 'utf8')
    ) as { layers: { digest: string }[] }
    const layer = path.join(broken, 'blobs/sha256', image.layers[0].digest.slice(7))
    const bytes = fs.readFileSync(layer)
    bytes[bytes.length - 1] ^= 0xff
    fs.writeFileSync(layer, bytes)

    await expect(
      copyImage(
        frontClient(),
        ociLayoutSource(broken, 'v1'),
        { repository: 'broken/multi', tags: ['v1'] },
        { retry: RETRY }
      )
    ).rejects.toThrow(
      new RegExp(`oci:${broken}:v1: blob "${image.layers[0].digest}" has the sha256`)
    )
    expect(await listTags(registry, 'broken/multi', USER)).toEqual([])
  })
})

/** An OCI layout of one image: its own config and layer, and `shared` as its first layer. */
function craftLayout(folder: string, shared: Buffer): void {
  const blobs = path.join(folder, 'blobs/sha256')
  fs.mkdirSync(blobs, { recursive: true })
  const put = (bytes: Buffer, mediaType: string) => {
    const hex = crypto.createHash('sha256').update(bytes).digest('hex')
    fs.writeFileSync(path.join(blobs, hex), bytes)
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length }
  }
  const layer = 'application/vnd.oci.image.layer.v1.tar'
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: put(
        Buffer.from(JSON.stringify({ os: 'linux', folder })),
        'application/vnd.oci.image.config.v1+json'
      ),
      layers: [put(shared, layer), put(crypto.randomBytes(4096), layer)]
    })
  )
  const entry = put(manifest, 'application/vnd.oci.image.manifest.v1+json')
  fs.writeFileSync(
    path.join(folder, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [entry] })
  )
}

describe('copies of one run share their blobs', () => {
  test('two images with a common layer, copied at once to two repositories: it is sent once and mounted', async () => {
    const shared = crypto.randomBytes(1 << 20)
    craftLayout(path.join(dir, 'one'), shared)
    craftLayout(path.join(dir, 'two'), shared)
    const client = frontClient()
    const before = blobPuts()
    const results = await Promise.all(
      ['one', 'two'].map(name =>
        copyImage(client, ociLayoutSource(path.join(dir, name), ''), {
          repository: `shared/${name}`,
          tags: ['v1']
        })
      )
    )
    const sum = (key: 'blobsUploaded' | 'blobsMounted' | 'bytesUploaded') =>
      results.reduce((total, result) => total + result[key], 0)
    expect(sum('blobsUploaded')).toBe(5)
    expect(sum('blobsMounted')).toBe(1)
    expect(sum('bytesUploaded')).toBeLessThan(2 * shared.length)
    expect(blobPuts() - before).toBe(5)
  })
})

describe('copier against the test Harbor (token auth)', () => {
  test('an archive pushed to one project, then promoted to another by mounts in one token', async () => {
    const client = new RegistryClient(harbor.url, TLS, DEV, RETRY)
    const pushed = await copyImage(client, ociArchiveSource(archive, 'v1'), {
      repository: 'staging/app',
      tags: ['v1']
    })
    expect(pushed).toMatchObject({ digest: sourceDigest, mediaType: INDEX, blobsUploaded: 4 })

    const archiveSource = ociArchiveSource(archive, 'v1')
    const staged: ContentSource = {
      label: `docker://${harbor.host}/staging/app:v1`,
      root: () => archiveSource.root(),
      manifest: descriptor => archiveSource.manifest(descriptor),
      blob: descriptor => archiveSource.blob(descriptor),
      mountFrom: { host: harbor.host, repository: 'staging/app' }
    }
    const promoted = await copyImage(client, staged, { repository: 'release/app', tags: ['1.0'] })
    expect(promoted).toMatchObject({ digest: sourceDigest, blobsMounted: 4, bytesUploaded: 0 })
    const mountToken = harbor.tokenRequests.find(
      request =>
        request.scopes.includes('repository:release/app:pull,push') &&
        request.scopes.includes('repository:staging/app:pull')
    )
    expect(mountToken?.granted).toEqual(
      expect.arrayContaining(['release/app:pull,push', expect.stringMatching(/^staging\/app:pull/)])
    )
    const held = await getManifest(harbor.registry, 'release/app', '1.0')
    expect(held?.digest).toBe(sourceDigest)
    expect(held?.mediaType).toBe(INDEX)

    const again = await copyImage(client, ociArchiveSource(archive, 'v1'), {
      repository: 'release/app',
      tags: ['1.0']
    })
    expect(again).toMatchObject({ blobsSkipped: 4, blobsUploaded: 0, blobsMounted: 0 })
  })
})
