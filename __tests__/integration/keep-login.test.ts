/**
 * keep-login end to end, with real parts: the bundled action's main and post
 * steps as a runner runs them (GITHUB_ENV read between steps), against a
 * registry with htpasswd auth and the test Harbor (token auth). Between the
 * main and the post step, real clients read what the step pushed through the
 * exported variables only: skopeo and podman (REGISTRY_AUTH_FILE), helm 3
 * and 4 (HELM_REGISTRY_CONFIG), docker (DOCKER_CONFIG). The `refs` lines
 * are what a cosign step signs; cosign cannot be installed here, so skopeo
 * reads each of them with the kept login and the digest is checked. After
 * the post step the folder is gone, the variables are back, and the same
 * clients are refused. A credential helper on the clients' PATH records
 * that none of them went to it.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { parse } from 'yaml'
import {
  RunnerJob,
  type StepResult,
  expectExit,
  filesContaining,
  imagesOutput,
  tempLeftovers
} from '../../rig/action.js'
import { type Dockerd, startDockerd } from '../../rig/dockerd.js'
import { type Harbor, startHarbor } from '../../rig/harbor.js'
import { helmBinary, helmPackage, pathWithHelm, writeChart } from '../../rig/helm.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'
import { type RunResult, requireTool, run } from '../../rig/tools.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const ROBOT = {
  username: 'robot$proj+ci',
  password: `robot-${crypto.randomBytes(12).toString('hex')}`
}
const SECRETS = [USER, ROBOT.username].flatMap(username => {
  const password = username === USER ? PASSWORD : ROBOT.password
  return [password, Buffer.from(`${username}:${password}`).toString('base64')]
})
const SOURCE_PATH = `localhost/hp-keep-${crypto.randomBytes(4).toString('hex')}`
const VARIABLES = ['DOCKER_CONFIG', 'REGISTRY_AUTH_FILE', 'HELM_REGISTRY_CONFIG']
const CHART = { name: 'keep', version: '1.0.0' }

let registry: Registry
let harbor: Harbor
let dockerd: Dockerd
let shims: Shims
let work: string
let chartTgz: string
/** The clients' own HOME and XDG_RUNTIME_DIR: no login of any other test or of the machine. */
let clientHome: string
/** A recording docker-credential-secretservice / -pass, first on the clients' PATH. */
let helperCalls: string
let helpers: string
const jobs: RunnerJob[] = []

beforeAll(async () => {
  for (const tool of ['skopeo', 'podman', 'docker']) requireTool(tool, `apt-get install -y ${tool}`)
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-keep-'))
  clientHome = path.join(work, 'client-home')
  fs.mkdirSync(path.join(clientHome, 'run'), { recursive: true, mode: 0o700 })
  helpers = path.join(work, 'helpers')
  helperCalls = path.join(work, 'helper-calls.log')
  fs.mkdirSync(helpers)
  fs.writeFileSync(helperCalls, '')
  const helper = [
    '#!/bin/bash',
    `printf '%s %s\\n' "$1" "$(cat)" >> '${helperCalls}'`,
    'case "$1" in',
    '  get) echo "credentials not found in native keychain"; exit 1 ;;',
    "  list) echo '{}' ;;",
    'esac',
    ''
  ].join('\n')
  for (const name of ['secretservice', 'pass']) {
    fs.writeFileSync(path.join(helpers, `docker-credential-${name}`), helper, { mode: 0o755 })
  }
  chartTgz = await helmPackage(
    helmBinary(3),
    writeChart(path.join(work, 'charts/keep'), CHART),
    path.join(work, 'dist')
  )
  ;[registry, harbor, dockerd] = await Promise.all([
    startRegistry({ users: { [USER]: PASSWORD } }),
    startHarbor({
      robots: {
        'proj+ci': {
          secret: ROBOT.password,
          permissions: { proj: ['pull', 'push'], full: ['pull', 'push'] }
        }
      },
      projects: { proj: {}, full: { quotaFull: { limit: '1 MiB', used: '1 MiB' } } }
    }),
    startDockerd()
  ])
  shims = makeShims(['podman', 'helm'], { helm: helmBinary(3) })
  await makeImage('podman', `${SOURCE_PATH}/app:v1`)
}, 180_000)

