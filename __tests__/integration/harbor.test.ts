/**
 * The bundled action (and the command) against the test Harbor that answers
 * as Harbor's source does (rig/harbor.ts): a wrong secret, roles, missing
 * and hidden projects, OIDC users and robots, pull policies, quota, read-only
 * mode, proxy-cache projects and one-segment names. Real podman and helm.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, type StepResult, expectExit, imagesOutput } from '../../rig/action.js'
import { CommandJob } from '../../rig/cli.js'
import { type Harbor, startHarbor } from '../../rig/harbor.js'
import { helmBinary, helmPackage, pathWithHelm, writeChart } from '../../rig/helm.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Shims, makeShims } from '../../rig/shims.js'

const secret = (): string => crypto.randomBytes(10).toString('hex')
const DEV = { username: 'dev', password: secret() }
const GUEST = { username: 'guest', password: secret() }
const ROBOT = { username: 'robot$proj+ci', password: secret() }
const SOURCE_PATH = `localhost/hp-truth-${crypto.randomBytes(4).toString('hex')}`
const DEV_ROLES = ['proj', 'open', 'signed', 'scanned', 'full', 'mirror'] as const

let harbor: Harbor
let oidc: Harbor
let readOnly: Harbor
let shims: Shims
let work: string
let chartDir: string
const ids: Record<string, string> = {}
const jobs: RunnerJob[] = []

beforeAll(async () => {
  ;[harbor, oidc, readOnly] = await Promise.all([
    startHarbor({
      users: {
        [DEV.username]: {
          password: DEV.password,
          roles: Object.fromEntries(DEV_ROLES.map(project => [project, 'developer' as const]))
        },
        [GUEST.username]: { password: GUEST.password, roles: { proj: 'guest' } }
      },
      robots: { 'proj+ci': { secret: ROBOT.password, permissions: { proj: ['pull', 'push'] } } },
      projects: {
        proj: {},
        open: { public: true },
        hidden: {},
        signed: { contentTrust: 'cosign' },
        scanned: { preventVulnerable: 'high' },
        full: { quotaFull: { limit: '1 MiB', used: '1 MiB' } },
        mirror: { proxyCache: true }
      }
    }),
    startHarbor({
      authMode: 'oidc_auth',
      users: { [DEV.username]: { password: DEV.password, roles: { proj: 'developer' } } },
      projects: { proj: {}, hidden: {} }
    }),
    startHarbor({
      readOnly: true,
      users: { [DEV.username]: { password: DEV.password, roles: { proj: 'developer' } } },
      projects: { proj: {} }
    })
  ])
  shims = makeShims(['podman', 'helm'], { helm: helmBinary(3) })
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-truth-'))
  chartDir = writeChart(path.join(work, 'app'), { name: 'app', version: '1.0.0' })
  for (const image of ['app:v1', 'app:v2']) {
    ids[image] = await makeImage('podman', `${SOURCE_PATH}/${image}`)
  }
})

afterAll(async () => {
  for (const image of ['app:v1', 'app:v2']) await removeImage('podman', `${SOURCE_PATH}/${image}`)
  await Promise.all([harbor?.stop(), oidc?.stop(), readOnly?.stop()])
  shims?.dispose()
  for (const job of jobs) job.dispose()
  fs.rmSync(work, { recursive: true, force: true })
})

/** The action, run as a runner runs it, with podman and helm v3 behind argv-recording shims. */
async function step(
  inputs: Record<string, string>,
  on: Harbor = harbor
): Promise<StepResult & { calls: string[] }> {
  const job = new RunnerJob({ PATH: `${shims.dir}:${pathWithHelm(helmBinary(3), work)}` })
  jobs.push(job)
  const before = shims.calls().length
  const result = await job.main({
    registry: `${on.host}/proj`,
    ...DEV,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    'tls-verify': 'false',
    retries: '0',
    ...inputs
  })
  return { ...result, calls: shims.calls().slice(before) }
}

const pushes = (calls: string[]): string[] => calls.filter(call => / push /.test(` ${call} `))

function chartsOutput(outputs: Record<string, string>): { digest: string; status: string }[] {
  return JSON.parse(outputs.charts ?? '[]') as { digest: string; status: string }[]
}

