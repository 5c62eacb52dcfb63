/**
 * The bundled action end to end with a real docker engine (a private dockerd)
 * against a real registry with htpasswd auth; results read back from the
 * registry's API.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import {
  RunnerJob,
  expectExit,
  filesContaining,
  imagesOutput,
  tempLeftovers
} from '../../rig/action.js'
import { type Dockerd, startDockerd } from '../../rig/dockerd.js'
import { type Harbor, startHarbor } from '../../rig/harbor.js'
import { makeImage } from '../../rig/images.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'
import { run, waitFor } from '../../rig/tools.js'

const USER = 'release-engineer'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const AUTH = { username: USER, password: PASSWORD }
const SECRET_FORMS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]
const PROJECT = 'catalog-apps-org-proj'

let dockerd: Dockerd
let registry: Registry
let tlsRegistry: Registry
let harbor: Harbor
let shims: Shims
const ids: Record<string, string> = {}
const jobs: RunnerJob[] = []

function job(env: Record<string, string> = {}): RunnerJob {
  const created = new RunnerJob({
    ...dockerd.env,
    PATH: `${shims.dir}:${process.env.PATH ?? ''}`,
    ...env
  })
  jobs.push(created)
  return created
}

function inputs(reg: Registry, extra: Record<string, string> = {}): Record<string, string> {
  return {
    registry: `${reg.host}/${PROJECT}`,
    username: USER,
    password: PASSWORD,
    'container-tool': 'docker',
    'source-path': 'apim',
    'source-tag': 'v6.0.0',
    ...extra
  }
}

async function localTagExists(ref: string): Promise<boolean> {
  const result = await run('docker', ['image', 'inspect', ref], {
    env: dockerd.env,
    allowFailure: true
  })
  return result.code === 0
}

/** Manifest requests (`HEAD` or `GET`) in the registry's access log since `from` (a length of its log). */
function manifestReads(from: number, method: string): number {
  return registry
    .logs()
    .slice(from)
    .split('\n')
    .filter(line => new RegExp(`"${method} /v2/\\S+/manifests/`).test(line)).length
}

beforeAll(async () => {
  ;[dockerd, registry, tlsRegistry, harbor] = await Promise.all([
    startDockerd(),
    startRegistry({ users: { [USER]: PASSWORD } }),
    startRegistry({ users: { [USER]: PASSWORD }, tls: true }),
    startHarbor({
      users: { [USER]: { password: PASSWORD, roles: { [PROJECT]: 'developer' } } },
      projects: { [PROJECT]: { contentTrust: 'notation' } }
    })
  ])
  shims = makeShims(['docker'])
  ids.cache = await makeImage('docker', 'apim/apim-le-cache:v6.0.0', { env: dockerd.env })
  ids.toolkit = await makeImage('docker', 'apim/apim-le-toolkit:v6.0.0', { env: dockerd.env })
})

afterAll(async () => {
  await Promise.all([dockerd?.stop(), registry?.stop(), tlsRegistry?.stop(), harbor?.stop()])
  shims?.dispose()
  for (const created of jobs) created.dispose()
})

