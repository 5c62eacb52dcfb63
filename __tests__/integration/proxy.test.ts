/**
 * A runner behind a company proxy, with real parts: squid as the proxy, the
 * real registry, real podman and the bundled action. The registry is given a
 * name that only the proxy resolves, so nothing reaches it but through the
 * proxy: the action's own requests (preflight) and podman's push alike.
 */
import crypto from 'node:crypto'
import dns from 'node:dns/promises'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, type StepResult, expectExit, imagesOutput } from '../../rig/action.js'
import {
  HELM_VERSIONS,
  type Mirror,
  helmBinary,
  pathWithoutHelm,
  repackHelm,
  serveFolder,
  writeChart
} from '../../rig/helm.js'
import { type HttpProxy, startHttpProxy } from '../../rig/http-proxy.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { waitFor } from '../../rig/tools.js'

const USER = { username: 'ci', password: crypto.randomBytes(10).toString('hex') }
const SOURCE_PATH = `localhost/hp-proxy-${crypto.randomBytes(4).toString('hex')}`
const IMAGE = 'apim-le-cache'
/** Resolved by the proxy alone (RFC 2606 keeps `.invalid` out of DNS). */
const NAME = 'registry.hp-test.invalid'
const MIRROR_NAME = 'mirror.hp-test.invalid'

let plain: Registry
let secure: Registry
let proxy: HttpProxy
let mirror: Mirror
let ws = ''
const jobs: RunnerJob[] = []

beforeAll(async () => {
  plain = await startRegistry({ users: { [USER.username]: USER.password } })
  secure = await startRegistry({
    users: { [USER.username]: USER.password },
    tls: true,
    tlsHostNames: [NAME]
  })
  proxy = await startHttpProxy({ [NAME]: '127.0.0.1', [MIRROR_NAME]: '127.0.0.1' })
  await makeImage('podman', `${SOURCE_PATH}/${IMAGE}:v1`)
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-proxy-test-'))
  fs.mkdirSync(path.join(ws, 'mirror'))
  for (const major of [3, 4] as const) {
    await repackHelm(helmBinary(major), HELM_VERSIONS[major], path.join(ws, 'mirror'))
  }
  mirror = await serveFolder(path.join(ws, 'mirror'))
})

afterAll(async () => {
  await removeImage('podman', `${SOURCE_PATH}/${IMAGE}:v1`)
  await proxy?.stop()
  await mirror?.close()
  if (ws) fs.rmSync(ws, { recursive: true, force: true })
  await plain?.stop()
  await secure?.stop()
  for (const job of jobs) job.dispose()
})

function port(registry: Registry): string {
  return registry.host.split(':')[1]
}

async function push(
  registry: string,
  env: Record<string, string>,
  inputs: Record<string, string> = {}
): Promise<StepResult> {
  const job = new RunnerJob(env)
  jobs.push(job)
  return job.main({
    registry,
    ...USER,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    'source-tag': 'v1',
    images: IMAGE,
    ...inputs
  })
}

