/**
 * Docker archives read in place: archives crafted byte by byte (rig/tgz.ts)
 * in the legacy layout (`<id>/layer.tar`, `<hex>.json`) and Docker 25+'s
 * (`blobs/sha256/<hex>`), the image chosen by `:NAME:TAG` (normalised as
 * skopeo does), `:@N` or none, and hostile or broken archives refused
 * before anything is pushed.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, describe, expect, test } from '@jest/globals'
import { type CraftedEntry, tarOf } from '../../rig/tgz.js'
import { InputError } from '../../src/errors.js'
import {
  DockerArchiveSource,
  compressionOf,
  normalisedName
} from '../../src/sources/docker-archive.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-docker-archive-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const hexOf = (bytes: Buffer): string => crypto.createHash('sha256').update(bytes).digest('hex')

interface Crafted {
  entries: CraftedEntry[]
  item: { Config: string; RepoTags: string[]; Layers: string[] }
  config: Buffer
  layers: Buffer[]
}

/** One image with `layers` plain layers (random bytes), in the legacy layout or Docker 25+'s. */
function image(tags: string[], layout: 'legacy' | 'oci', layers = 2): Crafted {
  const bodies = Array.from({ length: layers }, () => crypto.randomBytes(2000))
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: bodies.map(body => `sha256:${hexOf(body)}`) }
    })
  )
  const configName = layout === 'oci' ? `blobs/sha256/${hexOf(config)}` : `${hexOf(config)}.json`
  // A legacy layer's folder is named by its chain ID; any name unique to the layer serves here.
  const layerNames = bodies.map(body =>
    layout === 'oci' ? `blobs/sha256/${hexOf(body)}` : `${hexOf(body)}/layer.tar`
  )
  return {
    entries: [
      { name: configName, body: config },
      ...bodies.map((body, index) => ({ name: layerNames[index], body }))
    ],
    item: { Config: configName, RepoTags: tags, Layers: layerNames },
    config,
    layers: bodies
  }
}

function archive(images: Crafted[], extra: CraftedEntry[] = []): string {
  const file = path.join(dir, `${crypto.randomBytes(4).toString('hex')}.tar`)
  const manifest = Buffer.from(JSON.stringify(images.map(crafted => crafted.item)))
  fs.writeFileSync(
    file,
    tarOf([
      { name: 'manifest.json', body: manifest },
      ...images.flatMap(crafted => crafted.entries),
      ...extra
    ])
  )
  return file
}

