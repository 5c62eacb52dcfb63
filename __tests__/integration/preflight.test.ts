/**
 * Registry preflight against a Harbor-like registry (the real registry behind
 * a token service with per-project roles, over TLS) and a basic-auth one:
 * every account problem is named before anything is pushed, tags that
 * already hold the image are not pushed again, `if-exists` and `dry-run`
 * do what they say. Everything is asserted against what the registry holds.
 */
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, type StepResult, expectExit, imagesOutput } from '../../rig/action.js'
import { type Harbor, startHarbor } from '../../rig/harbor.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'
import { RegistryClient } from '../../src/registry/client.js'

const secret = (): string => crypto.randomBytes(10).toString('hex')
const WRITER = { username: 'robot$proj+ci', password: secret() }
const READER = { username: 'operator', password: secret() }
const SOURCE_PATH = `localhost/hp-pre-${crypto.randomBytes(4).toString('hex')}`
const IMAGES = ['apim-le-cache:v1', 'apim-le-toolkit:v1', 'apim-le-cache:v2']

let harbor: Harbor
let basic: Registry
let shims: Shims
const ids: Record<string, string> = {}
const jobs: RunnerJob[] = []

beforeAll(async () => {
  ;[harbor, basic] = await Promise.all([
    startHarbor({
      robots: { 'proj+ci': { secret: WRITER.password, permissions: { proj: ['pull', 'push'] } } },
      users: { [READER.username]: { password: READER.password, roles: { proj: 'guest' } } },
      projects: { proj: { immutable: ['proj/apim-le-cache:release'] }, hidden: {} },
      tls: true
    }),
    startRegistry({ users: { [WRITER.username]: WRITER.password } })
  ])
  shims = makeShims(['podman'])
  for (const image of IMAGES) ids[image] = await makeImage('podman', `${SOURCE_PATH}/${image}`)
})

afterAll(async () => {
  for (const image of IMAGES) await removeImage('podman', `${SOURCE_PATH}/${image}`)
  await Promise.all([harbor?.stop(), basic?.stop()])
  shims?.dispose()
  for (const job of jobs) job.dispose()
})

