/**
 * docker's containerd image store (the default of fresh Docker 29 installs),
 * for real: Debian 13's dockerd 26 with the `containerd-snapshotter` feature
 * (rig/dockerd.ts). A multi-platform image loaded into it is pushed whole, as
 * the index the engine holds (its ID is that index's digest), with the
 * platforms in the output and the summary; a re-run finds it unchanged; an
 * index with a platform missing locally is refused by docker, and the step
 * says why and what to do. Read back from the registry's API.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, imagesOutput } from '../../rig/action.js'
import { type Dockerd, startDockerd } from '../../rig/dockerd.js'
import { makeManifestList, removeManifestList, toolPath } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { run } from '../../rig/tools.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const LISTS = `localhost/hp-c8d-${crypto.randomBytes(4).toString('hex')}`
const ARCHES = ['amd64', 'arm64']
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json'
]

let dockerd: Dockerd
let registry: Registry
/** A registry without a login, that the engine pulls one platform of an index from. */
let pullFrom: Registry
let dir: string
let loadedId: string
const jobs: RunnerJob[] = []

function docker(args: string[]) {
  return run('docker', args, { env: dockerd.env })
}

beforeAll(async () => {
  ;[dockerd, registry, pullFrom] = await Promise.all([
    startDockerd({ imageStore: 'containerd' }),
    startRegistry({ users: { [USER.username]: USER.password } }),
    startRegistry()
  ])
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-c8d-'))
  const podman = toolPath('podman')
  // Whole: a two-platform list, saved as an OCI archive and loaded into the engine.
  await makeManifestList(`${LISTS}/app:v1`, ARCHES)
  const archive = path.join(dir, 'app.tar')
  await run(podman, [
    'manifest',
    'push',
    '--all',
    `${LISTS}/app:v1`,
    `oci-archive:${archive}:localhost/c8d/app:v1`
  ])
  await docker(['load', '--input', archive])
  loadedId = (
    await docker(['image', 'inspect', '--format', '{{.Id}}', 'localhost/c8d/app:v1'])
  ).stdout.trim()
  // Part of one: another list in a registry, of which the engine pulls one platform only.
  await makeManifestList(`${LISTS}/part:v1`, ARCHES)
  await run(podman, [
    'manifest',
    'push',
    '--all',
    '--tls-verify=false',
    `${LISTS}/part:v1`,
    `docker://${pullFrom.host}/c8d/part:v1`
  ])
  await docker(['pull', '--platform', 'linux/arm64', `${pullFrom.host}/c8d/part:v1`])
  await docker(['tag', `${pullFrom.host}/c8d/part:v1`, 'localhost/c8d/part:v1'])
})

afterAll(async () => {
  await removeManifestList(`${LISTS}/app:v1`, ARCHES)
  await removeManifestList(`${LISTS}/part:v1`, ARCHES)
  await Promise.all([dockerd?.stop(), registry?.stop(), pullFrom?.stop()])
  for (const job of jobs) job.dispose()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

async function push(images: string) {
  const job = new RunnerJob(dockerd.env)
  jobs.push(job)
  return job.main({
    registry: `${registry.host}/proj`,
    ...USER,
    'container-tool': 'docker',
    'source-path': 'localhost/c8d',
    'source-tag': 'v1',
    images
  })
}

describe("docker's containerd image store", () => {
  test('the engine is one: a multi-platform image is an index, its ID the index digest', async () => {
    const info = await docker(['info', '--format', '{{json .DriverStatus}}'])
    expect(info.stdout).toContain('io.containerd.snapshotter.v1')
    expect(loadedId).toMatch(/^sha256:[a-f0-9]{64}$/)
  })

  test('a multi-platform image is pushed whole, its platforms in the output and summary; a re-run is unchanged', async () => {
    const first = await push('app')
    expectExit(first, 0)
    const [image] = imagesOutput(first.outputs) as (ReturnType<typeof imagesOutput>[number] & {
      platforms?: string[]
    })[]
    expect(image).toMatchObject({
      destination: `${registry.host}/proj/app:v1`,
      status: 'pushed',
      digest: loadedId,
      platforms: ['linux/amd64', 'linux/arm64']
    })
    const index = await getManifest(registry, 'proj/app', 'v1', USER)
    expect(INDEX_TYPES).toContain(index?.mediaType)
    expect(index?.digest).toBe(loadedId)
    const entries = (index?.body as { manifests: { platform: { architecture: string } }[] })
      .manifests
    expect(entries.map(entry => entry.platform.architecture).sort()).toEqual(ARCHES)
    expect(first.stdout).toContain('platforms:   linux/amd64, linux/arm64')
    expect(first.summary).toContain('linux/amd64, linux/arm64')

    const again = await push('app')
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 1 unchanged, 0 skipped, 0 failed')
    expect(imagesOutput(again.outputs)[0]).toMatchObject({
      status: 'unchanged',
      digest: loadedId,
      platforms: ['linux/amd64', 'linux/arm64']
    })
  })

  test('an index with a platform missing locally is refused whole, with the fix; nothing lands', async () => {
    const result = await push('part')
    expectExit(result, 1)
    expect(result.stdout).toContain(
      `docker's containerd image store holds only some platforms of the multi-platform image for "${registry.host}/proj/part:v1"`
    )
    expect(result.stdout).toContain('docker pull --platform <os/arch> for each')
    expect(await getManifest(registry, 'proj/part', 'v1', USER)).toBeUndefined()
  })
})
