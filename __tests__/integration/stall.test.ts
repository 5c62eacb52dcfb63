/**
 * A push whose upload stalls forever, with real parts: real podman pushing
 * through the fault proxy to the real registry, the bundled action. A push
 * that makes no progress for the bound is stopped (the tool and what it
 * started) and tried again, and the log says why.
 */
import crypto from 'node:crypto'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, imagesOutput } from '../rig/action.js'
import { type FaultProxy, startFaultProxy } from '../rig/fault-proxy.js'
import { makeImage, removeImage } from '../rig/images.js'
import { getManifest } from '../rig/registry-api.js'
import { type Registry, startRegistry } from '../rig/registry.js'
import { type Shims, makeShims } from '../rig/shims.js'
import { processesMentioning } from '../rig/tools.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const SOURCE_PATH = `localhost/hp-stall-${crypto.randomBytes(4).toString('hex')}`
const STALL_SECONDS = 3

let registry: Registry
let proxy: FaultProxy
let shims: Shims
const jobs: RunnerJob[] = []

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER.username]: USER.password } })
  proxy = await startFaultProxy(registry.host)
  shims = makeShims(['podman'])
  await makeImage('podman', `${SOURCE_PATH}/apim-le-cache:v1`, { sizeBytes: 512 * 1024 })
})

afterAll(async () => {
  await removeImage('podman', `${SOURCE_PATH}/apim-le-cache:v1`)
  await proxy?.stop()
  await registry?.stop()
  shims?.dispose()
  for (const job of jobs) job.dispose()
})

test('an upload that stalls forever is stopped after the bound without progress and tried again', async () => {
  const project = `p${crypto.randomBytes(3).toString('hex')}`
  let stalled = false
  proxy.setRule(request => {
    // The first layer upload of the first push never gets an answer.
    if (!stalled && request.method === 'PATCH') {
      stalled = true
      return { stallMs: 600_000 }
    }
    return 'pass'
  })
  const job = new RunnerJob({
    PATH: `${shims.dir}:${process.env.PATH ?? ''}`,
    HARBOR_PUSH_STALL_SECONDS: String(STALL_SECONDS)
  })
  jobs.push(job)
  const started = Date.now()
  const result = await job.main({
    registry: `${proxy.host}/${project}`,
    ...USER,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    'source-tag': 'v1',
    'tls-verify': 'false',
    images: 'apim-le-cache',
    retries: '2'
  })
  expectExit(result, 0)
  expect(stalled).toBe(true)
  const [image] = imagesOutput(result.outputs)
  expect(image.status).toBe('pushed')
  expect((await getManifest(registry, `${project}/apim-le-cache`, 'v1', USER))?.digest).toBe(
    image.digest
  )
  expect(result.stdout).toMatch(
    new RegExp(
      `attempt 1 failed, retried after \\d+ ms: "podman push .*${project}/apim-le-cache:v1" made no progress for ${STALL_SECONDS} s \\(no output, under 64 KiB read or written\\)`
    )
  )
  const pushes = shims.calls().filter(call => call.startsWith('podman push') && call.includes(project))
  expect(pushes).toHaveLength(2)
  // Stopped, not left behind: no podman of that push still runs.
  expect(processesMentioning(`${project}/apim-le-cache`)).toEqual([])
  expect(Date.now() - started).toBeLessThan(60_000)
})