afterAll(async () => {
  await removeImage('podman', `${SOURCE_PATH}/app:v1`)
  await Promise.all([registry?.stop(), harbor?.stop(), dockerd?.stop()])
  for (const job of jobs) job.dispose()
  shims?.dispose()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

function newJob(): RunnerJob {
  const job = new RunnerJob({
    PATH: `${shims.dir}:${pathWithHelm(helmBinary(3), path.join(work, 'bin'))}`
  })
  jobs.push(job)
  return job
}

function inputs(
  host: string,
  login: { username: string; password: string }
): Record<string, string> {
  return {
    registry: `${host}/proj`,
    ...login,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    'source-tag': 'v1',
    images: 'app',
    charts: chartTgz,
    'tls-verify': 'false',
    retries: '0'
  }
}

/**
 * A later step's client: the job's exported variables (`vars`) and nothing
 * else that could log it in: a HOME and XDG_RUNTIME_DIR of its own, the
 * recording helpers first on PATH, no DOCKER_CONFIG / REGISTRY_AUTH_FILE /
 * HELM_REGISTRY_CONFIG from this process.
 */
function client(
  file: string,
  args: string[],
  vars: Record<string, string>,
  extra: Record<string, string> = {}
): Promise<RunResult> {
  const env: Record<string, string> = {
    HOME: clientHome,
    XDG_RUNTIME_DIR: path.join(clientHome, 'run'),
    PATH: `${helpers}:${process.env.PATH ?? ''}`,
    ...Object.fromEntries(VARIABLES.map(name => [name, ''])),
    ...vars,
    ...extra
  }
  return run(file, args, { env, allowFailure: true, timeoutMs: 60_000 })
}

const only = (vars: Record<string, string>, name: string): Record<string, string> => ({
  [name]: vars[name] ?? ''
})

/** `name:tag@digest` as containers/image takes it: without the tag (it refuses both at once). */
const digestOnly = (ref: string): string => ref.replace(/:[^/@]+@/, '@')

const sha256 = (text: string): string =>
  `sha256:${crypto.createHash('sha256').update(text).digest('hex')}`

/** Every client reads what the step pushed, through its own variable only. */
async function expectClientsRead(
  host: string,
  refs: string[],
  vars: Record<string, string>,
  login: { username: string }
): Promise<void> {
  fs.writeFileSync(helperCalls, '')
  const authFile = only(vars, 'REGISTRY_AUTH_FILE')
  // skopeo: each refs line, the manifest's bytes hash to the digest the line names.
  for (const ref of refs) {
    const raw = await client(
      'skopeo',
      ['inspect', '--raw', '--tls-verify=false', `docker://${digestOnly(ref)}`],
      authFile
    )
    expect(raw).toMatchObject({ code: 0 })
    expect(sha256(raw.stdout)).toBe(ref.split('@')[1])
  }
  const image = refs.find(ref => ref.includes('/proj/app:'))
  if (!image) throw new Error(`no image in refs: ${refs.join(', ')}`)

  // podman: the login is the kept one, and a pull works (into storage of its own).
  const whoami = await client('podman', ['login', '--get-login', host], authFile)
  expect(whoami).toMatchObject({ code: 0, stdout: `${login.username}\n` })
  const storage = fs.mkdtempSync(path.join(work, 'podman-storage-'))
  try {
    const pulled = await client(
      'podman',
      [
        ...['--root', path.join(storage, 'root'), '--runroot', path.join(storage, 'run')],
        ...['--storage-driver', 'vfs', 'pull', '--tls-verify=false', digestOnly(image)]
      ],
      authFile
    )
    expect(pulled).toMatchObject({ code: 0 })
  } finally {
    await run(
      'podman',
      [
        '--root',
        path.join(storage, 'root'),
        '--runroot',
        path.join(storage, 'run'),
        '--storage-driver',
        'vfs',
        'system',
        'reset',
        '--force'
      ],
      { allowFailure: true }
    )
    fs.rmSync(storage, { recursive: true, force: true })
  }

  // helm 3 and 4: the chart, through HELM_REGISTRY_CONFIG alone (no docker config to fall back on).
  for (const major of [3, 4] as const) {
    const into = fs.mkdtempSync(path.join(work, 'pulled-'))
    const pulled = await client(
      helmBinary(major),
      [
        'pull',
        `oci://${host}/proj/${CHART.name}`,
        '--version',
        CHART.version,
        '--plain-http',
        '-d',
        into
      ],
      only(vars, 'HELM_REGISTRY_CONFIG')
    )
    expect(pulled).toMatchObject({ code: 0 })
    expect(fs.readdirSync(into)).toEqual([`${CHART.name}-${CHART.version}.tgz`])
    fs.rmSync(into, { recursive: true, force: true })
  }

  // docker: the image, through DOCKER_CONFIG alone (the daemon treats 127.0.0.0/8 as insecure).
  const dockerPull = await client(
    'docker',
    ['pull', digestOnly(image)],
    only(vars, 'DOCKER_CONFIG'),
    dockerd.env
  )
  expect(dockerPull).toMatchObject({ code: 0 })
  await run('docker', ['image', 'rm', '--force', digestOnly(image)], {
    env: dockerd.env,
    allowFailure: true
  })

  // Every read went to the file: no credential helper was asked.
  expect(fs.readFileSync(helperCalls, 'utf8')).toBe('')
}

/** The same clients, with `vars` (a folder that is gone, or the variables put back): refused. */
async function expectClientsRefused(
  host: string,
  image: string,
  vars: Record<string, string>
): Promise<void> {
  const refused = /unauthori[sz]ed|authentication required|no basic auth credentials|401|denied/i
  const skopeo = await client(
    'skopeo',
    ['inspect', '--raw', '--tls-verify=false', `docker://${digestOnly(image)}`],
    only(vars, 'REGISTRY_AUTH_FILE')
  )
  expect(skopeo.code).not.toBe(0)
  expect(skopeo.stderr).toMatch(refused)
  const whoami = await client(
    'podman',
    ['login', '--get-login', host],
    only(vars, 'REGISTRY_AUTH_FILE')
  )
  expect(whoami.code).not.toBe(0)
  const helm = await client(
    helmBinary(3),
    [
      'pull',
      `oci://${host}/proj/${CHART.name}`,
      '--version',
      CHART.version,
      '--plain-http',
      '-d',
      work
    ],
    only(vars, 'HELM_REGISTRY_CONFIG')
  )
  expect(helm.code).not.toBe(0)
  expect(helm.stderr).toMatch(refused)
  const docker = await client(
    'docker',
    ['pull', digestOnly(image)],
    only(vars, 'DOCKER_CONFIG'),
    dockerd.env
  )
  expect(docker.code).not.toBe(0)
  expect(docker.stderr).toMatch(refused)
}

/** The kept folder: the three files of the login, 0600 in 0700 folders, under RUNNER_TEMP. */
function expectKeptFolder(job: RunnerJob, vars: Record<string, string>): string {
  expect(Object.keys(vars).sort()).toEqual([...VARIABLES].sort())
  const dir = path.dirname(vars.DOCKER_CONFIG)
  expect(path.dirname(dir)).toBe(job.runnerTemp)
  expect(path.basename(dir)).toMatch(/^harbor-push-/)
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
  expect(vars.REGISTRY_AUTH_FILE.startsWith(`${dir}/`)).toBe(true)
  expect(vars.HELM_REGISTRY_CONFIG.startsWith(`${dir}/`)).toBe(true)
  // The post step removes exactly this folder.
  expect(job.state().privateDir).toBe(dir)
  const files = [
    path.join(vars.DOCKER_CONFIG, 'config.json'),
    vars.REGISTRY_AUTH_FILE,
    vars.HELM_REGISTRY_CONFIG
  ]
  for (const file of files) expect(fs.statSync(file).mode & 0o777).toBe(0o600)
  // The login is in these three files and nowhere else of the job.
  expect(filesContaining(job.root, SECRETS).sort()).toEqual(files.sort())
  // Nothing else of the step is left: only the kept folder (and the subject file) in RUNNER_TEMP.
  expect(tempLeftovers(job.runnerTemp)).toEqual([path.basename(dir)])
  return dir
}

/** The secret in no log line (masking commands aside), output, argv or exported value. */
function expectNoSecretShown(result: StepResult, callsBefore: number): void {
  const shown = `${result.stdout}${result.stderr}`
    .split('\n')
    .filter(line => !line.startsWith('::add-mask::'))
    .join('\n')
  const everywhere = [
    shown,
    JSON.stringify(result.outputs),
    result.summary,
    shims.calls().slice(callsBefore).join('\n')
  ].join('\n')
  for (const secret of SECRETS) expect(everywhere).not.toContain(secret)
}

const refsOf = (result: StepResult): string[] => result.outputs.refs.split('\n').filter(Boolean)

/**
 * The README's signing recipe (examples/workflows/sign.yml), its own script
 * run as a runner runs a `run:` step (bash -e -o pipefail), with the step's
 * `refs` output in REFS and the job's exported variables. cosign cannot be
 * installed here: a stand-in records each call and reads the ref it was
 * given with skopeo, through the kept login, checking the manifest's digest.
 */
async function runSignRecipe(refs: string, vars: Record<string, string>): Promise<string[]> {
  const workflow = parse(
    fs.readFileSync(path.join(import.meta.dirname, '../../examples/workflows/sign.yml'), 'utf8')
  ) as { jobs: Record<string, { steps: { run?: string; env?: Record<string, string> }[] }> }
  const steps = Object.values(workflow.jobs).flatMap(job => job.steps)
  const sign = steps.find(step => step.run?.includes('cosign sign'))
  if (!sign?.run) throw new Error('sign.yml has no cosign sign step')
  expect(sign.env).toEqual({ REFS: '${{ steps.push.outputs.refs }}' })
  const bin = fs.mkdtempSync(path.join(work, 'cosign-'))
  const calls = path.join(bin, 'calls.log')
  fs.writeFileSync(calls, '')
  fs.writeFileSync(
    path.join(bin, 'cosign'),
    [
      '#!/bin/bash',
      'set -euo pipefail',
      `printf '%s\\n' "$*" >> '${calls}'`,
      'ref="${@: -1}"',
      'hex=$(skopeo inspect --raw --tls-verify=false "docker://$ref" | sha256sum | cut -d" " -f1)',
      '[ "sha256:$hex" = "${ref##*@}" ] || { echo "cosign stand-in: $ref serves sha256:$hex" >&2; exit 1; }',
      ''
    ].join('\n'),
    { mode: 0o755 }
  )
  const result = await client(
    'bash',
    ['--noprofile', '--norc', '-eo', 'pipefail', '-c', sign.run],
    {
      ...vars,
      REFS: refs,
      PATH: `${bin}:${helpers}:${process.env.PATH ?? ''}`
    }
  )
  expect(result).toMatchObject({ code: 0, stderr: '' })
  return fs.readFileSync(calls, 'utf8').split('\n').filter(Boolean)
}

describe('keep-login: true', () => {
  test('registry with htpasswd: the pushed image and chart are read by skopeo, podman, helm 3 and 4 and docker between the steps; after the post step the login is gone', async () => {
    const job = newJob()
    const calls = shims.calls().length
    const main = await job.main({
      ...inputs(registry.host, { username: USER, password: PASSWORD }),
      // Two tags, one per line: what docker/metadata-action's tag-names output hands on.
      'destination-tag': 'v1\nstable',
      'keep-login': 'true'
    })
    expectExit(main, 0)
    expect(main.stdout).toContain('3 pushed, 0 unchanged, 0 skipped, 0 failed')
    expect(main.stdout).toMatch(
      new RegExp(
        `keep-login: the login to ${registry.host.replace(/\./g, '\\.')} is kept for the later steps of this job`
      )
    )
    expectNoSecretShown(main, calls)
    const vars = { ...job.exported }
    const dir = expectKeptFolder(job, vars)
    const refs = refsOf(main)
    expect(refs.map(ref => ref.replace(/@.*/, '')).sort()).toEqual(
      [`app:stable`, `app:v1`, `${CHART.name}:${CHART.version}`].map(
        name => `${registry.host}/proj/${name}`
      )
    )
    await expectClientsRead(registry.host, refs, vars, { username: USER })
    // The signing recipe signs each digest once, by digest, and each one reads with the kept login.
    const signed = await runSignRecipe(main.outputs.refs, vars)
    expect(signed.sort()).toEqual(
      [...new Set(refs.map(digestOnly))].sort().map(ref => `sign --yes ${ref}`)
    )
    expect(signed).toHaveLength(2)

    const post = await job.post()
    expectExit(post, 0)
    expect(fs.existsSync(dir)).toBe(false)
    expect(tempLeftovers(job.runnerTemp)).toEqual([])
    expect(filesContaining(job.root, SECRETS)).toEqual([])
    // Put back for later post steps: unset before, so empty (which every reader takes as unset).
    expect(job.exported).toEqual({
      DOCKER_CONFIG: '',
      REGISTRY_AUTH_FILE: '',
      HELM_REGISTRY_CONFIG: ''
    })
    const image = refs.find(ref => ref.includes('/proj/app:')) ?? ''
    // A step still holding the old paths, and a step with the variables put back: both refused.
    await expectClientsRefused(registry.host, image, vars)
    await expectClientsRefused(registry.host, image, job.exported)
  })

  test('test Harbor (token auth), everything unchanged so no tool logged in: the login is kept all the same', async () => {
    // First step of the job: pushes, keeps nothing.
    const job = newJob()
    const first = await job.main(inputs(harbor.host, ROBOT))
    expectExit(first, 0)
    expect(first.stdout).toContain('2 pushed, 0 unchanged, 0 skipped, 0 failed')
    expect(job.exported).toEqual({})
    expect(tempLeftovers(job.runnerTemp)).toEqual([])
    expect(first.stdout).not.toContain('keep-login')

    // The image again with keep-login: nothing to push, so no tool logs in, and the login is kept.
    const calls = shims.calls().length
    const second = await job.main({
      ...inputs(harbor.host, ROBOT),
      charts: '',
      'keep-login': 'true'
    })
    expectExit(second, 0)
    expect(second.stdout).toContain('0 pushed, 1 unchanged, 0 skipped, 0 failed')
    expect(
      shims
        .calls()
        .slice(calls)
        .filter(call => / login /.test(` ${call} `))
    ).toEqual([])
    expectNoSecretShown(second, calls)
    const vars = { ...job.exported }
    const dir = expectKeptFolder(job, vars)
    const refs = refsOf(second)
    expect(refs).toEqual(refsOf(first).filter(ref => ref.includes('/proj/app:')))
    // Everything the job pushed, the chart of the first step too, through the second step's login.
    await expectClientsRead(harbor.host, refsOf(first), vars, ROBOT)
    // The later clients went through Harbor's token service with the robot, as the step did.
    expect(
      harbor.tokenRequests.filter(request => request.account === ROBOT.username).length
    ).toBeGreaterThan(0)

    expectExit(await job.post(), 0)
    expect(fs.existsSync(dir)).toBe(false)
    expect(filesContaining(job.root, SECRETS)).toEqual([])
    await expectClientsRefused(
      harbor.host,
      refs.find(ref => ref.includes('/proj/app:')) ?? '',
      job.exported
    )
  })

  test('DOCKER_CONFIG set before the step: a warning names it, and the post step puts it back', async () => {
    const job = newJob()
    const own = path.join(job.home, 'docker-own')
    // An earlier step's export, as a setup step would write it.
    job.exported.DOCKER_CONFIG = own
    const main = await job.main({
      ...inputs(registry.host, { username: USER, password: PASSWORD }),
      'keep-login': 'true'
    })
    expectExit(main, 0)
    expect(main.stdout).toContain(`::warning::keep-login: DOCKER_CONFIG was "${own}"`)
    expect(job.exported.DOCKER_CONFIG).not.toBe(own)
    expectKeptFolder(job, { ...job.exported })
    expectExit(await job.post(), 0)
    expect(job.exported).toEqual({
      DOCKER_CONFIG: own,
      REGISTRY_AUTH_FILE: '',
      HELM_REGISTRY_CONFIG: ''
    })
  })
})

describe('nothing is kept', () => {
  test('keep-login: false (the default): nothing exported, the folder gone after the main step', async () => {
    const job = newJob()
    const main = await job.main(inputs(registry.host, { username: USER, password: PASSWORD }))
    expectExit(main, 0)
    expect(fs.readFileSync(job.lastEnvFile(), 'utf8')).toBe('')
    expect(job.exported).toEqual({})
    expect(tempLeftovers(job.runnerTemp)).toEqual([])
    expect(filesContaining(job.root, SECRETS)).toEqual([])
    expectExit(await job.post(), 0)
    expect(job.exported).toEqual({})
  })

  test('a rejected login: the step fails, nothing exported or left', async () => {
    const job = newJob()
    const wrong = `wrong-${crypto.randomBytes(6).toString('hex')}`
    const main = await job.main({
      ...inputs(registry.host, { username: USER, password: wrong }),
      'keep-login': 'true'
    })
    expectExit(main, 1)
    expect(main.stdout).toMatch(/::error::login to .* rejected/)
    expect(job.exported).toEqual({})
    expect(tempLeftovers(job.runnerTemp)).toEqual([])
    expect(job.state().keptLoginPrevious).toBeUndefined()
    expectExit(await job.post(), 0)
    expect(job.exported).toEqual({})
  })

  test('keep-login that is not a boolean: an input error before anything is pushed', async () => {
    const job = newJob()
    const main = await job.main({
      ...inputs(registry.host, { username: USER, password: PASSWORD }),
      registry: `${registry.host}/bad-keep`,
      'keep-login': 'yes'
    })
    expectExit(main, 1)
    expect(main.stdout).toContain(
      '::error::Invalid input: keep-login "yes" is not a boolean; use true or false'
    )
    expect(
      await listTags(registry, 'bad-keep/app', { username: USER, password: PASSWORD })
    ).toEqual([])
    expect(job.exported).toEqual({})
    expect(tempLeftovers(job.runnerTemp)).toEqual([])
  })

  test('a step that fails after the pushes (its job summary cannot be written): nothing kept or exported', async () => {
    const job = newJob()
    // What makes the summary fail does not matter; a folder where the file should be is one way.
    fs.rmSync(job.summaryFile)
    fs.mkdirSync(job.summaryFile)
    // Started and waited for by hand: the rig's main() would read the summary.
    const main = await job
      .start({
        ...inputs(registry.host, { username: USER, password: PASSWORD }),
        charts: '',
        'keep-login': 'true'
      })
      .wait()
    expectExit(main, 1)
    expect(main.stdout).toContain('::error::EISDIR')
    // The pushes were done and are in the outputs; the step failed all the same.
    expect(imagesOutput(job.outputs()).map(image => image.status)).toEqual([
      expect.stringMatching(/^(pushed|unchanged)$/)
    ])
    expect(main.stdout).not.toContain('keep-login: the login')
    expect(fs.readFileSync(job.lastEnvFile(), 'utf8')).toBe('')
    expect(tempLeftovers(job.runnerTemp)).toEqual([])
    expect(filesContaining(job.root, SECRETS)).toEqual([])
    expectExit(await job.post(), 0)
    expect(job.exported).toEqual({})
  })

  test('a push that failed (Harbor: the project quota is full): the step fails and keeps nothing', async () => {
    const job = newJob()
    const main = await job.main({
      ...inputs(harbor.host, ROBOT),
      registry: `${harbor.host}/full`,
      charts: '',
      'keep-login': 'true'
    })
    expectExit(main, 1)
    expect(main.stdout).toContain('0 pushed, 0 unchanged, 0 skipped, 1 failed')
    expect(imagesOutput(main.outputs).map(image => image.status)).toEqual(['failed'])
    expect(main.stdout).not.toContain('keep-login: the login')
    expect(job.exported).toEqual({})
    expect(tempLeftovers(job.runnerTemp)).toEqual([])
    expect(filesContaining(job.root, SECRETS)).toEqual([])
  })
})
