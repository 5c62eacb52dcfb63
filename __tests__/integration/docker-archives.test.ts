/**
 * Docker archives pushed by harbor-push's own registry client, no skopeo:
 * archives written by `podman save --format docker-archive` and by a real
 * docker engine's `docker save` (the rig's dockerd, classic store), read
 * back from the registry's API (a Docker schema 2 manifest, the config
 * digest the source's image ID, each layer gzip that decompresses to its
 * diffID), copied out again by skopeo (which checks every blob), unchanged
 * on a re-run with no blob sent. Hostile and broken archives fail before
 * anything is pushed (exit 2 from the command), and a layer that is not
 * what the config says fails its image before a manifest is put.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, imagesOutput } from '../../rig/action.js'
import { CommandJob, expectStatus } from '../../rig/cli.js'
import { type Dockerd, startDockerd } from '../../rig/dockerd.js'
import { startFaultProxy } from '../../rig/fault-proxy.js'
import { makeImage, removeImage, toolPath } from '../../rig/images.js'
import { getManifest, listTags, request } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'
import { tarOf } from '../../rig/tgz.js'
import { requireTool, run } from '../../rig/tools.js'
import { tarEntries } from '../../src/tar.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const SOURCE = `localhost/hp-da-${crypto.randomBytes(4).toString('hex')}`
const DOCKER_REF = `hp-da-${crypto.randomBytes(4).toString('hex')}/dweb:v1`
const AUTH = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`

let registry: Registry
let dockerd: Dockerd
let shims: Shims
let dir: string
const ids = { podman: '', docker: '' }
const files = { podman: '', docker: '' }
const jobs: { dispose(): void }[] = []

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER.username]: USER.password } })
  // Recording shims: a docker archive push asks no tool at all.
  shims = makeShims(['docker', 'podman', 'skopeo'])
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-docker-archives-'))
  dockerd = await startDockerd()
  ids.podman = await makeImage('podman', `${SOURCE}/pweb:v1`, { sizeBytes: 300 * 1024 })
  ids.docker = await makeImage('docker', DOCKER_REF, { env: dockerd.env, sizeBytes: 200 * 1024 })
  files.podman = path.join(dir, 'pweb.docker.tar')
  files.docker = path.join(dir, 'dweb.tar')
  await run(toolPath('podman'), [
    'save',
    '--format',
    'docker-archive',
    '-o',
    files.podman,
    `${SOURCE}/pweb:v1`
  ])
  await run(toolPath('docker'), ['save', '-o', files.docker, DOCKER_REF], { env: dockerd.env })
}, 180_000)

afterAll(async () => {
  await removeImage('podman', `${SOURCE}/pweb:v1`)
  await dockerd?.stop()
  await registry?.stop()
  shims?.dispose()
  for (const job of jobs) job.dispose()
  fs.rmSync(dir, { recursive: true, force: true })
})

async function action(inputs: Record<string, string>) {
  const job = new RunnerJob({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
  jobs.push(job)
  const before = shims.calls().length
  const logsBefore = registry.logs().length
  const result = await job.main({
    registry: `${registry.host}/proj`,
    ...USER,
    'tls-verify': 'false',
    ...inputs
  })
  return {
    ...result,
    calls: shims.calls().slice(before),
    log: registry.logs().slice(logsBefore)
  }
}

async function command(images: string[]) {
  const job = new CommandJob({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
  jobs.push(job)
  const logsBefore = registry.logs().length
  const result = await job.run(
    [
      '--registry',
      `${registry.host}/proj`,
      '--username',
      USER.username,
      '--password-stdin',
      '-t',
      '--destination-tag',
      'r1',
      ...images.flatMap(image => ['-i', image])
    ],
    { stdin: USER.password }
  )
  return { ...result, log: registry.logs().slice(logsBefore) }
}

async function blob(repository: string, digest: string): Promise<Buffer> {
  const response = await request(registry, 'GET', `/v2/${repository}/blobs/${digest}`, {
    Authorization: AUTH
  })
  if (response.status === 307 || response.status === 302) {
    throw new Error(`the registry redirected ${digest}`)
  }
  expect(response.status).toBe(200)
  return response.body
}

const sha256 = (bytes: Buffer): string =>
  `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`

/** What the registry holds under `repository:tag`: a Docker schema 2 image of this ID, every layer gzip of its diffID. */
async function expectPushedImage(repository: string, tag: string, id: string): Promise<void> {
  const manifest = await getManifest(registry, repository, tag, USER)
  expect(manifest?.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json')
  expect(manifest?.configDigest).toBe(id)
  const body = manifest!.body as {
    config: { mediaType: string; size: number }
    layers: { mediaType: string; digest: string; size: number }[]
  }
  expect(body.config.mediaType).toBe('application/vnd.docker.container.image.v1+json')
  const config = await blob(repository, id)
  expect(sha256(config)).toBe(id)
  expect(config.length).toBe(body.config.size)
  const diffIds = (JSON.parse(config.toString('utf8')) as { rootfs: { diff_ids: string[] } }).rootfs
    .diff_ids
  expect(body.layers).toHaveLength(diffIds.length)
  for (const [index, layer] of body.layers.entries()) {
    expect(layer.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip')
    const compressed = await blob(repository, layer.digest)
    expect(sha256(compressed)).toBe(layer.digest)
    expect(compressed.length).toBe(layer.size)
    expect(sha256(zlib.gunzipSync(compressed))).toBe(diffIds[index])
  }
}

describe('docker archives, pushed by the own registry client', () => {
  test('podman save and docker save archives: Docker schema 2, the source image IDs, layers that decompress to their diffIDs; skopeo copies them out; a re-run is unchanged with no blob sent', async () => {
    const images = [`pweb=docker-archive:${files.podman}`, `dweb=docker-archive:${files.docker}`]
    const first = await action({ images: images.join('\n'), 'destination-tag': 'r1' })
    expectExit(first, 0)
    // No tool at all: not skopeo (which pushed docker archives before), not an engine.
    expect(first.calls).toEqual([])
    const [pweb, dweb] = imagesOutput(first.outputs)
    expect(pweb).toMatchObject({ destination: `${registry.host}/proj/pweb:r1`, status: 'pushed' })
    expect(dweb).toMatchObject({ destination: `${registry.host}/proj/dweb:r1`, status: 'pushed' })
    // A layer's digest is known once it is compressed: it goes up as a stream (POST, PATCH, PUT ?digest=).
    expect(first.log).toMatch(/"PATCH \/v2\/proj\/pweb\/blobs\/uploads\/[^"]*" 202/)
    await expectPushedImage('proj/pweb', 'r1', ids.podman)
    await expectPushedImage('proj/dweb', 'r1', ids.docker)
    expect(pweb.digest).toBe((await getManifest(registry, 'proj/pweb', 'r1', USER))?.digest)

    // Another client reads what was pushed: skopeo checks every blob against its digest.
    const copy = path.join(dir, 'copied')
    await run(requireTool('skopeo', 'apt-get install -y skopeo'), [
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      `${USER.username}:${USER.password}`,
      `docker://${registry.host}/proj/pweb:r1`,
      `oci:${copy}:r1`
    ])
    expect(fs.existsSync(path.join(copy, 'index.json'))).toBe(true)

    const again = await action({ images: images.join('\n'), 'destination-tag': 'r1' })
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 2 unchanged, 0 skipped, 0 failed')
    expect(again.calls).toEqual([])
    expect(again.log).not.toMatch(/"(PATCH|PUT) \/v2\/[^"]*\/blobs\/uploads\//)

    // Another tag in another run: the same compression gives the same blobs, and the same manifest.
    const retag = await action({ images: images[0], 'destination-tag': 'r2' })
    expectExit(retag, 0)
    expect((await getManifest(registry, 'proj/pweb', 'r2', USER))?.digest).toBe(pweb.digest)
  })

  test('a layer that is not what the config says fails the image before any manifest is put; the other image is pushed', async () => {
    const doctored = path.join(dir, 'doctored.tar')
    const bytes = fs.readFileSync(files.podman)
    const read = (offset: number, length: number) => bytes.subarray(offset, offset + length)
    const layer = tarEntries(read, bytes.length).find(
      entry => entry.kind === 'file' && entry.size > 100 * 1024
    )!
    // One byte of the layer's file content changed: the outer tar stays readable.
    bytes[layer.offset + Math.floor(layer.size / 2)] ^= 0xff
    fs.writeFileSync(doctored, bytes)
    const result = await action({
      images: [`doctored=docker-archive:${doctored}`, `fine=docker-archive:${files.docker}`].join(
        '\n'
      ),
      'destination-tag': 'r1'
    })
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /layer 1 holds content with the sha256 "sha256:[0-9a-f]{64}" where the image's config says "sha256:[0-9a-f]{64}" \(rootfs\.diff_ids\)/
    )
    expect(result.log).not.toMatch(/"PUT \/v2\/proj\/doctored\/manifests\//)
    expect(await listTags(registry, 'proj/doctored', USER)).toEqual([])
    expect(imagesOutput(result.outputs)[1]).toMatchObject({ status: 'pushed' })
  })

  test('archives sharing a base: each shared layer is compressed and sent once, then found or mounted', async () => {
    // The same docker archive as three images: every layer is shared.
    const names = ['share-a', 'share-b', 'share-c']
    const result = await action({
      images: names.map(name => `${name}=docker-archive:${files.podman}`).join('\n'),
      'destination-tag': 'r1',
      parallel: '3'
    })
    expectExit(result, 0)
    expect(result.calls).toEqual([])
    const layerCount = (await getManifest(registry, 'proj/share-a', 'r1', USER))!.body as {
      layers: unknown[]
    }
    const streamed = result.log.match(/"PATCH \/v2\/proj\/share-[abc]\/blobs\/uploads\//g) ?? []
    const mounts =
      result.log.match(
        /"POST \/v2\/proj\/share-[abc]\/blobs\/uploads\/\?[^"]*mount=sha256[^"]*" 201/g
      ) ?? []
    // Layers once in all, the config once per repository (a plain upload: its digest is known).
    expect({ streamed: streamed.length, mounts: mounts.length }).toEqual({
      streamed: layerCount.layers.length,
      mounts: (names.length - 1) * layerCount.layers.length
    })
    for (const name of names) await expectPushedImage(`proj/${name}`, 'r1', ids.podman)
  })
})

describe('retries', () => {
  test('a layer upload cut off is started over: compressed again from the file, the image whole', async () => {
    const proxy = await startFaultProxy(registry.host)
    try {
      let cut = false
      proxy.setRule(request => {
        if (request.method === 'PATCH' && !cut) {
          cut = true
          return 'reset'
        }
        return 'pass'
      })
      const result = await action({
        images: `retried=docker-archive:${files.podman}`,
        registry: `${proxy.host}/proj`,
        'destination-tag': 'v1',
        retries: '2'
      })
      expectExit(result, 0)
      expect(result.calls).toEqual([])
      const layers = (await getManifest(registry, 'proj/retried', 'v1', USER))!.body as {
        layers: unknown[]
      }
      const patches = proxy.requests.filter(request => request.method === 'PATCH')
      expect(patches.map(request => request.fault)).toEqual([
        'reset',
        ...layers.layers.map(() => 'pass')
      ])
      await expectPushedImage('proj/retried', 'v1', ids.podman)
    } finally {
      await proxy.stop()
    }
  })
})

describe('layers compressed already', () => {
  test('a zstd layer goes up as stored, in an OCI manifest (Docker schema 2 has no zstd layer)', async () => {
    const bytes = fs.readFileSync(files.podman)
    const read = (offset: number, length: number) => bytes.subarray(offset, offset + length)
    const entries = tarEntries(read, bytes.length)
    const body = (name: string) => {
      const entry = entries.find(candidate => candidate.name === name)!
      return Buffer.from(bytes.subarray(entry.offset, entry.offset + entry.size))
    }
    const [item] = JSON.parse(body('manifest.json').toString('utf8')) as {
      Config: string
      Layers: string[]
    }[]
    const plain = path.join(dir, 'layer.tar')
    fs.writeFileSync(plain, body(item.Layers[0]))
    await run(requireTool('zstd', 'apt-get install -y zstd'), [
      '-q',
      '-f',
      plain,
      '-o',
      `${plain}.zst`
    ])
    const layer = fs.readFileSync(`${plain}.zst`)
    const file = path.join(dir, 'zstd.tar')
    fs.writeFileSync(
      file,
      tarOf([
        { name: 'manifest.json', body: body('manifest.json') },
        { name: item.Config, body: body(item.Config) },
        ...item.Layers.map((name, index) => ({ name, body: index === 0 ? layer : body(name) }))
      ])
    )

    const result = await action({ images: `zweb=docker-archive:${file}`, 'destination-tag': 'r1' })
    expectExit(result, 0)
    const manifest = await getManifest(registry, 'proj/zweb', 'r1', USER)
    expect(manifest?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json')
    expect(manifest?.configDigest).toBe(ids.podman)
    const layers = (manifest!.body as { layers: { mediaType: string; digest: string }[] }).layers
    expect(layers).toHaveLength(1)
    expect(layers[0]).toEqual(
      expect.objectContaining({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
        digest: sha256(layer)
      })
    )
  })
})

describe('Docker 25+ docker save', () => {
  test('an OCI layout with manifest.json beside it (the containerd store, Docker 26), its layer gzip already: the layer goes up as stored, the config as the image ID', async () => {
    const engine = await startDockerd({ imageStore: 'containerd' })
    const file = path.join(dir, 'cweb.tar')
    try {
      const reference = `hp-da-${crypto.randomBytes(4).toString('hex')}/cweb:v1`
      await makeImage('docker', reference, { env: engine.env, sizeBytes: 100 * 1024 })
      await run(toolPath('docker'), ['save', '-o', file, reference], { env: engine.env })
    } finally {
      await engine.stop()
    }
    const bytes = fs.readFileSync(file)
    const read = (offset: number, length: number) => bytes.subarray(offset, offset + length)
    const entries = tarEntries(read, bytes.length)
    const body = (name: string) => {
      const entry = entries.find(candidate => candidate.name === name)!
      return bytes.subarray(entry.offset, entry.offset + entry.size)
    }
    const [item] = JSON.parse(body('manifest.json').toString('utf8')) as {
      Config: string
      Layers: string[]
    }[]
    expect(item.Config).toMatch(/^blobs\/sha256\/[0-9a-f]{64}$/)
    const layer = body(item.Layers[0])
    expect([...layer.subarray(0, 2)]).toEqual([0x1f, 0x8b])

    const result = await action({ images: `cweb=docker-archive:${file}`, 'destination-tag': 'r1' })
    expectExit(result, 0)
    expect(result.calls).toEqual([])
    const configDigest = sha256(body(item.Config))
    await expectPushedImage('proj/cweb', 'r1', configDigest)
    const manifest = (await getManifest(registry, 'proj/cweb', 'r1', USER))!.body as {
      layers: { digest: string }[]
    }
    // Sent as stored: not decompressed and compressed again.
    expect(manifest.layers[0].digest).toBe(sha256(layer))

    const again = await action({ images: `cweb=docker-archive:${file}`, 'destination-tag': 'r1' })
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 1 unchanged, 0 skipped, 0 failed')
  })
})

describe('broken and hostile docker archives: nothing pushed, exit 2', () => {
  const valid = (): Buffer => fs.readFileSync(files.podman)

  /** The podman archive again, with its layer stored under another name and reached through a link. */
  function withLinkedLayer(): Buffer {
    const bytes = valid()
    const read = (offset: number, length: number) => bytes.subarray(offset, offset + length)
    const entries = tarEntries(read, bytes.length).filter(entry => entry.kind === 'file')
    const body = (name: string) => {
      const entry = entries.find(candidate => candidate.name === name)!
      return Buffer.from(bytes.subarray(entry.offset, entry.offset + entry.size))
    }
    const manifest = JSON.parse(body('manifest.json').toString('utf8')) as {
      Config: string
      Layers: string[]
    }[]
    const [layer] = manifest[0].Layers
    return tarOf([
      { name: 'manifest.json', body: body('manifest.json') },
      { name: manifest[0].Config, body: body(manifest[0].Config) },
      { name: 'real.tar', body: body(layer) },
      { name: layer, type: '2', linkName: 'real.tar' }
    ])
  }

  test.each([
    [
      'a layer reached through a symbolic link (skopeo follows it)',
      withLinkedLayer,
      /holds ".*\.tar", a symbolic link, where its manifest\.json names a file: harbor-push follows no link in an archive/
    ],
    [
      'a name outside the archive',
      () => tarOf([{ name: '../manifest.json', body: '[]' }]),
      /holds "\.\.\/manifest\.json", a path outside the archive's own folder: refused/
    ],
    [
      'an archive cut short in a layer',
      () => valid().subarray(0, valid().length - 20 * 1024),
      /is not a readable docker archive \(the tar archive ends in the middle of a file\)/
    ]
  ])('%s', async (_label, bytes, words) => {
    const file = path.join(dir, `bad-${crypto.randomBytes(3).toString('hex')}.tar`)
    fs.writeFileSync(file, bytes())
    const result = await command([
      `bad=docker-archive:${file}`,
      `dweb=docker-archive:${files.docker}`
    ])
    expectStatus(result, 2)
    expect(result.stdout + result.stderr).toMatch(words)
    // Nothing sent: no upload, no manifest (the rights check's cancelled probes send nothing).
    expect(result.log).not.toMatch(/"(PATCH|PUT) \/v2\//)
    expect(await listTags(registry, 'proj/bad', USER)).toEqual([])
  })
})
