/**
 * Charts end to end: the bundled action runs with real helm v3 and v4 against a real registry
 * (htpasswd auth over plain HTTP, and over TLS with a self-signed CA), installs helm from a
 * loopback mirror into the tool cache, and pushes images and charts in one step. Every chart is
 * read back from the registry's API.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { readChartArchive } from '../../src/charts/archive.js'
import {
  RunnerJob,
  expectExit,
  filesContaining,
  imagesOutput,
  tempLeftovers
} from '../../rig/action.js'
import {
  HELM_VERSIONS,
  type Mirror,
  helmBinary,
  helmPackage,
  pathWithHelm,
  pathWithoutHelm,
  repackHelm,
  serveFolder,
  writeChart
} from '../../rig/helm.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest, listTags, request } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { makeShims } from '../../rig/shims.js'
import { run } from '../../rig/tools.js'
import { chartYaml, hugeChartTgz, tgzOf } from '../../rig/tgz.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const AUTH = { username: USER, password: PASSWORD }
const SECRET_FORMS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]
const SOURCE_PATH = `localhost/hp-charts-${crypto.randomBytes(4).toString('hex')}`
const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json'
const HELM_CHART_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip'

interface ChartOutput {
  chart: string
  version: string
  reference: string
  digest: string
  status: string
}

interface OciManifest {
  config: { mediaType: string; digest: string }
  layers: { mediaType: string; digest: string }[]
}

let registry: Registry
let tlsRegistry: Registry
let ws: string
const helm = { 3: '', 4: '' }
/** PATH with exactly one helm: the version's own. */
const helmPath = { 3: '', 4: '' }
const jobs: RunnerJob[] = []

function job(env: Record<string, string> = {}): RunnerJob {
  const created = new RunnerJob(env)
  jobs.push(created)
  return created
}

function inputs(reg: Registry, project: string, extra: Record<string, string> = {}) {
  return {
    registry: `${reg.host}/${project}`,
    username: USER,
    password: PASSWORD,
    'tls-verify': 'false',
    ...extra
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function chartsOutput(outputs: Record<string, string>): ChartOutput[] {
  return JSON.parse(outputs.charts ?? '[]') as ChartOutput[]
}

/** A blob of a repository, as bytes. */
async function blob(reg: Registry, repo: string, digest: string): Promise<Buffer> {
  const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
  const res = await request(reg, 'GET', `/v2/${repo}/blobs/${digest}`, {
    Authorization: `Basic ${basic}`
  })
  if (res.status !== 200) throw new Error(`GET blob ${repo}@${digest}: HTTP ${res.status}`)
  return res.body
}

/** Reads a pushed chart back: its manifest must be Helm's, with the digest the step reported. */
async function expectChartInRegistry(
  reg: Registry,
  output: ChartOutput
): Promise<{ config: Record<string, unknown>; layer: Buffer }> {
  const [, repo, tag] = /^oci:\/\/[^/]+\/(.+):([^:]+)$/.exec(output.reference) ?? []
  const manifest = await getManifest(reg, repo, tag, AUTH)
  expect(manifest?.digest).toBe(output.digest)
  const body = manifest?.body as OciManifest
  expect(body.config.mediaType).toBe(HELM_CONFIG_MEDIA_TYPE)
  expect(body.layers.map(layer => layer.mediaType)).toEqual([HELM_CHART_MEDIA_TYPE])
  const config = JSON.parse((await blob(reg, repo, body.config.digest)).toString('utf8')) as Record<
    string,
    unknown
  >
  return { config, layer: await blob(reg, repo, body.layers[0].digest) }
}

/** Every file below `folder` with its content: a chart folder must be left as it was. */
function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name)
      files[path.relative(folder, file)] = fs.readFileSync(file, 'utf8')
    }
  }
  return files
}