/** Runs the action against the Harbor-like registry (or another) and returns the step's result and the tool calls it made. */
async function push(
  inputs: Record<string, string>,
  target: { host: string; caFile?: string } = harbor
): Promise<StepResult & { calls: string[] }> {
  const job = new RunnerJob({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
  jobs.push(job)
  const before = shims.calls().length
  const result = await job.main({
    registry: `${target.host}/proj`,
    username: WRITER.username,
    password: WRITER.password,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    ...(target.caFile ? { 'ca-file': target.caFile } : {}),
    ...inputs
  })
  return { ...result, calls: shims.calls().slice(before) }
}

async function held(repository: string, tag: string) {
  return getManifest(harbor.registry, repository, tag)
}

/** podman calls that only read local storage. */
const LOCAL_READS = /^podman (--version|image inspect|images|manifest inspect)/

const pushes = (calls: string[]): string[] => calls.filter(call => call.startsWith('podman push'))

describe('account problems are named before anything is pushed (Harbor-like, token auth)', () => {
  test('a read-only account: may pull but not push, needs a read-write role', async () => {
    const result = await push({ ...READER, images: 'apim-le-cache:v1' })
    expectExit(result, 1)
    expect(result.stdout).toContain(
      '::error::user "operator" may pull but not push to project "proj": it needs a role that may push (Developer, Maintainer or Project Admin; e.g. the project\'s Edge-Manager group). Nothing was pushed.'
    )
    // Only local storage was read (version, images, lists): no login, no push.
    expect(result.calls.filter(call => !LOCAL_READS.test(call))).toEqual([])
    expect(pushes(result.calls)).toEqual([])
    expect(result.calls.some(call => call.startsWith('podman login'))).toBe(false)
  })

  test('a wrong secret: login rejected, use the CLI secret', async () => {
    const wrong = secret()
    const result = await push({ password: wrong, images: 'apim-le-cache:v1' })
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /::error::login to "127\.0\.0\.1:\d+" rejected for user "robot\$proj\+ci": use the CLI secret from the Harbor user profile \(not the SSO password\); robot account names start with robot\$/
    )
    expect(result.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain(wrong)
    expect(pushes(result.calls)).toEqual([])
  })

  test.each([
    ['nope', 'project "nope" not found: Harbor does not create projects on push'],
    [
      'hidden',
      'user "robot$proj+ci" has no role in project "hidden": ask a project admin for a role that may push'
    ]
  ])('project "%s": said as Harbor\'s existence check tells it', async (project, words) => {
    const result = await push({ registry: `${harbor.host}/${project}`, images: 'apim-le-cache:v1' })
    expectExit(result, 1)
    expect(result.stdout).toContain(`::error::${words}`)
    expect(pushes(result.calls)).toEqual([])
  })

  test('an untrusted certificate: set ca-file, or tls-verify: false', async () => {
    const result = await push({ images: 'apim-le-cache:v1' }, { host: harbor.host })
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /::error::the TLS certificate of "127\.0\.0\.1:\d+" is not trusted: set ca-file to the registry's CA bundle \(PEM\), or tls-verify: false/
    )
    expect(result.calls.filter(call => !LOCAL_READS.test(call))).toEqual([])
  })

  test('a plain-HTTP registry with TLS verification on: tls-verify: false', async () => {
    const result = await push({ images: 'apim-le-cache:v1' }, basic)
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /::error::the registry "127\.0\.0\.1:\d+" speaks plain HTTP: set tls-verify: false/
    )
    expect(await listTags(basic, 'proj/apim-le-cache', WRITER)).toEqual([])
  })

  test('a wrong secret on a basic-auth registry is rejected before the tool logs in', async () => {
    const result = await push(
      { images: 'apim-le-cache:v1', password: 'wrong', 'tls-verify': 'false' },
      basic
    )
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /::error::login to "127\.0\.0\.1:\d+" rejected for user "robot\$proj\+ci"/
    )
    expect(result.calls.some(call => call.startsWith('podman login'))).toBe(false)
  })
})