async function expectPushedTo(registry: Registry, result: StepResult): Promise<void> {
  const [image] = imagesOutput(result.outputs)
  expect(image.status).toBe('pushed')
  const [, repository, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
  expect((await getManifest(registry, repository, tag, USER))?.digest).toBe(image.digest)
}

/** The proxy's log lines since `from`, once it has written them (a tunnel is logged when it closes). */
async function proxied(from: number, expected: RegExp): Promise<string[]> {
  await waitFor(
    () =>
      proxy
        .requests()
        .slice(from)
        .some(line => expected.test(line)),
    5_000
  )
  return proxy.requests().slice(from)
}

test('the registry name resolves nowhere but in the proxy', async () => {
  await expect(dns.lookup(NAME)).rejects.toThrow(/ENOTFOUND|EAI_AGAIN/)
})

describe('through the proxy', () => {
  test('HTTPS: preflight and push tunnel through HTTPS_PROXY, with ca-file trusted at the registry', async () => {
    const from = proxy.requests().length
    const result = await push(
      `${NAME}:${port(secure)}/p${crypto.randomBytes(3).toString('hex')}`,
      { HTTPS_PROXY: proxy.url },
      { 'ca-file': secure.caFile ?? '' }
    )
    expectExit(result, 0)
    await expectPushedTo(secure, result)
    const lines = await proxied(from, /^CONNECT /)
    expect(lines.length).toBeGreaterThan(0)
    // Nothing went past the tunnel: no plain request, every CONNECT to the registry and let through.
    for (const line of lines) expect(line).toBe(`CONNECT ${NAME}:${port(secure)} 200`)
  })

  test('plain HTTP: every request of the preflight goes through HTTP_PROXY (lower-case names too)', async () => {
    const from = proxy.requests().length
    const project = `p${crypto.randomBytes(3).toString('hex')}`
    const result = await push(
      `${NAME}:${port(plain)}/${project}`,
      { http_proxy: proxy.url, https_proxy: proxy.url },
      { 'tls-verify': 'false' }
    )
    expectExit(result, 0)
    await expectPushedTo(plain, result)
    const origin = `http://${NAME}:${port(plain)}`
    const lines = await proxied(from, /manifests/)
    // The preflight: the unauthenticated probe and the login check on /v2/, what the tag holds,
    // and the upload it starts and cancels to learn it may push (only the action cancels one).
    expect(lines).toContain(`GET ${origin}/v2/ 401`)
    expect(lines).toContain(`GET ${origin}/v2/ 200`)
    expect(lines).toContain(`GET ${origin}/v2/${project}/${IMAGE}/manifests/v1 404`)
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^DELETE ${origin}/v2/${project}/${IMAGE}/blobs/uploads/[-0-9a-f]+\\?? 204$`)
      )
    )
    // And podman's upload.
    expect(lines).toContain(`PUT ${origin}/v2/${project}/${IMAGE}/manifests/v1 201`)
  })

  test.each([3, 4] as const)(
    'helm %d from helm-download-url is fetched through the proxy, and pushes the chart through it',
    async major => {
      const version = HELM_VERSIONS[major]
      const from = proxy.requests().length
      mirror.requests.length = 0
      const mirrorUrl = `http://${MIRROR_NAME}:${new URL(mirror.url).port}`
      const project = `p${crypto.randomBytes(3).toString('hex')}`
      const job = new RunnerJob({
        PATH: pathWithoutHelm(),
        RUNNER_TOOL_CACHE: path.join(ws, `tool-cache-${project}`),
        HTTP_PROXY: proxy.url,
        HTTPS_PROXY: proxy.url
      })
      jobs.push(job)
      const result = await job.main({
        registry: `${NAME}:${port(plain)}/${project}`,
        ...USER,
        'tls-verify': 'false',
        charts: writeChart(path.join(ws, project, 'app'), { name: 'app' }),
        'helm-version': version,
        'helm-download-url': mirrorUrl
      })
      expectExit(result, 0)
      expect(result.stdout).toContain(`installing helm ${version} from ${mirrorUrl}/`)
      expect(mirror.requests).toEqual([
        `/helm-${version}-linux-amd64.tar.gz.sha256sum`,
        `/helm-${version}-linux-amd64.tar.gz`
      ])
      const lines = await proxied(from, new RegExp(MIRROR_NAME))
      expect(lines.some(line => line.includes(MIRROR_NAME))).toBe(true)
      const [chart] = JSON.parse(job.outputs().charts ?? '[]') as { digest: string }[]
      expect((await getManifest(plain, `${project}/app`, '0.1.0', USER))?.digest).toBe(chart.digest)
    }
  )
})

describe('around the proxy', () => {
  test('NO_PROXY: a listed domain goes direct (and so cannot resolve the proxy-only name)', async () => {
    const from = proxy.requests().length
    const result = await push(
      `${NAME}:${port(secure)}/p${crypto.randomBytes(3).toString('hex')}`,
      { HTTPS_PROXY: proxy.url, NO_PROXY: 'example.org,hp-test.invalid' },
      { 'ca-file': secure.caFile ?? '', retries: '0' }
    )
    expectExit(result, 1)
    expect(result.stdout).toMatch(/ENOTFOUND|EAI_AGAIN/)
    expect(proxy.requests().slice(from)).toEqual([])
  })

  test('loopback registries go direct even with no NO_PROXY, as podman, helm and docker do', async () => {
    const result = await push(
      `127.0.0.1:${port(secure)}/p${crypto.randomBytes(3).toString('hex')}`,
      // A proxy that refuses everything: had anything tried it, the step would fail.
      { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' },
      { 'ca-file': secure.caFile ?? '' }
    )
    expectExit(result, 0)
    await expectPushedTo(secure, result)
  })
})

describe('a proxy that wants a login (407)', () => {
  const PROXY_LOGIN = { username: 'runner', password: crypto.randomBytes(8).toString('hex') }
  let guarded: HttpProxy

  beforeAll(async () => {
    guarded = await startHttpProxy({ [NAME]: '127.0.0.1' }, PROXY_LOGIN)
  })

  afterAll(async () => {
    await guarded?.stop()
  })

  test('without its login: the step says the proxy refused and what a 407 wants, before any push', async () => {
    const result = await push(
      `${NAME}:${port(secure)}/p${crypto.randomBytes(3).toString('hex')}`,
      { HTTPS_PROXY: guarded.url },
      { 'ca-file': secure.caFile ?? '' }
    )
    expectExit(result, 1)
    expect(result.stdout).toContain(
      `::error::the proxy in HTTPS_PROXY / HTTP_PROXY refused the connection to "${NAME}:${port(secure)}": a 407 needs the proxy's credentials in the variable`
    )
  })

  test('with its login in HTTPS_PROXY: pushed, and the proxy password is printed nowhere', async () => {
    const url = new URL(guarded.url)
    url.username = PROXY_LOGIN.username
    url.password = PROXY_LOGIN.password
    const result = await push(
      `${NAME}:${port(secure)}/p${crypto.randomBytes(3).toString('hex')}`,
      { HTTPS_PROXY: url.toString() },
      { 'ca-file': secure.caFile ?? '' }
    )
    expectExit(result, 0)
    await expectPushedTo(secure, result)
    expect(result.stdout + result.stderr).not.toContain(PROXY_LOGIN.password)
  })
})