beforeAll(async () => {
  helm[3] = helmBinary(3)
  helm[4] = helmBinary(4)
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-charts-ws-'))
  helmPath[3] = pathWithHelm(helm[3], path.join(ws, 'bin-v3'))
  helmPath[4] = pathWithHelm(helm[4], path.join(ws, 'bin-v4'))
  registry = await startRegistry({ users: { [USER]: PASSWORD } })
  tlsRegistry = await startRegistry({ users: { [USER]: PASSWORD }, tls: true })
})

afterAll(async () => {
  await Promise.all([registry?.stop(), tlsRegistry?.stop()])
  for (const created of jobs) created.dispose()
  if (ws) fs.rmSync(ws, { recursive: true, force: true })
})

describe.each([3, 4] as const)('helm v%s from PATH', major => {
  const version = (): string => HELM_VERSIONS[major]

  test('pushes a packaged chart folder and a ready .tgz; the registry holds Helm manifests with the output digests', async () => {
    const project = `charts-v${major}`
    const app = writeChart(path.join(ws, `v${major}/charts/app`), { name: 'app' })
    const dist = path.join(ws, `v${major}/dist`)
    await helmPackage(
      helm[major],
      writeChart(path.join(ws, `v${major}/src/lib`), { name: 'lib', version: '2.3.4' }),
      dist
    )
    const before = snapshot(app)
    const runner = job({ PATH: helmPath[major] })
    const result = await runner.main(
      inputs(registry, project, {
        charts: `${app}\n${dist}/*.tgz`,
        'chart-version': '1.2.3-rc.1+build.7',
        'chart-app-version': '6.0.0'
      })
    )
    expectExit(result, 0)
    expect(result.stdout).toContain(
      `Using helm ${version()} from PATH (${path.join(ws, `bin-v${major}`, 'helm')})`
    )
    expect(result.stdout).toContain(`${registry.host} speaks plain HTTP: helm uses --plain-http`)

    const charts = chartsOutput(result.outputs)
    const prefix = `${registry.host}/${project}`
    expect(
      charts.map(({ chart, version: v, reference, status }) => [chart, v, reference, status])
    ).toEqual([
      // helm writes SemVer build metadata into the OCI tag with "_" for "+".
      ['app', '1.2.3-rc.1+build.7', `oci://${prefix}/app:1.2.3-rc.1_build.7`, 'pushed'],
      ['lib', '2.3.4', `oci://${prefix}/lib:2.3.4`, 'pushed']
    ])
    const app123 = await expectChartInRegistry(registry, charts[0])
    expect(app123.config).toMatchObject({
      name: 'app',
      version: '1.2.3-rc.1+build.7',
      appVersion: '6.0.0'
    })
    const lib = await expectChartInRegistry(registry, charts[1])
    expect(lib.config).toMatchObject({ name: 'lib', version: '2.3.4', appVersion: '1.0.0' })
    // The ready .tgz went up byte for byte.
    expect(lib.layer.equals(fs.readFileSync(path.join(dist, 'lib-2.3.4.tgz')))).toBe(true)

    expect(result.outputs.refs.split('\n')).toEqual([
      `${prefix}/app:1.2.3-rc.1_build.7@${charts[0].digest}`,
      `${prefix}/lib:2.3.4@${charts[1].digest}`
    ])
    expect(JSON.parse(result.outputs.images)).toEqual([])
    expect(result.stdout).toContain('2 pushed, 0 unchanged, 0 skipped, 0 failed')
    expect(result.summary).toContain(`<code>chart app 1.2.3-rc.1+build.7</code>`)
    expect(result.summary).toContain(`oci://${prefix}/lib:2.3.4`)
    // Packaging happened in the private directory, which is gone; the chart folder is untouched.
    expect(tempLeftovers(runner.runnerTemp)).toEqual([])
    expect(snapshot(app)).toEqual(before)
  })

  test.each([
    ['ca-file', { 'tls-verify': 'true', 'ca-file': '<ca>' }],
    ['tls-verify: false', { 'tls-verify': 'false' }]
  ])('TLS registry with %s', async (label, extra) => {
    const project = `tls-v${major}-${label.startsWith('ca') ? 'ca' : 'insecure'}`
    const app = writeChart(path.join(ws, `v${major}/tls-${project}/app`), { name: 'app' })
    const settings = Object.fromEntries(
      Object.entries(extra).map(([key, value]) => [
        key,
        value === '<ca>' ? (tlsRegistry.caFile ?? '') : value
      ])
    )
    const runner = job({ PATH: helmPath[major] })
    const result = await runner.main(inputs(tlsRegistry, project, { charts: app, ...settings }))
    expect(tempLeftovers(runner.runnerTemp)).toEqual([])
    if (major === 3) {
      // helm 3 sends plain HTTP to loopback hosts whatever its TLS flags say (a bare
      // "400 Bad Request" from the registry): refused up front, with the fix.
      expect(result.code).toBe(1)
      expect(result.stdout).toContain(
        `::error::Invalid input: helm ${version()} cannot push to the TLS registry "${tlsRegistry.host}": helm 3 always talks plain HTTP to loopback hosts; use helm 4`
      )
      expect(await listTags(tlsRegistry, `${project}/app`, AUTH)).toEqual([])
      return
    }
    expectExit(result, 0)
    const [chart] = chartsOutput(result.outputs)
    expect(chart.status).toBe('pushed')
    await expectChartInRegistry(tlsRegistry, chart)
  })

  test('a plain-HTTP registry with tls-verify true fails before any login, with the fix', async () => {
    const project = `plain-v${major}`
    const shims = makeShims(['helm'], { helm: helm[major] })
    try {
      const app = writeChart(path.join(ws, `v${major}/plain/app`), { name: 'app' })
      const result = await job({ PATH: `${shims.dir}:${helmPath[major]}` }).main(
        inputs(registry, project, { charts: app, 'tls-verify': 'true' })
      )
      expect(result.code).toBe(1)
      expect(result.stdout).toContain(
        `::error::Invalid input: the registry "${registry.host}" speaks plain HTTP: set tls-verify: false`
      )
      expect(shims.calls()).toEqual(['helm version --template {{.Version}}'])
      expect(await listTags(registry, `${project}/app`, AUTH)).toEqual([])
    } finally {
      shims.dispose()
    }
  })
})

