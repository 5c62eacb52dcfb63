/**
 * A machine with a credential helper (docker-credential-secretservice or
 * -pass, as desktop Linux and some self-hosted runners have): docker, helm
 * and podman would hand the login to it, where it outlives the step. The
 * real tools run through the bundled action with a recording helper first
 * on PATH; the helper must never be called, and the login must sit in the
 * step's private folder only.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, filesContaining, imagesOutput } from '../../rig/action.js'
import { type Dockerd, startDockerd } from '../../rig/dockerd.js'
import { helmBinary, pathWithoutHelm, writeChart } from '../../rig/helm.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const SECRET_FORMS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]
const PROJECT = 'catalog-apps-org-proj'
const PODMAN_PATH = `localhost/hp-helpers-${crypto.randomBytes(4).toString('hex')}`

let dockerd: Dockerd
let registry: Registry
let root: string
/** Folder with the recording helpers; first on every step's PATH. */
let helpers: string
let recording: string
let chart: string
const shims: Shims[] = []
const jobs: RunnerJob[] = []

/** What the helpers were asked: one line per call, `<verb> <stdin>`. */
function helperCalls(): string[] {
  return fs
    .readFileSync(recording, 'utf8')
    .split('\n')
    .filter(line => line !== '')
}

/** A step whose PATH has the recording helpers and `tools` shims (which can hang on `push`). */
function job(shimmed: Shims, env: Record<string, string> = {}): RunnerJob {
  const created = new RunnerJob({
    ...dockerd.env,
    PATH: [helpers, shimmed.dir, pathWithoutHelm()].join(path.delimiter),
    ...env
  })
  jobs.push(created)
  return created
}

/** podman reads credential-helpers from the user's registries.conf: list the keyring first. */
function podmanPrefersKeyring(runner: RunnerJob): void {
  const dir = path.join(runner.home, '.config/containers')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(
    path.join(dir, 'registries.conf'),
    'credential-helpers = ["secretservice", "containers-auth.json"]\n'
  )
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-helpers-'))
  helpers = path.join(root, 'bin')
  recording = path.join(root, 'helper-calls.log')
  fs.mkdirSync(helpers)
  fs.writeFileSync(recording, '')
  // Behaves like an empty keyring: `get` finds nothing, `store` and `erase` succeed.
  const helper = [
    '#!/bin/bash',
    `printf '%s %s\\n' "$1" "$(cat)" >> '${recording}'`,
    'case "$1" in',
    '  get) echo "credentials not found in native keychain"; exit 1 ;;',
    "  list) echo '{}' ;;",
    'esac',
    ''
  ].join('\n')
  for (const name of ['secretservice', 'pass']) {
    fs.writeFileSync(path.join(helpers, `docker-credential-${name}`), helper, { mode: 0o755 })
  }
  chart = writeChart(path.join(root, 'chart'), { name: 'keyring-test' })
  ;[dockerd, registry] = await Promise.all([
    startDockerd(),
    startRegistry({ users: { [USER]: PASSWORD } })
  ])
  await makeImage('docker', 'apim/apim-le-cache:v6.0.0', { env: dockerd.env })
  await makeImage('podman', `${PODMAN_PATH}/apim-le-cache:v6.0.0`)
})

afterAll(async () => {
  await removeImage('podman', `${PODMAN_PATH}/apim-le-cache:v6.0.0`)
  await Promise.all([dockerd?.stop(), registry?.stop()])
  for (const created of jobs) created.dispose()
  for (const shim of shims) shim.dispose()
  if (root) fs.rmSync(root, { recursive: true, force: true })
})

interface Case {
  name: string
  tool: string
  /** The shims to make (the tool that logs in and pushes). */
  shim: () => Shims
  inputs: () => Record<string, string>
  /** Inputs that make a second run push something new (not `unchanged`). */
  anew: Record<string, string>
  prepare?: (runner: RunnerJob) => void
}

const common = (): Record<string, string> => ({
  username: USER,
  password: PASSWORD,
  'tls-verify': 'false'
})

