import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { InputError, PushError } from '../../src/errors.js'
import type { Scheme } from '../../src/registry/probe.js'
import type { PrivatePaths, TlsOptions } from '../../src/tools/container-tool.js'
import { Helm } from '../../src/tools/helm.js'
import { PUSH_STALL_MS } from '../../src/tools/stall-watch.js'
import { type Call, FakeRunner, type Reply } from './fake-runner.js'

const HOST = 'registry-oci.example.com'
const PREFIX = `${HOST}/catalog-apps-org-proj`
const USERNAME = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = 'cli-secret-9c1e'
const BASE64 = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
const DIGEST = `sha256:${'c0ffee42'.repeat(8)}`
const HELM = '/opt/hostedtoolcache/helm/3.17.3/amd64/helm'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-helm-'))
const caFile = path.join(root, 'ca.pem')
fs.writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
const runners: FakeRunner[] = []
let dir: string

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(root, 'harbor-push-'))
})

// Whatever helm was made to run, the secret went in on stdin only.
afterEach(() => {
  for (const runner of runners.splice(0)) {
    expect(runner.leaking(PASSWORD)).toEqual([])
    expect(runner.leaking(BASE64)).toEqual([])
  }
})

afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

/** What helm 3 and 4 print: the version on stdout, push results on stderr. */
function helmScript(version: string, extra: (call: Call) => Reply | undefined = () => undefined) {
  return (call: Call): Reply => {
    const special = extra(call)
    if (special !== undefined) return special
    if (call.args[0] === 'version') return version
    if (call.args[0] === 'push') {
      const name = path.basename(call.args[1]).replace(/-(\d.*)\.tgz$/, '')
      const tag = /-(\d.*)\.tgz$/.exec(call.args[1])?.[1].replace(/\+/g, '_')
      return {
        stdout: '',
        stderr: `Pushed: ${call.args[2].slice('oci://'.length)}/${name}:${tag}\nDigest: ${DIGEST}\n`
      }
    }
    if (call.args[0] === 'registry') return { stdout: 'Login Succeeded\n', stderr: '' }
    return ''
  }
}

function makeHelm(
  version: string,
  options: { tls?: Partial<TlsOptions>; paths?: Partial<PrivatePaths> } = {},
  extra?: (call: Call) => Reply | undefined
): { helm: Helm; runner: FakeRunner } {
  const runner = new FakeRunner(helmScript(version, extra))
  runners.push(runner)
  const helm = new Helm(
    runner.run,
    HELM,
    { dir, isolated: true, ...options.paths },
    { tlsVerify: true, caFile: '', ...options.tls }
  )
  return { helm, runner }
}

const detect = (scheme: Scheme) => (): Promise<Scheme> => Promise.resolve(scheme)

describe('version', () => {
  test.each(['v3.17.3', 'v4.1.4'])('reads %s with --template, once', async text => {
    const { helm, runner } = makeHelm(text)
    expect((await helm.version()).text).toBe(text)
    expect((await helm.version()).text).toBe(text)
    expect(runner.argv()).toEqual([[HELM, 'version', '--template', '{{.Version}}']])
  })

  test.each([
    [
      'v3.7.2',
      /helm v3\.7\.2 .* is too old to push charts to OCI registries: it needs v3\.8\.0 or newer/
    ],
    ['v2.17.0', /helm v2\.17\.0 .* is too old/],
    ['<no value>', /printed "<no value>" as its version; use helm 3 or 4/]
  ])('"%s" is refused', async (text, message) => {
    const error = await makeHelm(text)
      .helm.version()
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(message)
  })

  test('a helm that does not run is an input error naming the binary', async () => {
    const { helm } = makeHelm('v3.17.3', {}, () => ({ fail: 'exec format error', exitCode: 126 }))
    await expect(helm.version()).rejects.toThrow(`helm (${HELM}) does not run here`)
  })
})