describe('a wrong secret is a rejected login, never "may pull", never green', () => {
  test.each([
    ['a private project', 'proj'],
    ['a public project', 'open']
  ])('%s, images and charts: one failed login, nothing pushed', async (_label, project) => {
    const wrong = secret()
    const before = harbor.failedLogins.length
    const result = await step({
      registry: `${harbor.host}/${project}`,
      password: wrong,
      images: 'app:v1',
      charts: chartDir,
      // A rejected login is never retried, however many retries are allowed.
      retries: '5'
    })
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /::error::login to "127\.0\.0\.1:\d+" rejected for user "dev": use the CLI secret from the Harbor user profile \(not the SSO password\); robot account names start with robot\$/
    )
    expect(result.stdout).not.toMatch(/may pull/)
    expect(harbor.failedLogins.slice(before)).toEqual([{ name: 'dev', path: '/service/token' }])
    expect(pushes(result.calls)).toEqual([])
    expect(result.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain(wrong)
  })

  test('a public project where every tag is unchanged: still a rejected login, not green', async () => {
    expectExit(await step({ registry: `${harbor.host}/open`, images: 'app:v1' }), 0)
    const before = harbor.failedLogins.length
    const result = await step({
      registry: `${harbor.host}/open`,
      password: secret(),
      images: 'app:v1'
    })
    expectExit(result, 1)
    expect(result.stdout).toContain('rejected for user "dev"')
    expect(harbor.failedLogins.length).toBe(before + 1)
  })

  test('a robot with a wrong secret: the same, naming the robot', async () => {
    const result = await step({ ...ROBOT, password: secret(), images: 'app:v1' })
    expectExit(result, 1)
    expect(result.stdout).toContain('rejected for user "robot$proj+ci"')
  })
})

describe('missing project, no role, read-only role: told apart the way Harbor allows', () => {
  test.each([
    [
      'a guest (read-only role)',
      { ...GUEST },
      'proj',
      'user "guest" may pull but not push to project "proj": it needs a role that may push (Developer, Maintainer or Project Admin; e.g. the project\'s Edge-Manager group)'
    ],
    [
      'a user with no role in an existing project',
      {},
      'hidden',
      'user "dev" has no role in project "hidden": ask a project admin for a role that may push'
    ],
    [
      'a user, a project that does not exist',
      {},
      'nope',
      'project "nope" not found: Harbor does not create projects on push'
    ],
    [
      'a robot without project read, another project',
      { ...ROBOT },
      'hidden',
      'user "robot$proj+ci" has no role in project "hidden"'
    ],
    [
      'a robot, a project that does not exist',
      { ...ROBOT },
      'nope',
      'project "nope" not found: Harbor does not create projects on push'
    ]
  ])('%s', async (_label, account, project, words) => {
    const result = await step({
      ...account,
      registry: `${harbor.host}/${project}`,
      images: 'app:v1'
    })
    expectExit(result, 1)
    expect(result.stdout).toContain(`::error::${words}`)
    expect(pushes(result.calls)).toEqual([])
  })

  test('an OIDC user: the CLI secret pushes; the project API refuses it, so a missing project is "not found or not visible"', async () => {
    expectExit(await step({ images: 'app:v1' }, oidc), 0)
    const result = await step({ registry: `${oidc.host}/nope`, images: 'app:v1' }, oidc)
    expectExit(result, 1)
    expect(result.stdout).toContain(
      '::error::project "nope" not found or not visible to this account: Harbor does not create projects on push'
    )
    expect(oidc.failedLogins).toEqual([])
  })
})