describe('docker push with htpasswd auth', () => {
  test('pushes every image and tag with a private login; secrets and user files untouched', async () => {
    const runner = job()
    const userConfig = path.join(runner.home, '.docker/config.json')
    fs.mkdirSync(path.dirname(userConfig), { recursive: true })
    const stale = JSON.stringify({
      auths: { [registry.host]: { auth: Buffer.from(`${USER}:stale`).toString('base64') } }
    })
    fs.writeFileSync(userConfig, stale)

    const result = await runner.main(
      inputs(registry, {
        images: 'apim-le-cache apim-le-toolkit',
        'destination-tag': 'v6.0.0,stable'
      })
    )
    expect(result.stderr).toBe('')
    expectExit(result, 0)
    const images = imagesOutput(result.outputs)
    expect(images).toHaveLength(4)
    for (const image of images) {
      expect(image.status).toBe('pushed')
      const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
      const manifest = await getManifest(registry, repo, tag, AUTH)
      expect(manifest?.digest).toBe(image.digest)
      expect(manifest?.configDigest).toBe(ids[repo.replace(`${PROJECT}/apim-le-`, '')])
      // The destination tag docker needed for the push is gone again.
      expect(await localTagExists(image.destination)).toBe(false)
    }
    expect(await listTags(registry, `${PROJECT}/apim-le-toolkit`, AUTH)).toEqual([
      'stable',
      'v6.0.0'
    ])
    expect(result.stdout).toContain('4 pushed, 0 unchanged, 0 skipped, 0 failed')

    const calls = shims.calls()
    expect(calls).toContainEqual(
      `docker login --username ${USER} --password-stdin ${registry.host}`
    )
    for (const secret of SECRET_FORMS) {
      expect(calls.join('\n')).not.toContain(secret)
      expect(result.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain(secret)
      expect(JSON.stringify(result.outputs) + result.summary).not.toContain(secret)
    }
    expect(filesContaining(runner.root, SECRET_FORMS)).toEqual([])
    expect(fs.readFileSync(userConfig, 'utf8')).toBe(stale)
    expect(tempLeftovers(runner.runnerTemp)).toEqual([])
  })

  test('a re-run finds every tag holding the image (config digest = image ID): unchanged, nothing pushed', async () => {
    const callsBefore = shims.calls().length
    const logsBefore = registry.logs().length
    const result = await job().main(
      inputs(registry, {
        images: 'apim-le-cache apim-le-toolkit',
        'destination-tag': 'v6.0.0,stable'
      })
    )
    expectExit(result, 0)
    expect(result.stdout).toContain('0 pushed, 4 unchanged, 0 skipped, 0 failed')
    const calls = shims.calls().slice(callsBefore)
    expect(calls.filter(call => /^docker (push|tag|login)/.test(call))).toEqual([])
    // The step's own destination tags are gone, and docker forgot the pushed
    // digests with them: each tag's manifest is read to compare its config.
    // Read at once, with no HEAD first: no record could spare the read.
    await waitFor(() => manifestReads(logsBefore, 'GET') >= 4, 5_000)
    expect(manifestReads(logsBefore, 'HEAD')).toBe(0)
    expect(manifestReads(logsBefore, 'GET')).toBe(4)
    for (const image of imagesOutput(result.outputs)) {
      expect(image.status).toBe('unchanged')
      const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
      expect((await getManifest(registry, repo, tag, AUTH))?.digest).toBe(image.digest)
    }
  })

  test('an image built under its destination name: a re-run tells it by the HEAD digest docker recorded, reading no manifest', async () => {
    const destination = `${registry.host}/${PROJECT}/apim-le-built`
    const id = await makeImage('docker', `${destination}:v6.0.0`, { env: dockerd.env })
    const pushInputs = inputs(registry, {
      'source-path': `${registry.host}/${PROJECT}`,
      images: 'apim-le-built'
    })
    const first = await job().main(pushInputs)
    expectExit(first, 0)
    const [pushed] = imagesOutput(first.outputs)
    expect(pushed.status).toBe('pushed')
    expect(
      (await getManifest(registry, `${PROJECT}/apim-le-built`, 'v6.0.0', AUTH))?.configDigest
    ).toBe(id)
    // docker keeps `repository@digest` of the push with the image (its RepoDigests).
    const recorded = await run(
      'docker',
      ['image', 'inspect', '--format', '{{json .RepoDigests}}', id],
      {
        env: dockerd.env
      }
    )
    expect(JSON.parse(recorded.stdout)).toContain(`${destination}@${pushed.digest}`)

    const logsBefore = registry.logs().length
    const again = await job().main(pushInputs)
    expectExit(again, 0)
    expect(again.stdout).toContain('0 pushed, 1 unchanged, 0 skipped, 0 failed')
    expect(imagesOutput(again.outputs)[0]).toMatchObject({
      status: 'unchanged',
      digest: pushed.digest
    })
    await waitFor(() => manifestReads(logsBefore, 'HEAD') >= 1, 5_000)
    expect(manifestReads(logsBefore, 'HEAD')).toBe(1)
    // No GET: in Harbor a manifest GET is a pull in the audit log.
    expect(manifestReads(logsBefore, 'GET')).toBe(0)
  })

  test('a wrong secret is rejected at login with the Harbor advice', async () => {
    const result = await job().main(
      inputs(registry, {
        registry: `${registry.host}/wrong`,
        images: 'apim-le-cache',
        password: 'nope-nope'
      })
    )
    expect(result.code).not.toBe(0)
    expect(result.stdout).toMatch(
      /::error::login to "127\.0\.0\.1:\d+" rejected for user "release-engineer": use the CLI secret from the Harbor user profile/
    )
    expect(await listTags(registry, 'wrong/apim-le-cache', AUTH)).toEqual([])
  })

  test('a missing source image names the docker storage and nothing is pushed', async () => {
    const result = await job().main(
      inputs(registry, {
        registry: `${registry.host}/missing`,
        images: 'apim-le-toolkit apim-le-cache:v9'
      })
    )
    expect(result.code).not.toBe(0)
    expect(result.stdout).toContain(
      '"apim/apim-le-cache:v9" not in local docker storage; check the source tag / path (`docker images`)'
    )
    expect(await listTags(registry, 'missing/apim-le-toolkit', AUTH)).toEqual([])
  })

  test('tls-verify: false goes on for a registry the daemon treats as insecure (127.0.0.0/8)', async () => {
    const result = await job().main(
      inputs(registry, {
        registry: `${registry.host}/insecure`,
        images: 'apim-le-cache',
        'tls-verify': 'false'
      })
    )
    expectExit(result, 0)
    const [image] = imagesOutput(result.outputs)
    expect((await getManifest(registry, 'insecure/apim-le-cache', 'v6.0.0', AUTH))?.digest).toBe(
      image.digest
    )
  })

  test('ca-file is placed in the daemon certs.d for the step and removed after it', async () => {
    const certsDir = `/etc/docker/certs.d/${tlsRegistry.host}`
    const result = await job().main(
      inputs(tlsRegistry, { images: 'apim-le-toolkit', 'ca-file': tlsRegistry.caFile ?? '' })
    )
    expectExit(result, 0)
    const [image] = imagesOutput(result.outputs)
    expect(
      (await getManifest(tlsRegistry, `${PROJECT}/apim-le-toolkit`, 'v6.0.0', AUTH))?.digest
    ).toBe(image.digest)
    expect(fs.existsSync(certsDir)).toBe(false)
  })

  // The daemon treats all of 127.0.0.0/8 as insecure, so this rig cannot show the
  // daemon rejecting an untrusted certificate; it shows the CA's placement and removal.
  test('a step killed mid-push leaves its CA file and login to the post step, which removes both', async () => {
    const certsDir = `/etc/docker/certs.d/${tlsRegistry.host}`
    const runner = job({ HP_SHIM_HANG_ON: 'push' })
    const callsBefore = shims.calls().length
    const step = runner.start(
      inputs(tlsRegistry, { images: 'apim-le-cache', 'ca-file': tlsRegistry.caFile ?? '' })
    )
    const deadline = Date.now() + 60_000
    const pushing = (): boolean =>
      shims
        .calls()
        .slice(callsBefore)
        .some(call => call.startsWith(`docker push ${tlsRegistry.host}`))
    while (!pushing()) {
      if (Date.now() > deadline) throw new Error(`the push never started:\n${step.output()}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const placed = fs.readdirSync(certsDir)
    expect(placed).toEqual([expect.stringMatching(/^harbor-push-.*\.crt$/)])
    expect(fs.readFileSync(path.join(certsDir, placed[0]), 'utf8')).toBe(
      fs.readFileSync(tlsRegistry.caFile ?? '', 'utf8')
    )
    await step.kill()
    const privateDir = runner.state().privateDir
    expect(filesContaining(privateDir, SECRET_FORMS)).toEqual([
      path.join(privateDir, 'docker/config.json')
    ])

    expectExit(await runner.post(), 0)
    expect(fs.existsSync(certsDir)).toBe(false)
    expect(fs.existsSync(privateDir)).toBe(false)
    // The temporary destination tag of the killed push is gone too.
    expect(await localTagExists(`${tlsRegistry.host}/${PROJECT}/apim-le-cache:v6.0.0`)).toBe(false)
    expect(await localTagExists('apim/apim-le-cache:v6.0.0')).toBe(true)
  })

  test('ca-file: a certs.d the step created keeps what another job put there meanwhile', async () => {
    // The steps see an /etc/docker of their own (a bind mount in a private
    // mount namespace) that has no certs.d: the step creates it. The
    // machine's own /etc/docker is never touched (docker-registry's package
    // keeps its config there, so the mount point exists). bash, not sh: sh
    // drops the runner's INPUT_SOURCE-TAG and the like (names with "-").
    expect(fs.existsSync('/etc/docker')).toBe(true)
    const etcDocker = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-etc-docker-'))
    const certsD = path.join(etcDocker, 'certs.d')
    const runner = new RunnerJob(
      { ...dockerd.env, PATH: `${shims.dir}:${process.env.PATH ?? ''}`, HP_SHIM_HANG_ON: 'push' },
      [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'bash',
        '-c',
        'mount --bind "$0" /etc/docker && exec "$@"',
        etcDocker
      ]
    )
    jobs.push(runner)
    const callsBefore = shims.calls().length
    const step = runner.start(
      inputs(tlsRegistry, {
        registry: `${tlsRegistry.host}/certs-d`,
        images: 'apim-le-toolkit',
        'ca-file': tlsRegistry.caFile ?? ''
      })
    )
    try {
      const pushing = (): boolean =>
        shims
          .calls()
          .slice(callsBefore)
          .some(call => call.startsWith(`docker push ${tlsRegistry.host}/certs-d/`))
      if (!(await waitFor(pushing, 60_000))) throw new Error(`no push:\n${step.output()}`)
      expect(fs.readdirSync(path.join(certsD, tlsRegistry.host))).toEqual([
        expect.stringMatching(/^harbor-push-.*\.crt$/)
      ])
      // Another job trusts another registry meanwhile.
      const otherCa = path.join(certsD, 'registry.other.example:5000', 'ca.crt')
      fs.mkdirSync(path.dirname(otherCa))
      fs.writeFileSync(otherCa, 'the other job CA')

      await step.kill()
      expectExit(await runner.post(), 0)
      expect(fs.readdirSync(certsD)).toEqual(['registry.other.example:5000'])
      expect(fs.readFileSync(otherCa, 'utf8')).toBe('the other job CA')
    } finally {
      fs.rmSync(etcDocker, { recursive: true, force: true })
    }
  })
})

describe('docker and a Harbor project with content trust', () => {
  test('pushed, with the digest docker reported and the policy quoted; never immutable', async () => {
    // The engine treats 127.0.0.0/8 as insecure: plain HTTP to the test Harbor works as it is.
    const result = await job().main({
      ...inputs(registry),
      registry: `${harbor.host}/${PROJECT}`,
      images: 'apim-le-cache'
    })
    expectExit(result, 0)
    const [image] = imagesOutput(result.outputs)
    expect(image.status).toBe('pushed')
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect((await getManifest(harbor.registry, `${PROJECT}/apim-le-cache`, 'v6.0.0'))?.digest).toBe(
      image.digest
    )
    expect(result.stdout).toContain(
      "the project's pull policy keeps it from being read back (PROJECTPOLICYVIOLATION: The image is not signed by notation.)"
    )
    expect(result.stdout).not.toMatch(/immutable/i)
  })
})
