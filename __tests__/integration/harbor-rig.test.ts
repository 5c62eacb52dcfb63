/**
 * Proves the test Harbor against what Harbor's source says (see the comments
 * in rig/harbor.ts for the files), with real podman and plain HTTP
 * requests, before the action is tested against it.
 */
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type Harbor, startHarbor } from '../../rig/harbor.js'
import { makeImage, removeImage, toolPath } from '../../rig/images.js'
import { run } from '../../rig/tools.js'

const secret = (): string => crypto.randomBytes(8).toString('hex')
const DEV = { username: 'dev', password: secret() }
const GUEST = { username: 'guest', password: secret() }
const ADMIN = { username: 'admin', password: secret() }
const PUSHER = { username: 'bot$proj+push', password: secret() }
const SOURCE = `localhost/hp-harbor-${crypto.randomBytes(4).toString('hex')}/app:v1`

let harbor: Harbor
let oidc: Harbor

beforeAll(async () => {
  ;[harbor, oidc] = await Promise.all([
    startHarbor({
      users: {
        [DEV.username]: {
          password: DEV.password,
          roles: { proj: 'developer', signed: 'developer' }
        },
        [GUEST.username]: { password: GUEST.password, roles: { proj: 'guest' } },
        [ADMIN.username]: { password: ADMIN.password, admin: true }
      },
      robotPrefix: 'bot$',
      robots: {
        'proj+push': { secret: PUSHER.password, permissions: { proj: ['pull', 'push'] } },
        'proj+off': { secret: 'off', permissions: { proj: ['pull', 'push'] }, disabled: true }
      },
      projects: {
        proj: { immutable: ['proj/app:release'] },
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
      projects: { proj: {} }
    })
  ])
  await makeImage('podman', SOURCE)
})

afterAll(async () => {
  await removeImage('podman', SOURCE)
  await Promise.all([harbor?.stop(), oidc?.stop()])
})

type Account = { username: string; password: string }

async function podmanPush(account: Account, destination: string, on = harbor) {
  return run(
    toolPath('podman'),
    [
      'push',
      '--tls-verify=false',
      '--creds',
      `${account.username}:${account.password}`,
      SOURCE,
      `docker://${on.host}/${destination}`
    ],
    { allowFailure: true }
  )
}

function basic(account: Account): string {
  return `Basic ${Buffer.from(`${account.username}:${account.password}`).toString('base64')}`
}

async function call(
  path: string,
  options: { account?: Account; method?: string; bearer?: string; on?: Harbor } = {}
): Promise<{ status: number; body: string; authenticate: string }> {
  const headers: Record<string, string> = {}
  if (options.account) headers.Authorization = basic(options.account)
  if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`
  const response = await fetch(`${(options.on ?? harbor).url}${path}`, {
    method: options.method ?? 'GET',
    headers
  })
  return {
    status: response.status,
    body: await response.text(),
    authenticate: response.headers.get('www-authenticate') ?? ''
  }
}

async function token(scopes: string[], account?: Account, on = harbor): Promise<string> {
  const query = ['service=harbor-registry', ...scopes.map(s => `scope=${encodeURIComponent(s)}`)]
  const answer = await call(`/service/token?${query.join('&')}`, { account, on })
  expect(answer.status).toBe(200)
  return (JSON.parse(answer.body) as { token: string }).token
}

function claims(jwt: string): { sub?: string; access: { name: string; actions: string[] }[] } {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as ReturnType<
    typeof claims
  >
}

describe('the test Harbor: token service (core/service/token/creator.go)', () => {
  test('a wrong secret with a scope gets 200 and an anonymous token; without a scope, 401', async () => {
    const wrong = { ...DEV, password: 'wrong' }
    const anonymous = claims(await token(['repository:proj/app:pull,push'], wrong))
    expect(anonymous.sub).toBeUndefined()
    expect(anonymous.access).toEqual([
      { type: 'repository', name: 'proj/app', actions: [] }
    ] as unknown)
    expect((await call('/service/token?service=harbor-registry', { account: wrong })).status).toBe(
      401
    )
  })

  test('a public project gives anonymous pull; POST is 405', async () => {
    const anonymous = claims(await token(['repository:open/app:push']))
    expect(anonymous.access[0].actions).toEqual(['pull'])
    expect((await call('/service/token', { method: 'POST', account: DEV })).status).toBe(405)
  })

  test('granted actions are what the role allows, not what was asked', async () => {
    const dev = claims(await token(['repository:proj/app:pull'], DEV))
    expect(dev).toMatchObject({ sub: 'dev' })
    expect(dev.access[0].actions.sort()).toEqual(['pull', 'push'])
    const guest = claims(await token(['repository:proj/app:pull,push'], GUEST))
    expect(guest.access[0].actions).toEqual(['pull'])
    const missing = claims(await token(['repository:nope/app:pull,push'], DEV))
    expect(missing.access[0].actions).toEqual([])
  })

  test('robots use the configured prefix; a disabled robot falls to anonymous', async () => {
    const robot = claims(await token(['repository:proj/app:pull,push'], PUSHER))
    expect(robot.sub).toBe('bot$proj+push')
    const off = claims(
      await token(['repository:proj/app:pull,push'], { username: 'bot$proj+off', password: 'off' })
    )
    expect(off.sub).toBeUndefined()
  })
})

describe('the test Harbor: /v2/ and pushes (middleware/security, v2auth)', () => {
  test('/v2/: Basic accepted; a rejected Authorization gets Basic realm="harbor"; none gets the token service', async () => {
    expect((await call('/v2/', { account: DEV })).status).toBe(200)
    const wrong = await call('/v2/', { account: { ...DEV, password: 'nope' } })
    expect(wrong).toMatchObject({ status: 401, authenticate: 'Basic realm="harbor"' })
    const none = await call('/v2/')
    expect(none.status).toBe(401)
    expect(none.authenticate).toBe(
      `Bearer realm="http://${harbor.host}/service/token",service="harbor-registry"`
    )
  })

  test('every failed login is counted and takes 1.5 s', async () => {
    const before = harbor.failedLogins.length
    const started = Date.now()
    await call('/v2/', { account: { username: 'ghost', password: 'x' } })
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400)
    expect(harbor.failedLogins.slice(before)).toEqual([{ name: 'ghost', path: '/v2/' }])
  })

  test('a developer pushes through the token service; a guest is refused', async () => {
    const pushed = await podmanPush(DEV, 'proj/app:v1')
    expect(pushed.stderr).not.toMatch(/denied|unauthorized/i)
    expect(pushed.code).toBe(0)
    const refused = await podmanPush(GUEST, 'proj/app:v2')
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/unauthorized|denied|authentication required/i)
  })

  test("an immutable rule answers 412 only once the tag exists, with Harbor's words", async () => {
    expect((await podmanPush(DEV, 'proj/app:release')).code).toBe(0)
    const again = await podmanPush(DEV, 'proj/app:release')
    expect(again.code).not.toBe(0)
    expect(again.stderr).toContain(
      "Failed to process request due to 'app:release' configured as immutable."
    )
  })

  test('a one-segment repository is 400 invalid repository name', async () => {
    const answer = await call('/v2/app/manifests/v1', { account: DEV })
    expect(answer.status).toBe(400)
    expect(answer.body).toContain('invalid repository name: app')
  })

  test.each([
    ['full', 'Quota exceeded when processing the request of adding'],
    ['mirror', 'can not push artifact to a proxy project: mirror']
  ])("project %s answers a push with 403 DENIED in Harbor's words", async (project, words) => {
    const result = await podmanPush(ADMIN, `${project}/app:v1`)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(words)
  })
})

describe('the test Harbor: blob mounts (v2auth/access.go) and upload bytes', () => {
  test('a mount needs pull on the repository it comes from; the front records it and the bytes each request sent', async () => {
    // An image of its own: its layer is new to the registry, so podman uploads it whole.
    const fresh = `localhost/hp-mount-${crypto.randomBytes(4).toString('hex')}/m:v1`
    await makeImage('podman', fresh, { sizeBytes: 16384 })
    try {
      const pushed = await run(toolPath('podman'), [
        'push',
        '--tls-verify=false',
        '--creds',
        `${DEV.username}:${DEV.password}`,
        fresh,
        `docker://${harbor.host}/proj/mount-src:v1`
      ])
      expect(pushed.code).toBe(0)
    } finally {
      await removeImage('podman', fresh)
    }
    const pull = await token(['repository:proj/mount-src:pull'], DEV)
    const manifest = await fetch(`${harbor.url}/v2/proj/mount-src/manifests/v1`, {
      headers: {
        Authorization: `Bearer ${pull}`,
        Accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
      }
    })
    const layer = ((await manifest.json()) as { layers: { digest: string }[] }).layers[0].digest

    const mount = (bearer: string, from: string) =>
      call(`/v2/signed/app/blobs/uploads/?mount=${layer}&from=${from}`, { method: 'POST', bearer })
    // Push on the target and pull on the source, in one token: mounted.
    const both = await token(
      ['repository:signed/app:pull,push', 'repository:proj/mount-src:pull'],
      DEV
    )
    expect((await mount(both, 'proj/mount-src')).status).toBe(201)
    // Push on the target only: the source repository is not readable with this token.
    const targetOnly = await token(['repository:signed/app:pull,push'], DEV)
    const refused = await mount(targetOnly, 'proj/mount-src')
    expect(refused.status).toBe(401)
    expect(refused.body).toContain(
      'unauthorized to access repository: proj/mount-src, action: pull'
    )
    // A project the account has no role in.
    const hidden = await token(['repository:signed/app:pull,push', 'repository:hidden/x:pull'], DEV)
    expect((await mount(hidden, 'hidden/x')).status).toBe(401)

    const mounts = harbor.requests.filter(
      request => request.path === '/v2/signed/app/blobs/uploads/' && request.mountFrom
    )
    expect(mounts.map(request => [request.status, request.mountFrom])).toEqual([
      [201, 'proj/mount-src'],
      [401, 'proj/mount-src'],
      [401, 'hidden/x']
    ])
    // podman's push sent its layer's bytes through the front, counted on the uploads.
    const uploaded = harbor.requests
      .filter(request => /\/proj\/mount-src\/blobs\/uploads\//.test(request.path))
      .reduce((sum, request) => sum + request.bytes, 0)
    expect(uploaded).toBeGreaterThan(16384)
  })
})