describe.each([
  ['v3.17.3', ['--insecure']],
  ['v4.1.4', ['--plain-http']]
])('helm %s', (version, loginPlainHttp) => {
  const registryConfig = (): string => path.join(dir, 'helm', 'registry.json')

  test('logs in to the host only, password on stdin, into the private registry config', async () => {
    const { helm, runner } = makeHelm(version)
    await helm.connect(HOST, true, detect('https'))
    await helm.login(HOST, { username: USERNAME, password: PASSWORD })
    const login = runner.calls[1]
    expect([login.command, ...login.args]).toEqual([
      HELM,
      'registry',
      'login',
      HOST,
      '--username',
      USERNAME,
      '--password-stdin',
      '--registry-config',
      registryConfig()
    ])
    expect(login.options?.input).toBe(PASSWORD)
    // helm's own homes are private too: the user's helm setup is not read.
    expect(login.options?.env).toEqual({
      HELM_CONFIG_HOME: path.join(dir, 'helm', 'config'),
      HELM_CACHE_HOME: path.join(dir, 'helm', 'cache'),
      HELM_DATA_HOME: path.join(dir, 'helm', 'data')
    })
    expect(fs.statSync(path.dirname(registryConfig())).mode & 0o777).toBe(0o700)
  })

  test.each<[string, Partial<TlsOptions>, Scheme, string[], string[]]>([
    ['HTTPS, verified', {}, 'https', [], []],
    ['ca-file', { caFile }, 'https', ['--ca-file', caFile], ['--ca-file', caFile]],
    [
      'tls-verify false',
      { tlsVerify: false },
      'https',
      ['--insecure'],
      ['--insecure-skip-tls-verify']
    ],
    ['plain HTTP', { tlsVerify: false }, 'http', loginPlainHttp, ['--plain-http']]
  ])('%s: login and push flags', async (_label, tls, scheme, loginFlags, pushFlags) => {
    const { helm, runner } = makeHelm(version, { tls })
    await expect(helm.connect(HOST, true, detect(scheme))).resolves.toBe(scheme)
    await helm.login(HOST, { username: USERNAME, password: PASSWORD })
    const result = await helm.push('/work/app-1.2.3.tgz', PREFIX)
    expect(result).toEqual({ pushed: `${PREFIX}/app:1.2.3`, digest: DIGEST })
    expect(runner.argv().slice(1)).toEqual([
      [
        HELM,
        'registry',
        'login',
        HOST,
        '--username',
        USERNAME,
        '--password-stdin',
        '--registry-config',
        registryConfig(),
        ...loginFlags
      ],
      [
        HELM,
        'push',
        '/work/app-1.2.3.tgz',
        `oci://${PREFIX}`,
        '--registry-config',
        registryConfig(),
        ...pushFlags
      ]
    ]) // Only the push is watched: a push that stalls is stopped and retried (stall-watch.ts).
    expect(runner.calls.slice(1).map(call => call.options?.stallMs)).toEqual([
      undefined,
      PUSH_STALL_MS
    ])
  })

  test('without credentials: the existing helm login and homes, no --registry-config', async () => {
    const { helm, runner } = makeHelm(version, { paths: { isolated: false } })
    await helm.connect(HOST, false, detect('https'))
    await helm.push('/work/app-1.2.3.tgz', PREFIX)
    expect(runner.argv()[1]).toEqual([HELM, 'push', '/work/app-1.2.3.tgz', `oci://${PREFIX}`])
    expect(runner.calls[1].options?.env).toBeUndefined()
  })

  test('packages with --destination, --version and --app-version; returns the .tgz helm wrote', async () => {
    const { helm, runner } = makeHelm(version, {}, call =>
      call.args[0] === 'package'
        ? `Successfully packaged chart and saved it to: ${call.args[3]}/app-2.0.0-rc.1.tgz\n`
        : undefined
    )
    const file = await helm.package('/work/charts/app', '/tmp/out', {
      version: '2.0.0-rc.1',
      appVersion: '6.0.0'
    })
    expect(file).toBe('/tmp/out/app-2.0.0-rc.1.tgz')
    expect(runner.argv()).toEqual([
      [
        HELM,
        'package',
        '/work/charts/app',
        '--destination',
        '/tmp/out',
        '--version',
        '2.0.0-rc.1',
        '--app-version',
        '6.0.0'
      ]
    ])
  })

  test('packages without overrides, and builds dependencies with argv only', async () => {
    const out = fs.mkdtempSync(path.join(dir, 'out-'))
    const { helm, runner } = makeHelm(version, {}, call => {
      if (call.args[0] !== 'package') return undefined
      fs.writeFileSync(path.join(out, 'app-1.0.0.tgz'), '')
      // A helm that words its output differently: the .tgz in the folder is found anyway.
      return 'done\n'
    })
    await helm.dependencyBuild('/work/charts/app')
    expect(await helm.package('/work/charts/app', out, { version: '', appVersion: '' })).toBe(
      path.join(out, 'app-1.0.0.tgz')
    )
    expect(runner.argv()).toEqual([
      [HELM, 'dependency', 'build', '/work/charts/app'],
      [HELM, 'package', '/work/charts/app', '--destination', out]
    ])
  })

  test("reads a packaged chart with helm show chart, in the step's own helm homes", async () => {
    const { helm, runner } = makeHelm(version, {}, call =>
      call.args[0] === 'show' ? 'apiVersion: v2\nname: app\nversion: 1.0.0\n' : undefined
    )
    expect(await helm.showChart('/work/dist/app-1.0.0.tgz')).toBe(
      'apiVersion: v2\nname: app\nversion: 1.0.0\n'
    )
    expect(runner.argv()).toEqual([[HELM, 'show', 'chart', '/work/dist/app-1.0.0.tgz']])
    expect(runner.calls[0].options?.env?.HELM_CACHE_HOME).toBe(path.join(dir, 'helm', 'cache'))
  })

  test('a push that prints no digest is a failure, not an empty digest', async () => {
    const { helm } = makeHelm(version, {}, call =>
      call.args[0] === 'push' ? { stdout: '', stderr: 'Pushed: somewhere\n' } : undefined
    )
    await helm.connect(HOST, false, detect('https'))
    const error = await helm.push('/work/app-1.0.0.tgz', PREFIX).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(PushError)
    expect((error as Error).message).toMatch(/printed no "Pushed:" and "Digest:" lines/)
  })

  test('build metadata: helm reports the tag with "_" for "+"', async () => {
    const { helm } = makeHelm(version)
    await helm.connect(HOST, false, detect('https'))
    expect((await helm.push('/w/app-1.0.0+build.7.tgz', PREFIX)).pushed).toBe(
      `${PREFIX}/app:1.0.0_build.7`
    )
  })

  test('login and push before connect() is a programming error', async () => {
    const { helm } = makeHelm(version)
    await expect(helm.push('/w/app-1.0.0.tgz', PREFIX)).rejects.toThrow(/connect\(\) must run/)
  })
})

describe('connect', () => {
  test('a plain-HTTP registry with tls-verify true is refused before any login', async () => {
    const { helm, runner } = makeHelm('v4.1.4')
    await expect(helm.connect(HOST, true, detect('http'))).rejects.toThrow(
      `the registry "${HOST}" speaks plain HTTP: set tls-verify: false`
    )
    expect(runner.argv()).toEqual([[HELM, 'version', '--template', '{{.Version}}']])
  })

  test('a helm too old for plain HTTP says which version it needs', async () => {
    const { helm } = makeHelm('v3.12.3', { tls: { tlsVerify: false } })
    await expect(helm.connect(HOST, true, detect('http'))).rejects.toThrow(
      /helm v3\.12\.3 cannot push to a plain-HTTP registry .*needs helm v3\.13\.0 or newer/
    )
  })

  test('the scheme is probed with the step TLS settings', async () => {
    const { helm } = makeHelm('v4.1.4', { tls: { caFile } })
    const seen: [string, TlsOptions][] = []
    await helm.connect(HOST, true, (host, tls) => {
      seen.push([host, tls])
      return Promise.resolve('https')
    })
    expect(seen).toEqual([[HOST, { tlsVerify: true, caFile }]])
  })
})