describe('TLS without trust', () => {
  test('a self-signed registry without ca-file fails before login with the ca-file / tls-verify hint', async () => {
    const app = writeChart(path.join(ws, 'untrusted/app'), { name: 'app' })
    const result = await job({ PATH: helmPath[4] }).main(
      inputs(tlsRegistry, 'untrusted', { charts: app, 'tls-verify': 'true' })
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      /::error::the TLS certificate of "127\.0\.0\.1:\d+" is not trusted: set ca-file to the registry's CA bundle \(PEM\), or tls-verify: false \(.*(self-signed certificate|x509: certificate signed by unknown authority)/
    )
  })
})

describe('file:// dependencies', () => {
  test('are built into the package, and the chart folder is left as it was found', async () => {
    writeChart(path.join(ws, 'deps/common'), { name: 'common', version: '0.4.0' })
    const parent = writeChart(path.join(ws, 'deps/parent'), {
      name: 'parent',
      extra: [
        'dependencies:',
        '  - name: common',
        '    version: 0.4.0',
        '    repository: file://../common'
      ].join('\n')
    })
    const before = snapshot(parent)
    const result = await job({ PATH: helmPath[4] }).main(
      inputs(registry, 'deps', { charts: parent })
    )
    expectExit(result, 0)
    expect(result.stdout).toMatch(
      /Packaged chart folder ".*parent" as parent-0\.1\.0\.tgz \(file:\/\/ dependencies built\)/
    )
    const [chart] = chartsOutput(result.outputs)
    const { layer } = await expectChartInRegistry(registry, chart)
    const packaged = path.join(ws, 'deps/pushed.tgz')
    fs.writeFileSync(packaged, layer)
    // helm package stores a built dependency unpacked, under charts/.
    expect(readChartArchive(packaged).files.get('charts/common/Chart.yaml')?.toString()).toContain(
      'version: 0.4.0'
    )
    expect(snapshot(parent)).toEqual(before)
    expect(fs.existsSync(path.join(parent, 'Chart.lock'))).toBe(false)
  })
})