describe('what the tags hold decides what is pushed', () => {
  test('first push, then a re-run: everything unchanged, nothing pushed again', async () => {
    const inputs = { images: 'apim-le-cache:v1 apim-le-toolkit:v1', 'destination-tag': 'v1 stable' }
    const first = await push(inputs)
    expectExit(first, 0)
    expect(imagesOutput(first.outputs).map(image => image.status)).toEqual(Array(4).fill('pushed'))
    for (const image of imagesOutput(first.outputs)) {
      const [, repository, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
      expect((await held(repository, tag))?.digest).toBe(image.digest)
    }

    const again = await push(inputs)
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 4 unchanged, 0 skipped, 0 failed')
    expect(pushes(again.calls)).toEqual([])
    expect(again.calls.some(call => call.startsWith('podman login'))).toBe(false)
    expect(imagesOutput(again.outputs)).toEqual(
      imagesOutput(first.outputs).map(image => ({ ...image, status: 'unchanged' }))
    )
    expect(again.outputs.refs).toBe(first.outputs.refs)

    // A read-only account may re-run it too: nothing needs pushing, so no push right is needed.
    const reader = await push({ ...inputs, ...READER })
    expectExit(reader, 0)
    expect(reader.stdout).toContain('login accepted, nothing to push')
    expect(reader.stdout).toContain('0 pushed, 4 unchanged, 0 skipped, 0 failed')
    expect(pushes(reader.calls)).toEqual([])
  })

  test('if-exists: skip leaves a tag holding other content, and says so', async () => {
    expectExit(await push({ images: 'apim-le-cache:v1', 'destination-tag': 'skip-me' }), 0)
    const before = await held('proj/apim-le-cache', 'skip-me')
    const result = await push({
      images: 'apim-le-cache:v2',
      'destination-tag': 'skip-me',
      'if-exists': 'skip'
    })
    expectExit(result, 0)
    const [image] = imagesOutput(result.outputs)
    expect(image).toMatchObject({ status: 'skipped', digest: before?.digest })
    expect(result.stdout).toContain('0 pushed, 0 unchanged, 1 skipped, 0 failed')
    expect((await held('proj/apim-le-cache', 'skip-me'))?.configDigest).toBe(
      ids['apim-le-cache:v1']
    )
    expect(result.outputs.refs).toBe('')
  })

  test('if-exists: fail stops the step before anything at all is pushed', async () => {
    expectExit(await push({ images: 'apim-le-cache:v1', 'destination-tag': 'guarded' }), 0)
    const result = await push({
      images: 'apim-le-cache:v2 apim-le-toolkit:v1',
      'destination-tag': 'guarded',
      'if-exists': 'fail'
    })
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /::error::if-exists: fail: "127\.0\.0\.1:\d+\/proj\/apim-le-cache:guarded" \(holds sha256:[0-9a-f]{64}\) already holds different content; nothing was pushed/
    )
    expect(pushes(result.calls)).toEqual([])
    expect(await held('proj/apim-le-toolkit', 'guarded')).toBeUndefined()
    expect((await held('proj/apim-le-cache', 'guarded'))?.configDigest).toBe(
      ids['apim-le-cache:v1']
    )
  })

  test('if-exists: overwrite pushes over other content with a warning', async () => {
    expectExit(await push({ images: 'apim-le-cache:v1', 'destination-tag': 'moving' }), 0)
    const result = await push({ images: 'apim-le-cache:v2', 'destination-tag': 'moving' })
    expectExit(result, 0)
    expect(result.stdout).toMatch(
      /::warning::Overwriting .*apim-le-cache:moving: it holds other content/
    )
    const [image] = imagesOutput(result.outputs)
    const now = await held('proj/apim-le-cache', 'moving')
    expect(now).toMatchObject({ digest: image.digest, configDigest: ids['apim-le-cache:v2'] })
  })

  test('dry-run prints the plan and pushes nothing', async () => {
    expectExit(await push({ images: 'apim-le-cache:v1', 'destination-tag': 'dry' }), 0)
    const result = await push({
      images: 'apim-le-cache:v1 apim-le-toolkit:v1',
      'destination-tag': 'dry',
      'dry-run': 'true'
    })
    expectExit(result, 0)
    expect(result.stdout).toMatch(/Dry run: the plan for 2 destinations; nothing is pushed/)
    expect(result.stdout).toMatch(/apim-le-cache:dry: unchanged \(already holds this content\)/)
    expect(result.stdout).toMatch(/apim-le-toolkit:dry: would push \(new tag\)/)
    expect(pushes(result.calls)).toEqual([])
    expect(await held('proj/apim-le-toolkit', 'dry')).toBeUndefined()
    expect(imagesOutput(result.outputs).map(image => image.status)).toEqual([
      'unchanged',
      'skipped'
    ])
  })

  test('an immutable tag: its first push lands; pushing over it fails with the Harbor advice, the others are pushed', async () => {
    // Harbor's rule refuses only a tag that exists already (middleware/immutable/pushmf.go).
    const first = await push({ images: 'apim-le-cache:v1', 'destination-tag': 'release' })
    expectExit(first, 0)
    const result = await push({
      images: 'apim-le-cache:v2 apim-le-toolkit:v1',
      'destination-tag': 'release',
      retries: '0'
    })
    expectExit(result, 1)
    const images = imagesOutput(result.outputs)
    expect(images.map(image => image.status)).toEqual(['failed', 'pushed'])
    expect(result.stdout).toMatch(
      /tag "127\.0\.0\.1:\d+\/proj\/apim-le-cache:release" is immutable in Harbor .*push a new tag/
    )
    expect((await held('proj/apim-le-cache', 'release'))?.configDigest).toBe(
      ids['apim-le-cache:v1']
    )
    expect((await held('proj/apim-le-toolkit', 'release'))?.digest).toBe(images[1].digest)
  })
})

