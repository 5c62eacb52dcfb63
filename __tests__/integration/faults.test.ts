/**
 * Registry faults with real parts: a fault-injecting proxy of our own in
 * front of the real registry, real podman, the bundled action. Transient
 * faults end in success after retries; a registry that stays down ends in a
 * clear failure; a rejected login is never retried; one image failing for
 * good does not stop the others; parallelism stays within `parallel`.
 */
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals'
import { RunnerJob, type StepResult, expectExit, imagesOutput } from '../../rig/action.js'
import { type FaultProxy, startFaultProxy } from '../../rig/fault-proxy.js'
import { makeImage, makeImageOn, removeImage } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const SOURCE_PATH = `localhost/hp-fault-${crypto.randomBytes(4).toString('hex')}`
const NAMES = [
  'apim-le-cache',
  'apim-le-toolkit',
  'apim-le-configui',
  'apim-le-platformapi',
  'apim-le-bad'
]

let registry: Registry
let proxy: FaultProxy
let shims: Shims
const jobs: RunnerJob[] = []
let project = ''

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER.username]: USER.password } })
  proxy = await startFaultProxy(registry.host)
  shims = makeShims(['podman'])
  for (const name of NAMES) await makeImage('podman', `${SOURCE_PATH}/${name}:v1`)
})

afterAll(async () => {
  for (const name of NAMES) await removeImage('podman', `${SOURCE_PATH}/${name}:v1`)
  await proxy?.stop()
  await registry?.stop()
  shims?.dispose()
  for (const job of jobs) job.dispose()
})

beforeEach(() => {
  // A project of its own per test: every push is a first push.
  project = `p${crypto.randomBytes(3).toString('hex')}`
  proxy.setRule(() => 'pass')
  proxy.requests.length = 0
})

/** Runs the action against the fault proxy; `first` goes first on PATH (the recording shims by default). */
async function push(inputs: Record<string, string>, first = shims.dir): Promise<StepResult> {
  const job = new RunnerJob({ PATH: `${first}:${process.env.PATH ?? ''}` })
  jobs.push(job)
  return job.main({
    registry: `${proxy.host}/${project}`,
    ...USER,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    'source-tag': 'v1',
    'tls-verify': 'false',
    images: 'apim-le-cache',
    ...inputs
  })
}

