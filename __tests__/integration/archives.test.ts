/**
 * Archive and layout sources: `podman save` archives (OCI and docker
 * formats) and an OCI layout holding a multi-platform index, pushed with no
 * container engine (docker and podman are never called), digests kept byte
 * for byte, unchanged on a re-run; a missing or corrupt archive fails before
 * anything is pushed. Read back from the registry's API.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, imagesOutput } from '../../rig/action.js'
import {
  makeImage,
  makeImageOn,
  makeManifestList,
  removeImage,
  removeManifestList,
  toolPath
} from '../../rig/images.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'
import { requireTool, run } from '../../rig/tools.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const SOURCE_PATH = `localhost/hp-arch-${crypto.randomBytes(4).toString('hex')}`
const ARCHES = ['amd64', 'arm64']

let registry: Registry
let shims: Shims
let dir: string
let imageId: string
const jobs: RunnerJob[] = []
const files = { oci: '', docker: '', layout: '', corrupt: '' }
const sourceDigest: Record<string, string> = {}

/** The digest of the manifest (or index) a source holds: sha256 of its bytes, as skopeo reads them. */
async function rawDigest(reference: string): Promise<string> {
  const { stdout } = await run(requireTool('skopeo', 'apt-get install -y skopeo'), [
    'inspect',
    '--raw',
    reference
  ])
  return `sha256:${crypto.createHash('sha256').update(stdout).digest('hex')}`
}

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER.username]: USER.password } })
  // docker and podman behind recording shims: an archive push must call neither;
  // skopeo too: with a login, no archive is its (every kind is the own client's).
  shims = makeShims(['docker', 'podman', 'skopeo'])
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-archives-'))
  const podman = toolPath('podman')
  imageId = await makeImage('podman', `${SOURCE_PATH}/web:v1`)
  files.oci = path.join(dir, 'web.tar')
  files.docker = path.join(dir, 'api.docker.tar')
  files.layout = path.join(dir, 'multi')
  files.corrupt = path.join(dir, 'broken.tar')
  await run(podman, ['save', '--format', 'oci-archive', '-o', files.oci, `${SOURCE_PATH}/web:v1`])
  await run(podman, [
    'save',
    '--format',
    'docker-archive',
    '-o',
    files.docker,
    `${SOURCE_PATH}/web:v1`
  ])
  await makeManifestList(`${SOURCE_PATH}/multi:v2`, ARCHES)
  await run(podman, [
    'manifest',
    'push',
    '--all',
    `${SOURCE_PATH}/multi:v2`,
    `oci:${files.layout}:v2`
  ])
  fs.writeFileSync(files.corrupt, crypto.randomBytes(4096))
  sourceDigest.oci = await rawDigest(`oci-archive:${files.oci}`)
  sourceDigest.layout = await rawDigest(`oci:${files.layout}:v2`)
})