describe('tokens', () => {
  test('one token serves the login check, the rights and the tag reads of every repository', async () => {
    const before = harbor.tokenRequests.length
    const result = await push({
      images: 'apim-le-cache apim-le-toolkit',
      'source-tag': 'v1',
      'dry-run': 'true'
    })
    expectExit(result, 0)
    const asked = harbor.tokenRequests.slice(before).filter(entry => entry.scopes.length > 0)
    expect(asked).toEqual([
      expect.objectContaining({
        account: WRITER.username,
        scopes: [
          'repository:proj/apim-le-cache:pull,push',
          'repository:proj/apim-le-toolkit:pull,push'
        ]
      })
    ])
  })

  test('many repositories: a few tokens of at most 40 scopes, the first alone; every right read from them', async () => {
    const client = new RegistryClient(
      harbor.url,
      { tlsVerify: true, caFile: harbor.caFile ?? '' },
      WRITER
    )
    const names = Array.from({ length: 90 }, (_, index) => `proj/apim-le-image-${index}`)
    const before = harbor.tokenRequests.length
    await client.checkLogin(names)
    const granted = await client.grantedActions(names)
    const asked = harbor.tokenRequests.slice(before)
    // The first 40 alone (the secret is checked once); the other two at once, in either order.
    expect(asked[0].scopes).toEqual(names.slice(0, 40).map(name => `repository:${name}:pull,push`))
    expect(asked.map(entry => entry.scopes.length).sort()).toEqual([10, 40, 40])
    expect(asked.flatMap(entry => entry.scopes).sort()).toEqual(
      names.map(name => `repository:${name}:pull,push`).sort()
    )
    expect([...granted.values()].every(actions => actions.has('push'))).toBe(true)
    expect(granted.size).toBe(90)
  })

  test('an expired token (a push longer than its lifetime) is renewed once for the digest read back', async () => {
    // Tokens of 2 s: after 1 s one is half-way through its life, when a 401 may mean it expired.
    const shortLived = await startHarbor({
      robots: { 'proj+ci': { secret: WRITER.password, permissions: { proj: ['pull', 'push'] } } },
      projects: { proj: {} },
      tokenSeconds: 2
    })
    try {
      const client = new RegistryClient(shortLived.url, { tlsVerify: false, caFile: '' }, WRITER)
      await client.checkLogin(['proj/apim-le-cache'])
      await new Promise(resolve => setTimeout(resolve, 1100))
      const before = shortLived.tokenRequests.length
      shortLived.expireTokens()
      expect(await client.manifest('proj/apim-le-cache', 'no-such-tag')).toBeUndefined()
      expect(shortLived.tokenRequests.length).toBe(before + 1)
      // Harbor refuses the expired token as it would any rejected Authorization: 401, then a new token.
      expect(
        shortLived.requests
          .filter(entry => entry.path === '/v2/proj/apim-le-cache/manifests/no-such-tag')
          .map(entry => entry.status)
      ).toEqual([401, 404])
    } finally {
      await shortLived.stop()
    }
  })

  test('a fresh token refused means no access: not asked again', async () => {
    const client = new RegistryClient(
      harbor.url,
      { tlsVerify: true, caFile: harbor.caFile ?? '' },
      READER
    )
    await client.checkLogin(['hidden/apim-le-cache'])
    const before = harbor.tokenRequests.length
    const error = await client
      .manifest('hidden/apim-le-cache', 'v1')
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ status: 401 })
    expect(harbor.tokenRequests.length).toBe(before)
  })
})