async function expectPushed(result: StepResult): Promise<void> {
  for (const image of imagesOutput(result.outputs)) {
    expect(image.status).toBe('pushed')
    const [, repository, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
    expect((await getManifest(registry, repository, tag, USER))?.digest).toBe(image.digest)
  }
}

describe('transient faults end in success after retries', () => {
  test('503 with Retry-After for the first three requests', async () => {
    proxy.setRule((_request, index) => (index < 3 ? { status: 503, retryAfter: 1 } : 'pass'))
    const result = await push({ retries: '3' })
    expectExit(result, 0)
    await expectPushed(result)
    expect(proxy.requests.filter(request => request.fault.includes('503'))).toHaveLength(3)
    expect(result.stdout).toMatch(/::warning::registry check attempt 1 failed \(HTTP 503/)
  })

  test('connections reset before any answer', async () => {
    proxy.setRule((_request, index) => (index < 2 ? 'reset' : 'pass'))
    const result = await push({})
    expectExit(result, 0)
    await expectPushed(result)
    expect(proxy.requests.filter(request => request.fault === 'reset')).toHaveLength(2)
  })

  test('a registry that stalls for a while', async () => {
    proxy.setRule(request => (request.method === 'PUT' ? { stallMs: 2000 } : 'pass'))
    const result = await push({})
    expectExit(result, 0)
    await expectPushed(result)
  })

  test('the registry killed during a push and started again', async () => {
    let killed = false
    proxy.setRule(request => {
      // The first layer upload: take the registry down under the client's feet.
      if (!killed && request.method === 'PATCH') {
        killed = true
        void registry.kill().then(() => setTimeout(() => void registry.start(), 1500))
      }
      return 'pass'
    })
    const result = await push({ retries: '3' })
    expectExit(result, 0)
    expect(killed).toBe(true)
    await expectPushed(result)
  })
})

describe('failures that retries cannot fix', () => {
  test('a registry that stays down: a clear failure after the retries', async () => {
    proxy.setRule(() => ({ status: 503 }))
    const result = await push({ retries: '1' })
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /::error::gave up after 2 attempts: "127\.0\.0\.1:\d+" could not be reached or failed temporarily \(HTTP 503/
    )
    // The first check and its one retry; then the step stops before any push.
    expect(proxy.requests.length).toBeLessThanOrEqual(4)
    expect(
      shims.calls().some(call => call.startsWith('podman push') && call.includes(project))
    ).toBe(false)
  })

  test('a rejected login is asked once, never retried', async () => {
    const result = await push({ password: 'wrong-secret', retries: '5' })
    expectExit(result, 1)
    expect(result.stdout).toMatch(/::error::login to "127\.0\.0\.1:\d+" rejected for user "ci"/)
    const withCredentials = proxy.requests.filter(request => request.authorization)
    expect(withCredentials).toEqual([expect.objectContaining({ method: 'GET', path: '/v2/' })])
  })

  test('one image denied for good: the others are pushed, reported, and the step lists the failure', async () => {
    proxy.setRule(request =>
      request.method === 'PUT' && (request.url ?? '').includes('/apim-le-bad/manifests/')
        ? {
            status: 403,
            body: JSON.stringify({
              errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }]
            })
          }
        : 'pass'
    )
    const result = await push({ images: 'apim-le-cache apim-le-bad apim-le-toolkit', retries: '2' })
    expectExit(result, 1)
    const images = imagesOutput(result.outputs)
    expect(images.map(image => [image.destination.split('/').pop(), image.status])).toEqual([
      ['apim-le-cache:v1', 'pushed'],
      ['apim-le-bad:v1', 'failed'],
      ['apim-le-toolkit:v1', 'pushed']
    ])
    await expectPushed({
      ...result,
      outputs: { images: JSON.stringify(images.filter(image => image.status === 'pushed')) }
    })
    expect(result.stdout).toContain('2 pushed, 0 unchanged, 0 skipped, 1 failed')
    expect(result.stdout).toMatch(
      /::error::1 of 3 pushes failed:%0A- 127\.0\.0\.1:\d+\/p[0-9a-f]+\/apim-le-bad:v1: user "ci" may pull but not push/
    )
    expect(result.summary).toMatch(/apim-le-bad:v1.*❌ failed/s)
    expect(result.summary).toContain('apim-le-toolkit:v1')
    expect(result.outputs.refs.split('\n')).toHaveLength(2)
    // Denied is not transient: one push of the bad image, no retry.
    expect(
      shims
        .calls()
        .filter(call => call.startsWith('podman push') && call.includes(`${project}/apim-le-bad`))
    ).toHaveLength(1)
  })
})

describe('requests', () => {
  test('a re-run where every tag is unchanged asks no push rights: no upload is started', async () => {
    expectExit(await push({ images: 'apim-le-cache apim-le-toolkit' }), 0)
    const firstRun = proxy.requests.length
    // The first run started an upload per repository to learn it may push, and cancelled it.
    expect(proxy.requests.filter(r => r.method === 'DELETE')).toHaveLength(2)
    const again = await push({ images: 'apim-le-cache apim-le-toolkit' })
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 2 unchanged')
    const rerun = proxy.requests.slice(firstRun)
    expect(rerun.filter(request => !['GET', 'HEAD'].includes(request.method))).toEqual([])
    // The probe's /v2/ (no credentials), the login check, and per tag the manifest to
    // compare: no HEAD before it, which would only add a round trip.
    expect(rerun.map(request => `${request.method} ${request.path}`).sort()).toEqual(
      [
        'GET /v2/',
        'GET /v2/',
        `GET /v2/${project}/apim-le-cache/manifests/v1`,
        `GET /v2/${project}/apim-le-toolkit/manifests/v1`
      ].sort()
    )
  })
})

describe('tidying up', () => {
  test('a cancel of the upload probe that hangs holds the step a few seconds, not the retries', async () => {
    // Only the probe's cancel is held back; the pushes themselves never DELETE.
    proxy.setRule(request => (request.method === 'DELETE' ? { stallMs: 20_000 } : 'pass'))
    const started = Date.now()
    const result = await push({ retries: '3' })
    expectExit(result, 0)
    await expectPushed(result)
    expect(proxy.requests.filter(request => request.method === 'DELETE')).toHaveLength(1)
    // A registry request with retries would wait 30 s per attempt; a tidy-up gives up after 5 s.
    expect(Date.now() - started).toBeLessThan(15_000)
  })
})

