/**
 * The bundled action end to end with real podman against a real registry
 * (htpasswd auth over plain HTTP, and over TLS with a self-signed CA). Every
 * result is read back from the registry's API.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import {
  RunnerJob,
  expectExit,
  filesContaining,
  imagesOutput,
  tempLeftovers
} from '../../rig/action.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const AUTH = { username: USER, password: PASSWORD }
const SECRET_FORMS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]
// The shared podman store: a unique local path keeps runs apart.
const SOURCE_PATH = `localhost/hp-${crypto.randomBytes(4).toString('hex')}`
const PROJECT = 'catalog-apps-org-proj'

let registry: Registry
let tlsRegistry: Registry
const ids: Record<string, string> = {}
const jobs: RunnerJob[] = []

function job(env: Record<string, string> = {}): RunnerJob {
  const created = new RunnerJob(env)
  jobs.push(created)
  return created
}

function inputs(reg: Registry, extra: Record<string, string> = {}): Record<string, string> {
  return {
    registry: `${reg.host}/${PROJECT}`,
    username: USER,
    password: PASSWORD,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    'source-tag': 'v6.0.0',
    'tls-verify': 'false',
    ...extra
  }
}

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER]: PASSWORD } })
  tlsRegistry = await startRegistry({ users: { [USER]: PASSWORD }, tls: true })
  ids.cache = await makeImage('podman', `${SOURCE_PATH}/apim-le-cache:v6.0.0`)
  ids.toolkit = await makeImage('podman', `${SOURCE_PATH}/apim-le-toolkit:v6.0.0`)
  ids.configui = await makeImage('podman', `${SOURCE_PATH}/apim-le-configui:v6.1.0-rc.1`)
})

afterAll(async () => {
  for (const ref of [
    'apim-le-cache:v6.0.0',
    'apim-le-toolkit:v6.0.0',
    'apim-le-configui:v6.1.0-rc.1'
  ]) {
    await removeImage('podman', `${SOURCE_PATH}/${ref}`)
  }
  await Promise.all([registry?.stop(), tlsRegistry?.stop()])
  for (const created of jobs) created.dispose()
})

describe('podman push over plain HTTP with htpasswd auth', () => {
  test('pushes every image to every destination tag; outputs match the registry', async () => {
    const runner = job()
    const result = await runner.main(
      inputs(registry, {
        registry: `http://${registry.host}/${PROJECT}/`,
        images: 'apim-le-cache, apim-le-toolkit\napim-le-configui:v6.1.0-rc.1',
        'destination-tag': 'v6.0.0 stable'
      })
    )
    expect(result.stderr).toBe('')
    expectExit(result, 0)
    // The scheme and the trailing slash were dropped, and the user told so.
    expect(result.stdout).toMatch(/::warning::.*dropped the scheme "http:\/\/"/)
    expect(result.stdout).toMatch(/::warning::.*dropped the trailing "\/"/)

    const images = imagesOutput(result.outputs)
    expect(images).toHaveLength(6)
    for (const image of images) {
      expect(image.status).toBe('pushed')
      const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
      const manifest = await getManifest(registry, repo, tag, AUTH)
      expect(manifest?.digest).toBe(image.digest)
      const name = repo.split('/').pop() ?? ''
      expect(manifest?.configDigest).toBe(ids[name.replace('apim-le-', '')])
    }
    expect(images.map(image => image.destination).sort()).toEqual(
      ['cache', 'toolkit', 'configui']
        .flatMap(name =>
          ['v6.0.0', 'stable'].map(tag => `${registry.host}/${PROJECT}/apim-le-${name}:${tag}`)
        )
        .sort()
    )
    expect(images.find(image => image.destination.includes('configui'))?.source).toBe(
      `${SOURCE_PATH}/apim-le-configui:v6.1.0-rc.1`
    )
    expect(await listTags(registry, `${PROJECT}/apim-le-cache`, AUTH)).toEqual(['stable', 'v6.0.0'])

    expect(result.outputs.refs.split('\n')).toEqual(
      images.map(image => `${image.destination}@${image.digest}`)
    )
    expect(JSON.parse(result.outputs.charts)).toEqual([])
    expect(result.stdout).toContain('6 pushed, 0 unchanged, 0 skipped, 0 failed')
    expect(result.stdout).toMatch(/::group::pushed .*apim-le-cache:v6.0.0 \(\d\/6/)
    expect(result.summary).toContain('<table>')
    expect(result.summary).toContain(`${registry.host}/${PROJECT}/apim-le-toolkit:stable`)
    expect(result.summary).toContain('6 pushed, 0 unchanged, 0 skipped, 0 failed')

    // The private directory is gone once the step ends.
    expect(tempLeftovers(runner.runnerTemp)).toEqual([])
    expect(runner.state().privateDir).toMatch(/harbor-push-/)
  })

  test('a missing source image fails the step before anything is pushed', async () => {
    const result = await job().main(
      inputs(registry, {
        registry: `${registry.host}/missing-test`,
        images: 'apim-le-cache apim-le-nope'
      })
    )
    expect(result.code).not.toBe(0)
    expect(result.stdout).toContain(
      `"${SOURCE_PATH}/apim-le-nope:v6.0.0" not in local podman storage; check the source tag / path (\`podman images\`)`
    )
    // The good image was not pushed either: validation comes first.
    expect(await listTags(registry, 'missing-test/apim-le-cache', AUTH)).toEqual([])
  })

  test('a wrong secret fails at login with the Harbor advice, and is not printed', async () => {
    const wrong = `wrong-${crypto.randomBytes(8).toString('hex')}`
    const result = await job().main(
      inputs(registry, {
        registry: `${registry.host}/wrong-secret`,
        images: 'apim-le-cache',
        password: wrong
      })
    )
    expect(result.code).not.toBe(0)
    expect(result.stdout).toMatch(
      /::error::login to "127\.0\.0\.1:\d+" rejected for user "robot\$catalog-apps-org-proj\+ci": use the CLI secret from the Harbor user profile \(not the SSO password\); robot account names start with robot\$/
    )
    const printed = result.stdout.replace(/::add-mask::.*\n/g, '') + result.stderr
    expect(printed).not.toContain(wrong)
    expect(await listTags(registry, 'wrong-secret/apim-le-cache', AUTH)).toEqual([])
  })

  test('bad input fails before any tool runs, naming the value and the fix', async () => {
    const shims = makeShims(['podman'])
    try {
      const result = await job({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` }).main(
        inputs(registry, { images: 'apim-le-cache', 'destination-tag': 'v1 -bad' })
      )
      expect(result.code).not.toBe(0)
      expect(result.stdout).toContain(
        '::error::Invalid input: destination-tag "-bad" is not a valid tag: it begins with "." or "-"'
      )
      expect(shims.calls()).toEqual([])
    } finally {
      shims.dispose()
    }
  })

  test('without username and password it relies on the existing login and says so', async () => {
    const open = await startRegistry()
    try {
      const result = await job().main({
        ...inputs(open, { images: 'apim-le-toolkit' }),
        username: '',
        password: ''
      })
      expectExit(result, 0)
      expect(result.stdout).toContain(`relying on the existing podman login for ${open.host}`)
      const [image] = imagesOutput(result.outputs)
      expect((await getManifest(open, `${PROJECT}/apim-le-toolkit`, 'v6.0.0'))?.digest).toBe(
        image.digest
      )
    } finally {
      await open.stop()
    }
  })
})

describe('podman push over TLS with a self-signed certificate', () => {
  test('verifying TLS without the CA fails with the ca-file / tls-verify hint', async () => {
    const result = await job().main(
      inputs(tlsRegistry, { images: 'apim-le-cache', 'tls-verify': 'true' })
    )
    expect(result.code).not.toBe(0)
    expect(result.stdout).toMatch(
      /::error::the TLS certificate of "127\.0\.0\.1:\d+" is not trusted: set ca-file to the registry's CA bundle \(PEM\), or tls-verify: false \(.*(self-signed certificate|x509: certificate signed by unknown authority)/
    )
  })

  test.each([
    ['tls-verify: false', { 'tls-verify': 'false' }, 'apim-le-cache'],
    ['ca-file', { 'tls-verify': 'true', 'ca-file': '<ca>' }, 'apim-le-toolkit']
  ])('pushes with %s', async (_label, extra, image) => {
    const caFile = tlsRegistry.caFile ?? ''
    const settings = Object.fromEntries(
      Object.entries(extra).map(([key, value]) => [key, value === '<ca>' ? caFile : value])
    )
    const runner = job()
    const result = await runner.main(inputs(tlsRegistry, { images: image, ...settings }))
    expectExit(result, 0)
    const [pushed] = imagesOutput(result.outputs)
    const manifest = await getManifest(tlsRegistry, `${PROJECT}/${image}`, 'v6.0.0', AUTH)
    expect(manifest?.digest).toBe(pushed.digest)
    expect(tempLeftovers(runner.runnerTemp)).toEqual([])
  })
})

describe('secret hygiene', () => {
  let shims: Shims
  beforeAll(() => {
    shims = makeShims(['podman'])
  })
  afterAll(() => shims.dispose())

  test('the secret is in no argv, log, output or leftover file; the user login files are untouched', async () => {
    const runner = job({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
    // The user's own logins, deliberately wrong for this registry: they must not be used or changed.
    const stale = Buffer.from(`${USER}:stale-password`).toString('base64')
    const userFiles = {
      docker: path.join(runner.home, '.docker/config.json'),
      podman: path.join(runner.home, '.config/containers/auth.json')
    }
    for (const file of Object.values(userFiles)) {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, JSON.stringify({ auths: { [registry.host]: { auth: stale } } }))
    }
    const before = Object.values(userFiles).map(file => fs.readFileSync(file, 'utf8'))

    const result = await runner.main(
      inputs(registry, { registry: `${registry.host}/hygiene`, images: 'apim-le-cache' })
    )
    expectExit(result, 0)
    expect(imagesOutput(result.outputs)[0].status).toBe('pushed')

    const calls = shims.calls()
    expect(
      calls.some(call => call.startsWith('podman login') && call.includes('--password-stdin'))
    ).toBe(true)
    expect(calls.some(call => call.startsWith('podman push'))).toBe(true)
    for (const secret of SECRET_FORMS) {
      expect(calls.join('\n')).not.toContain(secret)
      // The runner masks what follows ::add-mask::; nothing else may show the secret.
      expect(result.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain(secret)
      expect(result.stderr).not.toContain(secret)
      expect(JSON.stringify(result.outputs)).not.toContain(secret)
      expect(result.summary).not.toContain(secret)
    }
    expect(result.stdout).toContain(`::add-mask::${PASSWORD}`)
    expect(result.stdout).toContain(`::add-mask::${SECRET_FORMS[1]}`)
    expect(filesContaining(runner.root, SECRET_FORMS)).toEqual([])
    // podman's own default auth file (root: /run/containers/0/auth.json) was not used either.
    expect(filesContaining('/run/containers', SECRET_FORMS)).toEqual([])
    expect(Object.values(userFiles).map(file => fs.readFileSync(file, 'utf8'))).toEqual(before)
  })

  test('a main step killed after login leaves credentials that the post step removes', async () => {
    const runner = job({ PATH: `${shims.dir}:${process.env.PATH ?? ''}`, HP_SHIM_HANG_ON: 'push' })
    const step = runner.start(
      inputs(registry, { registry: `${registry.host}/killed`, images: 'apim-le-cache' })
    )
    const deadline = Date.now() + 60_000
    while (
      !shims.calls().some(call => call.startsWith('podman push') && call.includes('/killed/'))
    ) {
      if (Date.now() > deadline) throw new Error(`the push never started:\n${step.output()}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    await step.kill()
    // What a dead step leaves: the private directory with the login in it.
    const privateDir = runner.state().privateDir
    expect(fs.existsSync(path.join(privateDir, 'podman-auth.json'))).toBe(true)
    expect(fs.statSync(privateDir).mode & 0o777).toBe(0o700)
    expect(filesContaining(runner.runnerTemp, SECRET_FORMS)).toEqual([
      path.join(privateDir, 'podman-auth.json')
    ])

    const post = await runner.post()
    expectExit(post, 0)
    expect(fs.existsSync(privateDir)).toBe(false)
    expect(filesContaining(runner.root, SECRET_FORMS)).toEqual([])
  })
})