describe('the test Harbor: pull policies (middleware/contenttrust, vulnerable)', () => {
  test.each([
    ['signed', 'The image is not signed by cosign.'],
    [
      'scanned',
      'current image without vulnerability scanning cannot be pulled due to configured policy'
    ]
  ])(
    'project %s: the push lands, GET and HEAD of the manifest answer 412',
    async (project, words) => {
      expect((await podmanPush(ADMIN, `${project}/app:v1`)).code).toBe(0)
      const jwt = await token([`repository:${project}/app:pull`], ADMIN)
      const get = await call(`/v2/${project}/app/manifests/v1`, { bearer: jwt })
      expect(get.status).toBe(412)
      expect(get.body).toContain('PROJECTPOLICYVIOLATION')
      expect(get.body).toContain(words)
      expect(
        (await call(`/v2/${project}/app/manifests/v1`, { bearer: jwt, method: 'HEAD' })).status
      ).toBe(412)
      // A tag that does not exist is still a plain 404.
      expect(
        (await call(`/v2/${project}/app/manifests/none`, { bearer: jwt, method: 'HEAD' })).status
      ).toBe(404)
    }
  )
})

describe('the test Harbor: project API (v2.0/handler/project.go)', () => {
  test('a missing project: 403 to a signed-in non-admin, 401 anonymous, 404 to an admin only', async () => {
    expect((await call('/api/v2.0/projects/nope', { account: DEV })).status).toBe(403)
    expect((await call('/api/v2.0/projects/nope')).status).toBe(401)
    expect((await call('/api/v2.0/projects/nope', { account: ADMIN })).status).toBe(404)
    expect((await call('/api/v2.0/projects/hidden', { account: DEV })).status).toBe(403)
    expect((await call('/api/v2.0/projects/proj', { account: DEV })).status).toBe(200)
  })

  test('HEAD ?project_name= answers any signed-in account; a robot without project read gets 403 on GET', async () => {
    expect(
      (await call('/api/v2.0/projects?project_name=nope', { account: GUEST, method: 'HEAD' }))
        .status
    ).toBe(404)
    expect(
      (await call('/api/v2.0/projects?project_name=hidden', { account: GUEST, method: 'HEAD' }))
        .status
    ).toBe(200)
    expect((await call('/api/v2.0/projects?project_name=hidden', { method: 'HEAD' })).status).toBe(
      401
    )
    expect((await call('/api/v2.0/projects/proj', { account: PUSHER })).status).toBe(403)
  })

  test('OIDC: the CLI secret works for tokens and /v2, not on the project API (and is no failed login there)', async () => {
    expect(claims(await token(['repository:proj/app:pull'], DEV, oidc)).sub).toBe('dev')
    expect((await call('/v2/', { account: DEV, on: oidc })).status).toBe(200)
    expect((await call('/api/v2.0/projects/proj', { account: DEV, on: oidc })).status).toBe(401)
    expect(
      (
        await call('/api/v2.0/projects?project_name=proj', {
          account: DEV,
          on: oidc,
          method: 'HEAD'
        })
      ).status
    ).toBe(401)
    expect(oidc.failedLogins).toEqual([])
  })
})