describe('parallelism', () => {
  test('never more than `parallel` pushes at once, and really in parallel', async () => {
    // Each manifest write is held back so that pushes overlap long enough to observe.
    proxy.setRule(request =>
      request.method === 'PUT' && (request.url ?? '').includes('/manifests/')
        ? { stallMs: 700 }
        : 'pass'
    )
    const before = shims.spans('push').length
    const result = await push({
      images: 'apim-le-cache apim-le-toolkit apim-le-configui apim-le-platformapi',
      parallel: '2'
    })
    expectExit(result, 0)
    const spans = shims.spans('push').slice(before)
    expect(spans).toHaveLength(4)
    const most = Math.max(
      ...spans.map(
        span => spans.filter(other => other.start <= span.start && span.start < other.end).length
      )
    )
    expect(most).toBe(2)
  })
})

describe('images on a common base', () => {
  const BASE = `${SOURCE_PATH}/base:v1`
  const ON_BASE = ['apim-le-sysmgr', 'apim-le-apigateway', 'apim-le-devportal']

  beforeAll(async () => {
    await makeImage('podman', BASE, { sizeBytes: 256 * 1024 })
    for (const name of ON_BASE) await makeImageOn(BASE, `${SOURCE_PATH}/${name}:v1`)
  })

  afterAll(async () => {
    for (const name of ON_BASE) await removeImage('podman', `${SOURCE_PATH}/${name}:v1`)
    await removeImage('podman', BASE)
  })

  test('the base layer is uploaded once: the first image goes alone, the others mount it', async () => {
    const before = shims.spans('push').length
    const result = await push({ images: ON_BASE.join(' '), parallel: '3' })
    expectExit(result, 0)
    await expectPushed(result)
    // Every blob upload ends with one PUT: the base, three own layers, three configs.
    const uploads = proxy.requests.filter(
      request => request.method === 'PUT' && request.path.includes('/blobs/uploads/')
    )
    expect(uploads).toHaveLength(7)
    expect(result.stdout).toContain(
      'Images that share layers with an earlier one start once it is pushed'
    )
    const [first, ...rest] = shims.spans('push').slice(before)
    expect(rest).toHaveLength(2)
    for (const span of rest) expect(span.start).toBeGreaterThanOrEqual(first.end)
  })
})

describe('what the registry holds decides what is reported', () => {
  /** A podman that runs the real one with `script` first in its argv handling (bash). */
  function podmanWrapper(script: string): { dir: string; dispose(): void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-podman-wrap-'))
    const real = execFileSync('sh', ['-c', 'command -v podman'], { encoding: 'utf8' }).trim()
    fs.writeFileSync(
      path.join(dir, 'podman'),
      `#!/bin/bash\nREAL=${JSON.stringify(real)}\n${script}\n`,
      { mode: 0o755 }
    )
    return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) }
  }

  test('a push that landed but whose digest file could not be written (a full disk) is pushed, with the registry digest', async () => {
    // podman writes its --digestfile after the registry took the manifest; /dev/full plays the full RUNNER_TEMP.
    const wrapper = podmanWrapper(
      [
        'args=(); next=0',
        'for a in "$@"; do if [ $next = 1 ]; then args+=(/dev/full); next=0; continue; fi',
        '  [ "$a" = --digestfile ] && next=1; args+=("$a"); done',
        'exec "$REAL" "${args[@]}"'
      ].join('\n')
    )
    try {
      const result = await push({ retries: '0' }, wrapper.dir)
      expectExit(result, 0)
      await expectPushed(result)
      expect(result.stdout).toMatch(
        /podman reported a failure after the push landed \([^)]*no space left on device[^)]*\); the registry holds this image/
      )
    } finally {
      wrapper.dispose()
    }
  })

  test('another push to the same tag between the push and its read-back: failed, naming both digests', async () => {
    // A second run pushes other content to the tag right after this one's push: the read-back sees it.
    const other = `${SOURCE_PATH}/apim-le-toolkit:v1`
    const wrapper = podmanWrapper(
      [
        '"$REAL" "$@" || exit $?',
        'if [ "$1" = push ]; then dest="${@: -1}"; flags=("${@:2:$#-3}")',
        `  "$REAL" push "\${flags[@]}" --digestfile /dev/null ${other} "$dest" >/dev/null 2>&1; fi`
      ].join('\n')
    )
    try {
      const result = await push({ retries: '0' }, wrapper.dir)
      expectExit(result, 1)
      expect(imagesOutput(result.outputs)[0].status).toBe('failed')
      expect(result.stdout).toMatch(
        /reported sha256:[0-9a-f]{64}, but the registry holds sha256:[0-9a-f]{64} for that tag: another push may have raced this one/
      )
    } finally {
      wrapper.dispose()
    }
  })
})