describe('helm from the tool cache', () => {
  let mirrorDir: string
  let mirror: Mirror
  let archive: string
  const marker = (): string => path.join(ws, 'tampered-helm-ran')

  beforeAll(async () => {
    mirrorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-helm-mirror-'))
    // The real helm v3, repacked the way get.helm.sh publishes it.
    fs.mkdirSync(path.join(mirrorDir, 'good'))
    archive = await repackHelm(helm[3], HELM_VERSIONS[3], path.join(mirrorDir, 'good'))
    // A mirror serving another archive under the published sha256: its helm would leave a mark.
    const tampered = path.join(mirrorDir, 'tampered')
    fs.mkdirSync(path.join(tampered, 'build', 'linux-amd64'), { recursive: true })
    fs.writeFileSync(
      path.join(tampered, 'build', 'linux-amd64', 'helm'),
      `#!/bin/sh\ntouch '${marker()}'\n`,
      {
        mode: 0o755
      }
    )
    await run('tar', [
      '-czf',
      path.join(tampered, archive),
      '-C',
      path.join(tampered, 'build'),
      'linux-amd64'
    ])
    fs.copyFileSync(
      path.join(mirrorDir, 'good', `${archive}.sha256sum`),
      path.join(tampered, `${archive}.sha256sum`)
    )
    mirror = await serveFolder(mirrorDir)
  })

  afterAll(async () => {
    await mirror?.close()
    if (mirrorDir) fs.rmSync(mirrorDir, { recursive: true, force: true })
  })

  test('without helm on PATH, installs helm-version after checking its sha256; a second run uses the cache', async () => {
    const toolCache = fs.mkdtempSync(path.join(ws, 'tool-cache-'))
    const env = { PATH: pathWithoutHelm(), RUNNER_TOOL_CACHE: toolCache }
    const app = writeChart(path.join(ws, 'cache/app'), { name: 'app' })
    const settings = inputs(registry, 'from-cache', {
      charts: app,
      'helm-version': HELM_VERSIONS[3],
      'helm-download-url': `${mirror.url}/good/`
    })

    const first = await job(env).main(settings)
    expectExit(first, 0)
    const installed = path.join(toolCache, 'helm', '3.17.3', 'amd64', 'helm')
    expect(first.stdout).toContain(
      `helm is not on PATH: installing helm ${HELM_VERSIONS[3]} from ${mirror.url}/good/${archive}`
    )
    expect(first.stdout).toContain(
      `Using helm ${HELM_VERSIONS[3]} (downloaded, checked against its sha256 and cached: ${installed})`
    )
    expect(mirror.requests).toEqual([`/good/${archive}.sha256sum`, `/good/${archive}`])
    expect(fs.existsSync(`${path.dirname(installed)}.complete`)).toBe(true)
    await expectChartInRegistry(registry, chartsOutput(first.outputs)[0])

    mirror.requests.length = 0
    const second = await job(env).main({ ...settings, 'chart-version': '0.2.0' })
    expectExit(second, 0)
    expect(second.stdout).toContain(
      `Using helm ${HELM_VERSIONS[3]} (from the tool cache: ${installed})`
    )
    expect(mirror.requests).toEqual([])
    expect(await listTags(registry, 'from-cache/app', AUTH)).toEqual(['0.1.0', '0.2.0'])
  })

  test('an archive that does not match its published sha256 is refused: nothing cached, run or pushed', async () => {
    const toolCache = fs.mkdtempSync(path.join(ws, 'tool-cache-'))
    const app = writeChart(path.join(ws, 'tampered/app'), { name: 'app' })
    const runner = job({ PATH: pathWithoutHelm(), RUNNER_TOOL_CACHE: toolCache })
    const result = await runner.main(
      inputs(registry, 'tampered', {
        charts: app,
        'helm-version': HELM_VERSIONS[3],
        'helm-download-url': `${mirror.url}/tampered`
      })
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(
      new RegExp(
        `::error::${mirror.url}/tampered/${archive.replace(/\./g, '\\.')} does not match its published sha256 \\([a-f0-9]{64}; the download is [a-f0-9]{64}\\): refusing to install or run it`
      )
    )
    // No helm: the tool cache holds only the step's own compile cache (src/compile-cache.ts).
    expect(fs.readdirSync(toolCache)).toEqual(['harbor-push'])
    expect(fs.readdirSync(path.join(toolCache, 'harbor-push'))).toEqual(['compile-cache'])
    expect(fs.existsSync(marker())).toBe(false)
    expect(tempLeftovers(runner.runnerTemp)).toEqual([])
    expect(await listTags(registry, 'tampered/app', AUTH)).toEqual([])
  })
})

describe('what a chart tag holds decides what is pushed', () => {
  test('a re-run is unchanged; other content is skipped, or stops the step with if-exists: fail', async () => {
    const shims = makeShims(['helm'], { helm: helm[4] })
    try {
      const dir = path.join(ws, 'decide')
      fs.mkdirSync(dir, { recursive: true })
      const first = await helmPackage(
        helm[4],
        writeChart(path.join(dir, 'a/app'), { name: 'app' }),
        path.join(dir, 'first')
      )
      const other = await helmPackage(
        helm[4],
        writeChart(path.join(dir, 'b/app'), { name: 'app' }),
        path.join(dir, 'other')
      )
      const step = async (charts: string, extra: Record<string, string> = {}) => {
        const before = shims.calls().length
        const result = await job({ PATH: `${shims.dir}:${helmPath[4]}` }).main(
          inputs(registry, 'decide', { charts, ...extra })
        )
        const pushes = shims
          .calls()
          .slice(before)
          .filter(call => call.startsWith('helm push'))
        return { result, pushes }
      }

      const pushed = await step(first)
      expectExit(pushed.result, 0)
      const [original] = chartsOutput(pushed.result.outputs)
      expect(original.status).toBe('pushed')
      await expectChartInRegistry(registry, original)

      const again = await step(first)
      expectExit(again.result, 0)
      expect(again.pushes).toEqual([])
      expect(chartsOutput(again.result.outputs)).toEqual([{ ...original, status: 'unchanged' }])
      expect(again.result.stdout).toContain('0 pushed, 1 unchanged, 0 skipped, 0 failed')

      const skipped = await step(other, { 'if-exists': 'skip' })
      expectExit(skipped.result, 0)
      expect(skipped.pushes).toEqual([])
      expect(chartsOutput(skipped.result.outputs)[0]).toMatchObject({
        status: 'skipped',
        digest: original.digest
      })

      const refused = await step(other, { 'if-exists': 'fail' })
      expectExit(refused.result, 1)
      expect(refused.pushes).toEqual([])
      expect(refused.result.stdout).toMatch(
        /::error::if-exists: fail: "oci:\/\/127\.0\.0\.1:\d+\/decide\/app:0\.1\.0" \(holds sha256:[0-9a-f]{64}\) already holds different content; nothing was pushed/
      )
      expect((await getManifest(registry, 'decide/app', '0.1.0', AUTH))?.digest).toBe(
        original.digest
      )
    } finally {
      shims.dispose()
    }
  })
})

describe('a crafted archive cannot push a chart other than the one checked', () => {
  test('two top-level folders (helm would push the second, "victim"): refused before anything is pushed, the victim unchanged', async () => {
    const shims = makeShims(['helm'], { helm: helm[4] })
    try {
      const dir = path.join(ws, 'crafted')
      const victim = writeChart(path.join(dir, 'victim'), { name: 'victim', version: '9.9.9' })
      const first = await job({ PATH: `${shims.dir}:${helmPath[4]}` }).main(
        inputs(registry, 'crafted', { charts: victim })
      )
      expectExit(first, 0)
      const [original] = chartsOutput(first.outputs)
      expect(original.status).toBe('pushed')

      const crafted = path.join(dir, 'aaa-1.0.0.tgz')
      fs.writeFileSync(
        crafted,
        tgzOf([
          { name: 'aaa/Chart.yaml', body: chartYaml('aaa') },
          { name: 'bbb/Chart.yaml', body: chartYaml('victim', '9.9.9', 'description: not yours\n') }
        ])
      )
      // What makes the archive dangerous: helm itself reads it as the victim.
      expect((await run(helm[4], ['show', 'chart', crafted])).stdout).toContain('name: victim')

      const before = shims.calls().length
      const result = await job({ PATH: `${shims.dir}:${helmPath[4]}` }).main(
        inputs(registry, 'crafted', { charts: crafted, 'if-exists': 'fail' })
      )
      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(
        /::error::Invalid input: packaged chart ".*aaa-1\.0\.0\.tgz" cannot be read as a packaged chart \(it holds two top-level folders, "aaa" and "bbb": helm would read them as one chart, the last Chart\.yaml winning\); give a \.tgz made by helm package/
      )
      const calls = shims.calls().slice(before)
      expect(calls.filter(call => / (login|push) /.test(` ${call} `))).toEqual([])
      expect((await getManifest(registry, 'crafted/victim', '9.9.9', AUTH))?.digest).toBe(
        original.digest
      )
      expect(await listTags(registry, 'crafted/aaa', AUTH)).toEqual([])
    } finally {
      shims.dispose()
    }
  })
})

describe('images and charts in one step', () => {
  const IMAGE = 'apim-le-cache'

  beforeAll(async () => {
    await makeImage('podman', `${SOURCE_PATH}/${IMAGE}:v6.0.0`)
  })

  afterAll(async () => {
    await removeImage('podman', `${SOURCE_PATH}/${IMAGE}:v6.0.0`)
  })

  function both(project: string, charts: string, extra: Record<string, string> = {}) {
    return inputs(registry, project, {
      'container-tool': 'podman',
      'source-path': SOURCE_PATH,
      'source-tag': 'v6.0.0',
      images: IMAGE,
      charts,
      ...extra
    })
  }

  test('both are pushed; the secret is in no argv, log, output or leftover file; the helm config is gone', async () => {
    const shims = makeShims(['podman', 'helm'], { helm: helm[4] })
    try {
      const runner = job({ PATH: `${shims.dir}:${helmPath[4]}` })
      // The user's own helm and docker logins, stale for this registry: not used, not changed.
      const stale = Buffer.from(`${USER}:stale-password`).toString('base64')
      const userFiles = [
        path.join(runner.home, '.config/helm/registry/config.json'),
        path.join(runner.home, '.docker/config.json')
      ]
      for (const file of userFiles) {
        fs.mkdirSync(path.dirname(file), { recursive: true })
        fs.writeFileSync(file, JSON.stringify({ auths: { [registry.host]: { auth: stale } } }))
      }
      const before = userFiles.map(file => fs.readFileSync(file, 'utf8'))
      const app = writeChart(path.join(ws, 'both/app'), { name: 'app' })

      const result = await runner.main(both('both', app))
      expectExit(result, 0)
      const [image] = imagesOutput(result.outputs)
      const [chart] = chartsOutput(result.outputs)
      expect(image).toMatchObject({
        destination: `${registry.host}/both/${IMAGE}:v6.0.0`,
        status: 'pushed'
      })
      expect(chart).toMatchObject({
        reference: `oci://${registry.host}/both/app:0.1.0`,
        status: 'pushed'
      })
      expect((await getManifest(registry, `both/${IMAGE}`, 'v6.0.0', AUTH))?.digest).toBe(
        image.digest
      )
      await expectChartInRegistry(registry, chart)
      expect(result.outputs.refs.split('\n')).toEqual([
        `${image.destination}@${image.digest}`,
        `${registry.host}/both/app:0.1.0@${chart.digest}`
      ])
      expect(result.stdout).toContain('2 pushed, 0 unchanged, 0 skipped, 0 failed')

      const calls = shims.calls()
      const privateDir = runner.state().privateDir
      expect(calls).toContain(
        `helm registry login ${registry.host} --username ${USER} --password-stdin --registry-config ${privateDir}/helm/registry.json --plain-http`
      )
      // The chart was packaged into the private directory and pushed from there.
      expect(calls.find(call => call.startsWith('helm push'))).toMatch(
        new RegExp(
          `^helm push ${escape(privateDir)}/charts/app-\\w+/package/app-0\\.1\\.0\\.tgz oci://${escape(registry.host)}/both --registry-config ${escape(privateDir)}/helm/registry\\.json --plain-http$`
        )
      )
      expect(
        calls.some(call => call.startsWith('podman login') && call.includes('--password-stdin'))
      ).toBe(true)
      for (const secret of SECRET_FORMS) {
        expect(calls.join('\n')).not.toContain(secret)
        expect(result.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain(secret)
        expect(result.stderr).not.toContain(secret)
        expect(JSON.stringify(result.outputs)).not.toContain(secret)
        expect(result.summary).not.toContain(secret)
      }
      // The private directory, with helm's registry config in it, is gone; nothing else holds the secret.
      expect(tempLeftovers(runner.runnerTemp)).toEqual([])
      expect(filesContaining(runner.root, SECRET_FORMS)).toEqual([])
      expect(userFiles.map(file => fs.readFileSync(file, 'utf8'))).toEqual(before)
    } finally {
      shims.dispose()
    }
  })

  test('a main step killed during a chart push leaves a helm login that the post step removes', async () => {
    const shims = makeShims(['helm'], { helm: helm[3] })
    try {
      const runner = job({ PATH: `${shims.dir}:${helmPath[3]}`, HP_SHIM_HANG_ON: 'push' })
      const app = writeChart(path.join(ws, 'killed/app'), { name: 'app' })
      const step = runner.start(inputs(registry, 'killed', { charts: app }))
      const deadline = Date.now() + 60_000
      while (!shims.calls().some(call => call.startsWith('helm push'))) {
        if (Date.now() > deadline) throw new Error(`the push never started:\n${step.output()}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      await step.kill()
      const privateDir = runner.state().privateDir
      const registryConfig = path.join(privateDir, 'helm', 'registry.json')
      expect(filesContaining(runner.runnerTemp, SECRET_FORMS)).toEqual([registryConfig])

      const post = await runner.post()
      expectExit(post, 0)
      expect(fs.existsSync(privateDir)).toBe(false)
      expect(filesContaining(runner.root, SECRET_FORMS)).toEqual([])
    } finally {
      shims.dispose()
    }
  })

  describe('bad charts fail the step before anything is pushed', () => {
    const good = (): string => writeChart(path.join(ws, 'bad/good'), { name: 'good' })

    test.each<[string, () => Promise<string> | string, RegExp]>([
      [
        'a folder without Chart.yaml',
        () => {
          fs.mkdirSync(path.join(ws, 'bad/empty'), { recursive: true })
          return path.join(ws, 'bad/empty')
        },
        /chart folder ".*bad\/empty" has no Chart\.yaml/
      ],
      [
        'a version that is not SemVer 2',
        () => writeChart(path.join(ws, 'bad/old'), { name: 'old', version: '1.0' }),
        /chart folder ".*bad\/old": version "1\.0" in Chart\.yaml is not valid: it is not SemVer 2/
      ],
      [
        'a missing file',
        () => path.join(ws, 'bad/nowhere-1.0.0.tgz'),
        /chart ".*bad\/nowhere-1\.0\.0\.tgz" not found: no such folder or \.tgz file/
      ],
      [
        'two charts with the same name and version',
        async () =>
          helmPackage(
            helm[4],
            writeChart(path.join(ws, 'bad/copy/good'), { name: 'good' }),
            path.join(ws, 'bad/dist')
          ),
        /chart folder ".*bad\/good" and packaged chart ".*good-0\.1\.0\.tgz" are both chart "good" version "0\.1\.0"/
      ],
      [
        'a packaged chart with a ../ entry (helm: "chart illegally references parent directory")',
        () => {
          const file = path.join(ws, 'bad/dotdot-1.0.0.tgz')
          fs.writeFileSync(
            file,
            tgzOf([
              { name: 'dotdot/Chart.yaml', body: chartYaml('dotdot') },
              { name: '../../x', body: 'x' }
            ])
          )
          return file
        },
        /packaged chart ".*bad\/dotdot-1\.0\.0\.tgz" cannot be read as a packaged chart \(entry "\.\.\/\.\.\/x" reaches outside the chart \(helm: "chart illegally references parent directory"\)\)/
      ],
      [
        'a packaged chart whose Chart.yaml unpacks to 200 MiB',
        () => {
          const file = path.join(ws, 'bad/huge-1.0.0.tgz')
          fs.writeFileSync(file, hugeChartTgz('huge', 200))
          return file
        },
        /packaged chart ".*bad\/huge-1\.0\.0\.tgz" cannot be read as a packaged chart \(it unpacks to more than 128 MiB; helm reads at most 100 MiB of files\)/
      ],
      [
        'a packaged chart only helm refuses (values.yaml is not YAML)',
        () => {
          const file = path.join(ws, 'bad/values-1.0.0.tgz')
          fs.writeFileSync(
            file,
            tgzOf([
              { name: 'values/Chart.yaml', body: chartYaml('values') },
              { name: 'values/values.yaml', body: 'replicas: [1\n' }
            ])
          )
          return file
        },
        /helm cannot read packaged chart ".*bad\/values-1\.0\.0\.tgz": .*values\.yaml.*; give a \.tgz made by helm package/
      ],
      [
        'a dependency harbor-push does not fetch',
        () =>
          writeChart(path.join(ws, 'bad/remote'), {
            name: 'remote',
            extra:
              'dependencies:\n  - name: redis\n    version: 17.0.0\n    repository: https://charts.example.com'
          }),
        /chart folder ".*bad\/remote" depends on "redis" from "https:\/\/charts\.example\.com", which is not in its charts\/ folder/
      ]
    ])('%s', async (_label, bad, message) => {
      const shims = makeShims(['podman', 'helm'], { helm: helm[4] })
      try {
        const project = `bad-${crypto.randomBytes(3).toString('hex')}`
        const result = await job({ PATH: `${shims.dir}:${helmPath[4]}` }).main(
          both(project, `${good()}\n${await bad()}`)
        )
        expect(result.code).toBe(1)
        expect(result.stdout).toMatch(new RegExp(`::error::Invalid input: ${message.source}`))
        const calls = shims.calls()
        expect(calls.filter(call => / (login|push) /.test(` ${call} `))).toEqual([])
        expect(await listTags(registry, `${project}/good`, AUTH)).toEqual([])
        expect(await listTags(registry, `${project}/${IMAGE}`, AUTH)).toEqual([])
      } finally {
        shims.dispose()
      }
    })
  })
})