async function bytesOf(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

async function refusal(file: string, ref = ''): Promise<string> {
  const error = await new DockerArchiveSource(file, ref).inspect().then(
    () => undefined,
    (thrown: unknown) => thrown
  )
  expect(error).toBeInstanceOf(InputError)
  return (error as Error).message
}

describe('reading a docker archive', () => {
  test.each(['legacy', 'oci'] as const)(
    'the %s layout: the config as stored, each layer streamed with its diffID',
    async layout => {
      const crafted = image(['app:v1'], layout)
      const read = await new DockerArchiveSource(archive([crafted]), '').inspect()
      expect(read.config).toEqual({
        digest: `sha256:${hexOf(crafted.config)}`,
        bytes: crafted.config
      })
      expect(read.layers.map(layer => [layer.diffId, layer.compression, layer.size])).toEqual(
        crafted.layers.map(body => [`sha256:${hexOf(body)}`, 'none', body.length])
      )
      expect(await bytesOf(read.layers[1].open())).toEqual(crafted.layers[1])
      // A new stream each time: a retry reads the layer again.
      expect(await bytesOf(read.layers[1].open())).toEqual(crafted.layers[1])
    }
  )

  test('links beside the files (podman, Docker 25+ write them) are kept unread', async () => {
    const crafted = image(['app:v1'], 'oci', 1)
    const file = archive(
      [crafted],
      [{ name: 'legacy/layer.tar', type: '2', linkName: `../${crafted.item.Layers[0]}` }]
    )
    const read = await new DockerArchiveSource(file, '').inspect()
    expect(read.layers).toHaveLength(1)
  })

  test('a layer compressed already is told by its first bytes', () => {
    expect(compressionOf(zlib.gzipSync(Buffer.from('tar')).subarray(0, 4))).toBe('gzip')
    expect(compressionOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd')
    expect(compressionOf(Buffer.from('app/'))).toBe('none')
    expect(compressionOf(Buffer.alloc(0))).toBe('none')
  })
})

describe('choosing the image, as skopeo does', () => {
  const web = image(['localhost/team/web:v1', 'web:stable'], 'legacy', 1)
  const api = image(['docker.io/library/api:v2'], 'legacy', 1)
  const configOf = async (ref: string): Promise<Buffer> =>
    (await new DockerArchiveSource(archive([web, api]), ref).inspect()).config.bytes

  test.each([
    ['localhost/team/web:v1', web],
    ['web:stable', web],
    ['docker.io/library/web:stable', web],
    ['api:v2', api],
    ['library/api:v2', api],
    ['@0', web],
    ['@1', api]
  ])('"%s"', async (ref, expected) => {
    expect(await configOf(ref)).toEqual(expected.config)
  })

  test.each([
    [
      '',
      /holds 2 images, not one \(it holds "localhost\/team\/web:v1", "web:stable", "docker\.io\/library\/api:v2"\): name one after the path, as ":NAME:TAG" or ":@N"/
    ],
    ['web:v1', /holds no image tagged "web:v1" \(it holds "localhost\/team\/web:v1"/],
    ['@2', /holds 2 images: "@2" names none \(the first is @0\)/]
  ])('"%s" names no one image', async (ref, words) => {
    expect(await refusal(archive([web, api]), ref)).toMatch(words)
  })

  test.each([
    ['web:v1', 'docker.io/library/web:v1'],
    ['team/web:v1', 'docker.io/team/web:v1'],
    ['localhost/web:v1', 'localhost/web:v1'],
    ['localhost:5000/web:v1', 'localhost:5000/web:v1'],
    ['registry.example.com/web:v1', 'registry.example.com/web:v1'],
    ['index.docker.io/web:v1', 'docker.io/library/web:v1']
  ])('%s is %s', (given, normalised) => {
    expect(normalisedName(given)).toBe(normalised)
  })
})

describe('broken and hostile archives: input errors, nothing pushed', () => {
  test('a config whose bytes are not its name', async () => {
    const crafted = image([], 'legacy', 1)
    crafted.entries[0].body = Buffer.from(`${crafted.config.toString('utf8')} `)
    expect(await refusal(archive([crafted]))).toMatch(
      /its config ".*\.json" has the sha256 "sha256:[0-9a-f]{64}": its bytes are not what its name says/
    )
  })

  test('more layers than the config has diffIDs', async () => {
    const crafted = image([], 'oci', 1)
    crafted.item.Layers.push(crafted.item.Layers[0])
    expect(await refusal(archive([crafted]))).toMatch(
      /lists 2 layers where the image's config lists 1 \(rootfs\.diff_ids\)/
    )
  })

  test('a layer left out', async () => {
    const crafted = image([], 'oci', 1)
    crafted.entries.pop()
    expect(await refusal(archive([crafted]))).toMatch(
      /layer "blobs\/sha256\/[0-9a-f]{64}" is missing/
    )
  })

  test.each([
    [
      'a layer named outside the archive',
      (crafted: Crafted) => (crafted.item.Layers[0] = '../x.tar'),
      /holds "\.\.\/x\.tar", a path outside the archive's own folder/
    ],
    [
      'a config named by an absolute path',
      (crafted: Crafted) => (crafted.item.Config = '/etc/passwd'),
      /holds "\/etc\/passwd", a path outside/
    ]
  ])('%s', async (_label, doctor, words) => {
    const crafted = image([], 'oci', 1)
    doctor(crafted)
    expect(await refusal(archive([crafted]))).toMatch(words)
  })

  test.each([
    ['a hard link named as a layer', '1'],
    ['a symbolic link named as a layer', '2']
  ])('%s', async (label, type) => {
    const crafted = image([], 'oci', 1)
    const [layer] = crafted.item.Layers
    crafted.entries[1].name = 'elsewhere.tar'
    crafted.entries.push({ name: layer, type, linkName: 'elsewhere.tar' })
    expect(await refusal(archive([crafted]))).toMatch(
      new RegExp(
        `holds "${layer}", a ${label.split(' ')[1]} link, where its manifest\\.json names a file`
      )
    )
  })

  test.each([
    ['a device', { name: 'dev/null', type: '3' }, /holds "dev\/null", a special file/],
    ['a name given twice', { name: 'manifest.json', body: '[]' }, /holds "manifest\.json" twice/],
    [
      'a size beyond the file',
      { name: 'big', body: 'x', size: 1 << 20 },
      /not a readable docker archive \(the tar archive ends in the middle of a file\)/
    ]
  ])('%s', async (_label, entry, words) => {
    expect(await refusal(archive([image([], 'oci', 1)], [entry]))).toMatch(words)
  })

  test.each([
    [
      'no manifest.json',
      () => tarOf([{ name: 'index.json', body: '{}' }]),
      /holds no manifest\.json: it is not a docker archive/
    ],
    [
      'a manifest.json that is no list',
      () => tarOf([{ name: 'manifest.json', body: '{}' }]),
      /its manifest\.json cannot be read \(not a list of images\)/
    ],
    [
      'a compressed archive',
      () => zlib.gzipSync(tarOf([{ name: 'manifest.json', body: '[]' }])),
      /is gzip-compressed: harbor-push reads a docker archive in place, as an uncompressed tar \(docker save and podman save --format docker-archive write it\); gunzip it first/
    ],
    [
      'more images than any archive holds',
      () =>
        tarOf([
          { name: 'manifest.json', body: JSON.stringify(Array.from({ length: 1001 }, () => ({}))) }
        ]),
      /lists more than 1000 manifests/
    ]
  ])('%s', async (_label, bytes, words) => {
    const file = path.join(dir, `${crypto.randomBytes(4).toString('hex')}.tar`)
    fs.writeFileSync(file, bytes())
    expect(await refusal(file)).toMatch(words)
  })

  test('a missing file', async () => {
    expect(await refusal(path.join(dir, 'nope.tar'))).toMatch(
      /"docker-archive:.*nope\.tar" cannot be opened \(.*\): check the path/
    )
  })
})