describe('pull policies (content trust, vulnerability prevention): the push landed, never "immutable"', () => {
  test('content trust: pushed with the digest the push reported and the policy quoted; a re-run overwrites, skips or fails by if-exists', async () => {
    const inputs = { registry: `${harbor.host}/signed`, images: 'app:v1', charts: chartDir }
    const first = await step(inputs)
    expectExit(first, 0)
    const [image] = imagesOutput(first.outputs)
    const [chart] = chartsOutput(first.outputs)
    expect(image.status).toBe('pushed')
    expect(chart.status).toBe('pushed')
    expect((await getManifest(harbor.registry, 'signed/app', 'v1'))?.digest).toBe(image.digest)
    expect((await getManifest(harbor.registry, 'signed/app', '1.0.0'))?.digest).toBe(chart.digest)
    expect(first.stdout).toContain(
      "the project's pull policy keeps it from being read back (PROJECTPOLICYVIOLATION: The image is not signed by cosign.), so the digest is the one the push reported"
    )
    expect(first.summary).toContain('The image is not signed by cosign.')
    expect(first.stdout).not.toMatch(/immutable/i)
    expect(first.stdout).toContain('2 pushed, 0 unchanged, 0 skipped, 0 failed')

    // helm reads a tag that exists before pushing over it, and the policy refuses that read.
    const again = await step(inputs)
    expectExit(again, 1)
    expect(imagesOutput(again.outputs)[0].status).toBe('pushed')
    expect(chartsOutput(again.outputs)[0].status).toBe('failed')
    expect(again.stdout).toContain(
      'a pull policy of project "signed" (content trust or vulnerability prevention) refuses to read "oci://' +
        `${harbor.host}/signed/app:1.0.0", and helm reads a tag that exists before it pushes over it: push a new tag`
    )
    expect(again.stdout).toContain(
      '::warning::Overwriting ' +
        `${harbor.host}/signed/app:v1: it exists, but a pull policy of the project keeps its content from being read (PROJECTPOLICYVIOLATION: The image is not signed by cosign.); if-exists: overwrite`
    )
    expect(again.stdout).not.toMatch(/immutable|tag "" /i)

    const skip = await step({ ...inputs, 'if-exists': 'skip' })
    expectExit(skip, 0)
    expect(skip.stdout).toContain('0 pushed, 0 unchanged, 2 skipped, 0 failed')
    expect(pushes(skip.calls)).toEqual([])

    const fail = await step({ ...inputs, 'if-exists': 'fail' })
    expectExit(fail, 1)
    expect(fail.stdout).toMatch(
      /::error::if-exists: fail: "oci:\/\/127\.0\.0\.1:\d+\/signed\/app:1\.0\.0" \(exists, but a pull policy of the project keeps its content from being read \(PROJECTPOLICYVIOLATION: The image is not signed by cosign\.\)\), "127\.0\.0\.1:\d+\/signed\/app:v1" \(exists, but a pull policy of the project keeps its content from being read \(PROJECTPOLICYVIOLATION: The image is not signed by cosign\.\)\) already hold different or unreadable content; nothing was pushed/
    )
    expect(pushes(fail.calls)).toEqual([])
  })

  test('vulnerability prevention: the image is pushed with the policy quoted; the chart (not scannable) reads back as usual', async () => {
    const result = await step({
      registry: `${harbor.host}/scanned`,
      images: 'app:v1',
      charts: chartDir
    })
    expectExit(result, 0)
    expect(imagesOutput(result.outputs)[0].status).toBe('pushed')
    expect(result.stdout).toContain(
      'current image without vulnerability scanning cannot be pulled due to configured policy'
    )
    expect(result.stdout.match(/pull policy keeps it from being read back/g)).toHaveLength(1)
  })
})

