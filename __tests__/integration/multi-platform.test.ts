/**
 * Multi-platform images: a podman manifest list (two architectures, built
 * with buildah) is pushed whole, as an index holding every platform, never
 * flattened to the runner's own; a re-run finds it unchanged. Read back from
 * the registry's API.
 */
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, imagesOutput } from '../../rig/action.js'
import { makeImage, makeManifestList, removeImage, removeManifestList } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const SOURCE_PATH = `localhost/hp-multi-${crypto.randomBytes(4).toString('hex')}`
const ARCHES = ['amd64', 'arm64']
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json'
]

let registry: Registry
let ids: Record<string, string>
let plainId: string
const jobs: RunnerJob[] = []

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER.username]: USER.password } })
  ids = await makeManifestList(`${SOURCE_PATH}/app:v1`, ARCHES)
  await makeImage('podman', `${SOURCE_PATH}/plain:v1`)
  plainId = await makeImage('podman', `${SOURCE_PATH}/app:plain`)
})

afterAll(async () => {
  await removeManifestList(`${SOURCE_PATH}/app:v1`, ARCHES)
  await removeImage('podman', `${SOURCE_PATH}/plain:v1`)
  await removeImage('podman', `${SOURCE_PATH}/app:plain`)
  await registry?.stop()
  for (const job of jobs) job.dispose()
})

async function push(inputs: Record<string, string>) {
  const job = new RunnerJob()
  jobs.push(job)
  return job.main({
    registry: `${registry.host}/proj`,
    ...USER,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    'tls-verify': 'false',
    ...inputs
  })
}

describe('a podman manifest list', () => {
  test('is pushed whole: an index with both platforms; the output and summary say so; a re-run is unchanged', async () => {
    const first = await push({ images: 'app:v1 plain:v1' })
    expectExit(first, 0)
    const [list, plain] = imagesOutput(first.outputs) as (ReturnType<
      typeof imagesOutput
    >[number] & { platforms?: string[] })[]
    expect(list).toMatchObject({ status: 'pushed', platforms: ['linux/amd64', 'linux/arm64'] })
    expect(plain.platforms).toBeUndefined()

    const index = await getManifest(registry, 'proj/app', 'v1', USER)
    expect(INDEX_TYPES).toContain(index?.mediaType)
    expect(index?.digest).toBe(list.digest)
    const entries = (
      index?.body as { manifests: { digest: string; platform: { architecture: string } }[] }
    ).manifests
    expect(entries.map(entry => entry.platform.architecture).sort()).toEqual(ARCHES)
    for (const entry of entries) {
      const child = await getManifest(registry, 'proj/app', entry.digest, USER)
      expect(child?.configDigest).toBe(ids[entry.platform.architecture])
    }
    expect(first.stdout).toContain('platforms:   linux/amd64, linux/arm64')
    expect(first.summary).toContain('linux/amd64, linux/arm64')

    const again = await push({ images: 'app:v1 plain:v1' })
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 2 unchanged, 0 skipped, 0 failed')
    expect(imagesOutput(again.outputs)[0]).toMatchObject({
      status: 'unchanged',
      digest: list.digest
    })
  })

  test('over a tag holding a single-platform image it is different content (if-exists: fail stops it)', async () => {
    expectExit(await push({ images: 'app:plain', 'destination-tag': 'shared' }), 0)
    const result = await push({
      images: 'app:v1',
      'destination-tag': 'shared',
      'if-exists': 'fail'
    })
    expectExit(result, 1)
    expect(result.stdout).toMatch(/if-exists: fail: ".*\/proj\/app:shared" \(holds sha256:/)
    expect((await getManifest(registry, 'proj/app', 'shared', USER))?.configDigest).toBe(plainId)
  })
})