afterAll(async () => {
  await removeImage('podman', `${SOURCE_PATH}/web:v1`)
  await removeManifestList(`${SOURCE_PATH}/multi:v2`, ARCHES)
  await registry?.stop()
  shims?.dispose()
  for (const job of jobs) job.dispose()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** What docker and podman were asked: an archive push asks them nothing. */
function engineCalls(calls: string[]): string[] {
  return calls.filter(call => /^(docker|podman) /.test(call))
}

async function push(inputs: Record<string, string>) {
  const job = new RunnerJob({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
  jobs.push(job)
  const before = shims.calls().length
  const result = await job.main({
    registry: `${registry.host}/proj`,
    ...USER,
    'tls-verify': 'false',
    ...inputs
  })
  return { ...result, calls: shims.calls().slice(before) }
}

describe('archive and layout sources, no container engine', () => {
  test('an OCI archive, a docker archive and a multi-platform layout: pushed with their digests; a re-run is unchanged', async () => {
    const images = [
      `oci-archive:${files.oci}`,
      `api=docker-archive:${files.docker}`,
      `oci:${files.layout}:v2`
    ].join('\n')
    const first = await push({ images, 'destination-tag': 'r1' })
    expectExit(first, 0)
    expect(engineCalls(first.calls)).toEqual([])
    expect(first.calls).toEqual([])
    expect(first.stdout).toMatch(/[\d.]+ (bytes|MB) uploaded \(2 blobs\)/)
    const [web, api, multi] = imagesOutput(first.outputs) as (ReturnType<
      typeof imagesOutput
    >[number] & {
      platforms?: string[]
    })[]
    expect(web).toMatchObject({
      destination: `${registry.host}/proj/web:r1`,
      status: 'pushed',
      digest: sourceDigest.oci
    })
    expect(multi).toMatchObject({
      destination: `${registry.host}/proj/multi:r1`,
      status: 'pushed',
      digest: sourceDigest.layout,
      platforms: ['linux/amd64', 'linux/arm64']
    })
    expect(api).toMatchObject({ destination: `${registry.host}/proj/api:r1`, status: 'pushed' })

    // Byte for byte: the registry serves the source's own manifest and index.
    expect((await getManifest(registry, 'proj/web', 'r1', USER))?.digest).toBe(sourceDigest.oci)
    const index = await getManifest(registry, 'proj/multi', 'r1', USER)
    expect(index?.digest).toBe(sourceDigest.layout)
    expect((index?.body as { manifests: unknown[] }).manifests).toHaveLength(2)
    // A docker archive has no registry manifest: its config (the image ID) is what is kept.
    expect((await getManifest(registry, 'proj/api', 'r1', USER))?.configDigest).toBe(imageId)

    const again = await push({ images, 'destination-tag': 'r1' })
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 3 unchanged, 0 skipped, 0 failed')
    expect(engineCalls(again.calls)).toEqual([])
    expect(again.calls).toEqual([])
  })

  test('docker archives sharing a base layer: one pushes it, the others wait for it and mount it', async () => {
    const podman = toolPath('podman')
    const base = `${SOURCE_PATH}/base:v1`
    const names = ['svc-a', 'svc-b', 'svc-c']
    await makeImage('podman', base, { sizeBytes: 256 * 1024 })
    const archives: string[] = []
    for (const name of names) {
      await makeImageOn(base, `${SOURCE_PATH}/${name}:v1`)
      const file = path.join(dir, `${name}.docker.tar`)
      await run(podman, [
        'save',
        '--format',
        'docker-archive',
        '-o',
        file,
        `${SOURCE_PATH}/${name}:v1`
      ])
      archives.push(`${name}=docker-archive:${file}`)
    }
    try {
      const logsBefore = registry.logs().length
      const result = await push({
        images: archives.join('\n'),
        'destination-tag': 'r1',
        parallel: '3'
      })
      expectExit(result, 0)
      // The own client, no tool: skopeo pushed docker archives before.
      expect(result.calls).toEqual([])
      // Each image's own layer and config is uploaded once, the shared base
      // layer once in all: the other images wait for that layer only, then
      // mount it under the digest the first push gave it. (skopeo processes,
      // side by side, each uploaded the base: the pipeline had to start one
      // image after the other.)
      const log = registry.logs().slice(logsBefore)
      const uploads =
        log.match(/"PUT \/v2\/proj\/svc-[abc]\/blobs\/uploads\/[^"]*digest=sha256/g) ?? []
      const mounts =
        log.match(/"POST \/v2\/proj\/svc-[abc]\/blobs\/uploads\/\?[^"]*mount=sha256[^"]*" 201/g) ??
        []
      expect({ uploads: uploads.length, mounts: mounts.length }).toEqual({
        uploads: 1 + 2 * names.length,
        mounts: names.length - 1
      })
    } finally {
      for (const name of names) await removeImage('podman', `${SOURCE_PATH}/${name}:v1`)
      await removeImage('podman', base)
    }
  })

  test('the tag of a layout entry is its own REF when no destination-tag is given', async () => {
    const result = await push({ images: `oci:${files.layout}:v2` })
    expectExit(result, 0)
    expect(imagesOutput(result.outputs)[0].destination).toBe(`${registry.host}/proj/multi:v2`)
  })

  test.each([
    [
      'a missing archive',
      () => `oci-archive:${path.join(dir, 'nope.tar')}`,
      /::error::Invalid input: "oci-archive:.*nope\.tar" cannot be opened \(.*\): check the path/
    ],
    [
      'a corrupt archive',
      () => `oci-archive:${files.corrupt}`,
      /::error::Invalid input: "oci-archive:.*broken\.tar" is not a readable OCI archive \(not a tar archive/
    ],
    [
      'a folder that is no layout',
      () => `oci:${dir}:v1`,
      /::error::Invalid input: "oci:.*:v1" holds no index\.json: it is not an OCI image layout/
    ],
    [
      'a missing docker archive',
      () => `docker-archive:${path.join(dir, 'nope.docker.tar')}`,
      /::error::Invalid input: "docker-archive:.*nope\.docker\.tar" cannot be opened \(.*\): check the path/
    ]
  ])(
    '%s fails before anything is pushed, the local image with it included',
    async (_label, entry, words) => {
      const tag = `bad-${crypto.randomBytes(3).toString('hex')}`
      const result = await push({
        images: `${entry()}\nweb:v1`,
        'source-path': SOURCE_PATH,
        'container-tool': 'podman',
        'destination-tag': tag
      })
      expectExit(result, 1)
      expect(result.stdout).toMatch(words)
      expect(result.calls.filter(call => / push /.test(` ${call} `))).toEqual([])
      expect(await listTags(registry, 'proj/web', USER)).not.toContain(tag)
    }
  )
})