const CASES: Case[] = [
  {
    name: 'docker (a real engine)',
    tool: 'docker',
    shim: () => makeShims(['docker']),
    inputs: () => ({
      ...common(),
      registry: `${registry.host}/${PROJECT}`,
      images: 'apim-le-cache',
      'source-path': 'apim',
      'source-tag': 'v6.0.0'
    }),
    anew: { 'destination-tag': 'while-pushing' }
  },
  {
    name: 'podman (registries.conf lists the keyring first)',
    tool: 'podman',
    shim: () => makeShims(['podman']),
    inputs: () => ({
      ...common(),
      registry: `${registry.host}/${PROJECT}`,
      images: 'apim-le-cache',
      'container-tool': 'podman',
      'source-path': PODMAN_PATH,
      'source-tag': 'v6.0.0'
    }),
    anew: { 'destination-tag': 'while-pushing' },
    prepare: podmanPrefersKeyring
  },
  ...([3, 4] as const).map(major => ({
    name: `helm ${major}`,
    tool: 'helm',
    shim: () => makeShims(['helm'], { helm: helmBinary(major) }),
    inputs: () => ({
      ...common(),
      registry: `${registry.host}/${PROJECT}-helm${major}`,
      charts: chart
    }),
    anew: { 'chart-version': '0.2.0' }
  }))
]

describe.each(CASES)('$name with docker-credential-secretservice on PATH', testCase => {
  let shimmed: Shims
  beforeAll(() => {
    shimmed = testCase.shim()
    shims.push(shimmed)
  })

  test('pushes with the login from the private folder; the helper is never called', async () => {
    fs.writeFileSync(recording, '')
    const runner = job(shimmed)
    testCase.prepare?.(runner)
    const result = await runner.main(testCase.inputs())
    expectExit(result, 0)
    const charts = JSON.parse(result.outputs.charts ?? '[]') as { status: string }[]
    const pushed = [...imagesOutput(result.outputs), ...charts]
    expect(pushed.map(entry => entry.status)).toEqual(['pushed'])
    expect(helperCalls()).toEqual([])
    expect(filesContaining(runner.root, SECRET_FORMS)).toEqual([])
  })

  test('while it pushes, the login is in the private folder and nowhere else', async () => {
    fs.writeFileSync(recording, '')
    const runner = job(shimmed, { HP_SHIM_HANG_ON: 'push' })
    testCase.prepare?.(runner)
    const callsBefore = shimmed.calls().length
    const step = runner.start({ ...testCase.inputs(), ...testCase.anew })
    const deadline = Date.now() + 60_000
    while (
      !shimmed
        .calls()
        .slice(callsBefore)
        .some(call => call.startsWith(`${testCase.tool} push`))
    ) {
      if (Date.now() > deadline) throw new Error(`the push never started:\n${step.output()}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    try {
      const privateDir = runner.state().privateDir
      const holders = filesContaining(runner.root, SECRET_FORMS)
      expect(holders.length).toBeGreaterThan(0)
      for (const file of holders) expect(file.startsWith(`${privateDir}/`)).toBe(true)
      expect(helperCalls()).toEqual([])
    } finally {
      await step.kill()
      expectExit(await runner.post(), 0)
    }
  })
})

test('podman: a registries.conf.d drop-in that puts a helper first is refused before the login', async () => {
  fs.writeFileSync(recording, '')
  const shimmed = makeShims(['podman'])
  shims.push(shimmed)
  const runner = job(shimmed)
  const dropIns = path.join(runner.home, '.config/containers/registries.conf.d')
  fs.mkdirSync(dropIns, { recursive: true })
  const dropIn = path.join(dropIns, '50-keyring.conf')
  fs.writeFileSync(dropIn, 'credential-helpers = [ "secretservice" ]\n')
  const result = await runner.main(CASES[1].inputs())
  expectExit(result, 1)
  expect(result.stdout).toContain(`credential helper "secretservice"`)
  expect(result.stdout).toContain(dropIn)
  expect(shimmed.calls().filter(call => /^podman (login|push)/.test(call))).toEqual([])
  expect(helperCalls()).toEqual([])
})
