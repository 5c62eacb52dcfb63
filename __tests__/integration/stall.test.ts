/**
 * A push whose upload stalls forever, with real parts: real podman pushing
 * through the fault proxy to the real registry, the bundled action. A push
 * that makes no progress for the bound is stopped (the tool and what it
 * started) and tried again, and the log says why.
 */
import crypto from 'node:crypto'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, imagesOutput } from '../../rig/action.js'
import { type Dockerd, startDockerd } from '../../rig/dockerd.js'
import { type FaultProxy, startFaultProxy } from '../../rig/fault-proxy.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'
import { processesMentioning } from '../../rig/tools.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const SOURCE_PATH = `localhost/hp-stall-${crypto.randomBytes(4).toString('hex')}`
const STALL_SECONDS = 3

let registry: Registry
let proxy: FaultProxy
let shims: Shims
let dockerd: Dockerd
const jobs: RunnerJob[] = []

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER.username]: USER.password } })
  proxy = await startFaultProxy(registry.host)
  shims = makeShims(['podman', 'docker'])
  dockerd = await startDockerd()
  await makeImage('podman', `${SOURCE_PATH}/apim-le-cache:v1`, { sizeBytes: 512 * 1024 })
  await makeImage('docker', 'apim/apim-le-cache:v1', { env: dockerd.env, sizeBytes: 512 * 1024 })
})

afterAll(async () => {
  await removeImage('podman', `${SOURCE_PATH}/apim-le-cache:v1`)
  await proxy?.stop()
  await dockerd?.stop()
  await registry?.stop()
  shims?.dispose()
  for (const job of jobs) job.dispose()
})

/** The first layer upload of the step never gets an answer; every later request passes. */
function stallFirstUpload(): () => boolean {
  let stalled = false
  proxy.setRule(request => {
    if (!stalled && request.method === 'PATCH') {
      stalled = true
      return { stallMs: 600_000 }
    }
    return 'pass'
  })
  return () => stalled
}

async function push(
  tool: 'podman' | 'docker',
  project: string
): Promise<Awaited<ReturnType<RunnerJob['main']>>> {
  const job = new RunnerJob({
    ...(tool === 'docker' ? dockerd.env : {}),
    PATH: `${shims.dir}:${process.env.PATH ?? ''}`,
    HARBOR_PUSH_STALL_SECONDS: String(STALL_SECONDS)
  })
  jobs.push(job)
  return job.main({
    registry: `${proxy.host}/${project}`,
    ...USER,
    'container-tool': tool,
    'source-path': tool === 'docker' ? 'apim' : SOURCE_PATH,
    'source-tag': 'v1',
    'tls-verify': 'false',
    images: 'apim-le-cache',
    retries: '2'
  })
}

function pushCalls(tool: string, project: string): string[] {
  return shims.calls().filter(call => call.startsWith(`${tool} push`) && call.includes(project))
}

const NO_PROGRESS = `made no progress for ${STALL_SECONDS} s \\(no output, under 64 KiB read or written\\), so it was stopped`

test('podman: an upload that stalls forever is stopped after the bound without progress and tried again', async () => {
  const project = `p${crypto.randomBytes(3).toString('hex')}`
  const stalled = stallFirstUpload()
  const started = Date.now()
  const result = await push('podman', project)
  expectExit(result, 0)
  expect(stalled()).toBe(true)
  const [image] = imagesOutput(result.outputs)
  expect(image.status).toBe('pushed')
  expect((await getManifest(registry, `${project}/apim-le-cache`, 'v1', USER))?.digest).toBe(
    image.digest
  )
  expect(result.stdout).toMatch(
    new RegExp(
      `attempt 1 failed, retried after \\d+ ms: "podman push .*${project}/apim-le-cache:v1" ${NO_PROGRESS}`
    )
  )
  expect(pushCalls('podman', project)).toHaveLength(2)
  // Stopped with what it started (the shim runs podman as its child): nothing of it still runs.
  expect(processesMentioning(`${project}/apim-le-cache`)).toEqual([])
  expect(Date.now() - started).toBeLessThan(60_000)
})

test('docker: a stalled upload is stopped and reported, not retried (the engine would only rejoin it)', async () => {
  const project = `p${crypto.randomBytes(3).toString('hex')}`
  const stalled = stallFirstUpload()
  const started = Date.now()
  const result = await push('docker', project)
  expectExit(result, 1)
  expect(stalled()).toBe(true)
  expect(imagesOutput(result.outputs).map(image => image.status)).toEqual(['failed'])
  expect(result.stdout).toMatch(
    new RegExp(
      `::error::.*"docker push .*${project}/apim-le-cache:v1" ${NO_PROGRESS}\\. The docker engine keeps the stalled upload after its client is stopped, so it was not tried again: check the engine's network path to the registry`
    )
  )
  expect(pushCalls('docker', project)).toHaveLength(1)
  expect(processesMentioning(`${project}/apim-le-cache`)).toEqual([])
  expect(Date.now() - started).toBeLessThan(30_000)
})