describe('what Harbor refuses at push time is said in its own terms', () => {
  test.each([
    ['full', false, /the storage quota of project "full" is exceeded/],
    [
      'mirror',
      false,
      /project "mirror" is a proxy-cache project, which only mirrors another registry/
    ],
    ['proj', true, /is in read-only mode \(Harbor maintenance\)/]
  ])('project %s (read-only mode: %s)', async (project, inReadOnlyMode, advice) => {
    const target = inReadOnlyMode ? readOnly : harbor
    const result = await step({ registry: `${target.host}/${project}`, images: 'app:v2' }, target)
    expectExit(result, 1)
    expect(result.stdout).toMatch(advice)
    expect(imagesOutput(result.outputs)[0].status).toBe('failed')
  })

  test('a registry with no project: an input error before anything is pushed (the command exits 2)', async () => {
    const result = await step({ registry: harbor.host, images: 'app:v1' })
    expectExit(result, 1)
    expect(result.stdout).toContain(
      '::error::Invalid input: Harbor keeps every repository in a project: "app" names none; give the project in registry'
    )
    expect(pushes(result.calls)).toEqual([])
    const command = new CommandJob({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
    try {
      const run = await command.run(
        [
          '-r',
          harbor.host,
          '-c',
          'podman',
          '-p',
          SOURCE_PATH,
          '-i',
          'app:v1',
          '-t',
          '-u',
          'dev',
          '--password-stdin'
        ],
        { stdin: `${DEV.password}\n` }
      )
      expect(run.code).toBe(2)
      expect(run.stderr + run.stdout).toContain('Harbor keeps every repository in a project')
    } finally {
      command.dispose()
    }
  })
})

describe('tag reads do not count as pulls', () => {
  test('a first push and its read-back book no pull; a re-run books one per existing tag, with one request', async () => {
    // Harbor books a pull for a manifest GET that found the artifact, never for a HEAD or a
    // 404 (src/server/registry/manifest.go, getManifest).
    const manifestReads = (from: number): { method: string; status: number }[] =>
      harbor.requests
        .slice(from)
        .filter(entry => /\/manifests\//.test(entry.path) && entry.method !== 'PUT')
    const pulls = (from: number): number =>
      manifestReads(from).filter(entry => entry.method === 'GET' && entry.status === 200).length
    const tag = `t${crypto.randomBytes(3).toString('hex')}`
    const before = harbor.requests.length
    expectExit(await step({ images: 'app:v1', 'destination-tag': tag }), 0)
    expect(pulls(before)).toBe(0)
    // The preflight's read of the absent tag and the read-back after the push.
    expect(manifestReads(before).length).toBeGreaterThanOrEqual(2)

    const rerun = harbor.requests.length
    const again = await step({ images: 'app:v1', 'destination-tag': tag })
    expect(again.stdout).toContain('0 pushed, 1 unchanged')
    // The manifest is compared, so read: one GET, no HEAD before it (it would book nothing
    // and only add a round trip).
    expect(pulls(rerun)).toBe(1)
    expect(manifestReads(rerun)).toEqual([expect.objectContaining({ method: 'GET', status: 200 })])
  })
})

describe('one registry session per run', () => {
  /** harbor-push's own requests (undici's fetch), not podman's or helm's. */
  const ours = (entry: { agent: string }): boolean => entry.agent === 'undici'

  test('images and charts: the scheme probed once, one token for every repository, one login check', async () => {
    // Packaged already, so that the re-run pushes the same .tgz files (unchanged).
    const packaged = path.join(work, 'one-session/packaged')
    const [web, db] = await Promise.all(
      ['web', 'db'].map(name =>
        helmPackage(
          helmBinary(3),
          writeChart(path.join(work, 'one-session', name), { name }),
          packaged
        )
      )
    )
    const tag = `s${crypto.randomBytes(3).toString('hex')}`
    const inputs = { images: 'app:v1', 'destination-tag': tag, charts: `${web}\n${db}` }
    const count = { requests: harbor.requests.length, tokens: harbor.tokenRequests.length }
    const result = await step(inputs)
    expectExit(result, 0)
    expect(result.stdout).toContain('3 pushed, 0 unchanged, 0 skipped, 0 failed')

    const requests = harbor.requests.slice(count.requests).filter(ours)
    const probes = requests.filter(
      entry => entry.method === 'GET' && entry.path === '/v2/' && !entry.authorized
    )
    // The test Harbor speaks plain HTTP: the HTTPS probe never reaches it.
    expect(probes).toHaveLength(1)
    // The one token request is the login check; it carries every repository,
    // and serves the rights, the tag reads and every read-back.
    const tokens = harbor.tokenRequests.slice(count.tokens).filter(ours)
    expect(tokens).toEqual([
      expect.objectContaining({ account: DEV.username, subject: DEV.username })
    ])
    expect([...tokens[0].scopes].sort()).toEqual([
      'repository:proj/app:pull,push',
      'repository:proj/db:pull,push',
      'repository:proj/web:pull,push'
    ])
    expect(result.stdout.match(/login accepted/g)).toHaveLength(1)

    // A re-run: still one probe and one token, and everything is unchanged.
    const rerun = { requests: harbor.requests.length, tokens: harbor.tokenRequests.length }
    const again = await step(inputs)
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 3 unchanged, 0 skipped, 0 failed')
    expect(pushes(again.calls)).toEqual([])
    const probedAgain = harbor.requests
      .slice(rerun.requests)
      .filter(ours)
      .filter(entry => entry.method === 'GET' && entry.path === '/v2/' && !entry.authorized)
    expect(probedAgain).toHaveLength(1)
    expect(harbor.tokenRequests.slice(rerun.tokens).filter(ours)).toHaveLength(1)
  })
})
