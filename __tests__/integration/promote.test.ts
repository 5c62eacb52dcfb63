/**
 * Registry sources (`docker://`), with the bundled action and command: a
 * multi-platform index built with buildah and pushed by podman to a staging
 * project of the test Harbor and to a plain registry; promoted within the
 * Harbor (blobs mounted: the front sees no upload bytes) and copied between
 * the registries with a login of their own (blobs streamed); the
 * destination digest is the source's, the index whole. The preflight stops
 * a missing source, a wrong source secret and an account that may not pull
 * before anything is pushed; a re-run is unchanged; the source secret is
 * printed, passed and written nowhere.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import {
  RunnerJob,
  type StepResult,
  expectExit,
  filesContaining,
  imagesOutput,
  tempLeftovers
} from '../../rig/action.js'
import { CommandJob, expectStatus, jsonReport } from '../../rig/cli.js'
import { type Harbor, type HarborRequest, startHarbor } from '../../rig/harbor.js'
import { makeImage, pushManifestList, removeImage, toolPath } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'

const secret = (): string => `s-${crypto.randomBytes(10).toString('hex')}`
/** Developer in staging and release: builds land in staging, releases are promoted to release. */
const CI = { username: 'ci', password: secret() }
/** Developer in release only: may push the release, may not pull staging. */
const OUTSIDER = { username: 'outsider', password: secret() }
/** The plain registry's pull account: the source login between registries. */
const PULLER = { username: 'puller', password: secret() }
const ARCHES = ['amd64', 'arm64']
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json'
]
const LOCAL = `localhost/hp-promote-${crypto.randomBytes(4).toString('hex')}/local:v1`

let harbor: Harbor
let other: Registry
let shims: Shims
/** The index digest in staging (Harbor) and in the plain registry. */
const sourceDigest = { staging: '', other: '' }
const jobs: { dispose(): void }[] = []

beforeAll(async () => {
  ;[harbor, other] = await Promise.all([
    startHarbor({
      users: {
        [CI.username]: {
          password: CI.password,
          roles: { staging: 'developer', release: 'developer' }
        },
        [OUTSIDER.username]: { password: OUTSIDER.password, roles: { release: 'developer' } }
      },
      projects: { staging: {}, release: {} }
    }),
    startRegistry({ users: { [PULLER.username]: PULLER.password } })
  ])
  await Promise.all([
    pushManifestList(`${harbor.host}/staging/app:v1`, ARCHES, CI),
    pushManifestList(`${other.host}/build/app:v1`, ARCHES, PULLER),
    makeImage('podman', LOCAL)
  ])
  sourceDigest.staging = (await getManifest(harbor.registry, 'staging/app', 'v1'))?.digest ?? ''
  sourceDigest.other = (await getManifest(other, 'build/app', 'v1', PULLER))?.digest ?? ''
  expect(sourceDigest.staging).toMatch(/^sha256:/)
  shims = makeShims(['podman', 'docker', 'skopeo'])
})

afterAll(async () => {
  await removeImage('podman', LOCAL)
  await Promise.all([harbor?.stop(), other?.stop()])
  shims?.dispose()
  for (const job of jobs) job.dispose()
})

/** What the Harbor front saw of blob uploads while `step` ran. */
async function watched<T>(step: () => Promise<T>): Promise<{
  result: T
  mounted: HarborRequest[]
  uploadedBytes: number
  uploads: HarborRequest[]
  manifestPuts: HarborRequest[]
}> {
  const before = harbor.requests.length
  const result = await step()
  const seen = harbor.requests.slice(before)
  const uploads = seen.filter(
    request => /\/blobs\/uploads\//.test(request.path) && ['PUT', 'PATCH'].includes(request.method)
  )
  return {
    result,
    mounted: seen.filter(request => request.mountFrom && request.status === 201),
    uploads,
    uploadedBytes: uploads.reduce((sum, request) => sum + request.bytes, 0),
    manifestPuts: seen.filter(
      request => request.method === 'PUT' && /\/manifests\//.test(request.path)
    )
  }
}

function action(env: Record<string, string> = {}): RunnerJob {
  const job = new RunnerJob({ PATH: `${shims.dir}:${process.env.PATH ?? ''}`, ...env })
  jobs.push(job)
  return job
}

async function promote(
  inputs: Record<string, string>,
  job = action()
): Promise<StepResult & { job: RunnerJob }> {
  const result = await job.main({
    registry: `${harbor.host}/release`,
    ...CI,
    'tls-verify': 'false',
    ...inputs
  })
  return { ...result, job }
}

/** The destination tag as the registry behind the front holds it. */
async function landed(repository: string, tag: string) {
  const manifest = await getManifest(harbor.registry, repository, tag)
  if (!manifest) throw new Error(`${repository}:${tag} is not in the registry`)
  const platforms = (
    manifest.body as { manifests?: { platform: { architecture: string } }[] }
  ).manifests
    ?.map(entry => entry.platform.architecture)
    .sort()
  return { ...manifest, platforms }
}

describe('promotion within one registry (staging -> release of the test Harbor)', () => {
  test('blobs are mounted, no byte is uploaded; the index lands whole, with the source digest; a re-run is unchanged', async () => {
    const first = await watched(() =>
      promote({ images: `docker://${harbor.host}/staging/app:v1`, 'destination-tag': '1.0' })
    )
    expectExit(first.result, 0)
    // Two platforms: two configs and two layers, each mounted from staging/app.
    expect(first.mounted).toHaveLength(4)
    expect(new Set(first.mounted.map(request => request.mountFrom))).toEqual(
      new Set(['staging/app'])
    )
    expect(first.uploads).toEqual([])
    expect(first.uploadedBytes).toBe(0)
    expect(first.result.stdout).toContain('4 blobs mounted, 0 bytes uploaded')

    const [image] = imagesOutput(first.result.outputs) as (ReturnType<
      typeof imagesOutput
    >[number] & { platforms?: string[] })[]
    expect(image).toMatchObject({
      source: `docker://${harbor.host}/staging/app:v1`,
      destination: `${harbor.host}/release/app:1.0`,
      digest: sourceDigest.staging,
      status: 'pushed',
      platforms: ['linux/amd64', 'linux/arm64']
    })
    const held = await landed('release/app', '1.0')
    expect(held.digest).toBe(sourceDigest.staging)
    expect(INDEX_TYPES).toContain(held.mediaType)
    expect(held.platforms).toEqual(ARCHES)
    // The summary says what moved.
    expect(first.result.summary).toContain('4 blobs mounted, 0 bytes uploaded')
    // No container tool was started.
    expect(shims.calls()).toEqual([])

    const again = await watched(() =>
      promote({ images: `docker://${harbor.host}/staging/app:v1`, 'destination-tag': '1.0' })
    )
    expectExit(again.result, 0)
    expect(again.result.stdout).toContain('0 pushed, 1 unchanged, 0 skipped, 0 failed')
    expect(imagesOutput(again.result.outputs)[0]).toMatchObject({
      status: 'unchanged',
      digest: sourceDigest.staging
    })
    expect([...again.mounted, ...again.uploads, ...again.manifestPuts]).toEqual([])
  })

  test('dry run: the source is checked and the plan printed; nothing is mounted, uploaded or tagged', async () => {
    const run = await watched(() =>
      promote({
        images: `docker://${harbor.host}/staging/app:v1`,
        'destination-tag': 'dry',
        'dry-run': 'true'
      })
    )
    expectExit(run.result, 0)
    expect(run.result.stdout).toMatch(/release\/app:dry: would push \(new tag\)/)
    expect(imagesOutput(run.result.outputs)[0]).toMatchObject({ status: 'skipped' })
    expect([...run.mounted, ...run.uploads, ...run.manifestPuts]).toEqual([])
  })

  test('by digest, to two tags: the same digest under both', async () => {
    const result = await promote({
      images: `web=docker://${harbor.host}/staging/app@${sourceDigest.staging}`,
      'destination-tag': 'r1 r2'
    })
    expectExit(result, 0)
    expect(imagesOutput(result.outputs).map(image => [image.destination, image.digest])).toEqual([
      [`${harbor.host}/release/web:r1`, sourceDigest.staging],
      [`${harbor.host}/release/web:r2`, sourceDigest.staging]
    ])
    expect((await landed('release/web', 'r2')).digest).toBe(sourceDigest.staging)
  })
})

describe('between two registries, with a source login of its own', () => {
  test('blobs stream from the plain registry into Harbor; the digest is kept; the bytes are counted', async () => {
    const run = await watched(() =>
      promote({
        images: `docker://${other.host}/build/app:v1`,
        'destination-tag': 'from-other',
        'source-username': PULLER.username,
        'source-password': PULLER.password
      })
    )
    expectExit(run.result, 0)
    expect(run.mounted).toEqual([])
    const reported = /(\d+) bytes uploaded \(4 blobs\)/.exec(run.result.stdout)
    expect(reported).not.toBeNull()
    // What the step says it moved is what reached the registry through the front.
    expect(Number(reported?.[1])).toBe(run.uploadedBytes)
    expect(run.uploadedBytes).toBeGreaterThan(2 * 4096)
    const held = await landed('release/app', 'from-other')
    expect(held.digest).toBe(sourceDigest.other)
    expect(held.platforms).toEqual(ARCHES)
  })
})

describe('the preflight covers the source, before anything is pushed', () => {
  test.each<[string, () => Record<string, string>, RegExp]>([
    [
      'a source tag that does not exist',
      () => ({ images: `docker://${harbor.host}/staging/app:v9` }),
      /::error::Invalid input: source "docker:\/\/127\.0\.0\.1:\d+\/staging\/app:v9" not found: .*check the tag/
    ],
    [
      'a wrong source secret',
      () => ({
        images: `docker://${other.host}/build/app:v1`,
        'source-username': PULLER.username,
        'source-password': 'not-the-secret'
      }),
      /::error::login to the source registry "127\.0\.0\.1:\d+" rejected for user "puller" .*check "source-username" and "source-password"/
    ],
    [
      'an account that may not pull the source',
      () => ({ images: `docker://${harbor.host}/staging/app:v1`, ...OUTSIDER }),
      /::error::user "outsider" may not pull "docker:\/\/127\.0\.0\.1:\d+\/staging\/app:v1" .*it needs pull on "staging\/app"/
    ],
    [
      'no source login for a registry that wants one',
      () => ({ images: `docker://${other.host}/build/app:v1` }),
      /::error::source "docker:\/\/127\.0\.0\.1:\d+\/build\/app:v1" may not be pulled anonymously: give "source-username" and "source-password"/
    ]
  ])(
    '%s: a clear error, and no upload, mount or manifest reached the registry',
    async (_label, inputs, message) => {
      const local = { images: `${LOCAL.replace(/^localhost\//, '')}`, 'source-path': 'localhost' }
      const tag = `bad-${crypto.randomBytes(3).toString('hex')}`
      const given = inputs()
      const run = await watched(() =>
        promote({
          ...given,
          // A local image beside it: nothing of it is pushed either.
          images: `${given.images}\n${local.images}`,
          'source-path': local['source-path'],
          'container-tool': 'podman',
          'destination-tag': tag
        })
      )
      expectExit(run.result, 1)
      expect(run.result.stdout).toMatch(message)
      expect([...run.mounted, ...run.uploads, ...run.manifestPuts]).toEqual([])
      // The destination tags were only read (HEAD), never written.
      expect(
        harbor.registryRequests.filter(line => line.includes(tag) && !/^(HEAD|GET) /.test(line))
      ).toEqual([])
    }
  )

  test('a wrong destination secret in a promotion is sent once, not once per client', async () => {
    const before = harbor.failedLogins.length
    const tokensBefore = harbor.tokenRequests.length
    const result = await promote({
      images: `docker://${harbor.host}/staging/app:v1`,
      'destination-tag': 'never',
      password: 'wrong-secret'
    })
    expectExit(result, 1)
    expect(result.stdout).toMatch(/::error::.*rejected/)
    expect(harbor.failedLogins.slice(before)).toEqual([{ name: 'ci', path: '/service/token' }])
    // The source is read with the destination's login: its check waits for the first answer
    // instead of sending the rejected secret again (Harbor's 1.5 s lock would hide a second
    // failure here; a registry without one would count it).
    expect(
      harbor.tokenRequests.slice(tokensBefore).filter(request => request.account === 'ci')
    ).toHaveLength(1)
  })
})

describe('the source secret leaks nowhere', () => {
  test('action: not in any tool argv or environment, the log, the outputs, or a file left behind', async () => {
    // podman behind a shim that records its argv and its environment, every call.
    const spy = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-promote-spy-'))
    const seenLog = path.join(spy, 'seen.log')
    fs.writeFileSync(
      path.join(spy, 'podman'),
      [
        '#!/bin/bash',
        `{ printf '%s\\0' "$@"; env -0; printf '\\0--end--\\0'; } >> '${seenLog}'`,
        `exec '${toolPath('podman')}' "$@"`,
        ''
      ].join('\n'),
      { mode: 0o755 }
    )
    jobs.push({ dispose: () => fs.rmSync(spy, { recursive: true, force: true }) })
    const job = action({ PATH: `${spy}:${shims.dir}:${process.env.PATH ?? ''}` })
    // A local image beside the registry source, so that tools do run (podman for it).
    const result = await promote(
      {
        images: `docker://${other.host}/build/app:v1\n${LOCAL.replace(/^localhost\//, '')}`,
        'source-path': 'localhost',
        'container-tool': 'podman',
        'destination-tag': 'hygiene',
        'source-username': PULLER.username,
        'source-password': PULLER.password
      },
      job
    )
    expectExit(result, 0)
    const forms = [PULLER.password, Buffer.from(`puller:${PULLER.password}`).toString('base64')]
    // Masked for the runner, first thing.
    const masks = result.stdout
      .split('\n')
      .filter(line => line.startsWith('::add-mask::'))
      .map(line => line.slice('::add-mask::'.length))
    expect(masks).toEqual(expect.arrayContaining(forms))
    const shown = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const form of forms) {
      expect(shown).not.toContain(form)
      expect(JSON.stringify(result.outputs)).not.toContain(form)
      expect(result.summary).not.toContain(form)
    }
    // podman ran (the local image is pushed), and never saw it in its argv or environment.
    const seen = fs.readFileSync(seenLog, 'utf8').split('\0--end--\0').filter(Boolean)
    expect(seen.some(call => call.startsWith('push\0'))).toBe(true)
    for (const form of forms) expect(seen.filter(call => call.includes(form))).toEqual([])
    expect(seen.filter(call => /INPUT_SOURCE-PASSWORD/.test(call))).toEqual([])
    // Nothing left in RUNNER_TEMP, no file of the job holds it.
    expect(tempLeftovers(job.runnerTemp)).toEqual([])
    expect(filesContaining(job.root, forms)).toEqual([])
  })
})

describe('the command', () => {
  test('HARBOR_SOURCE_PASSWORD: copies between registries, and never shows the secret', async () => {
    const cli = new CommandJob()
    jobs.push(cli)
    const result = await cli.run(
      [
        '-r',
        `${harbor.host}/release`,
        '-u',
        CI.username,
        '--password-stdin',
        '--source-username',
        PULLER.username,
        '-i',
        `docker://${other.host}/build/app:v1`,
        '-d',
        'cli',
        '-t',
        '--json'
      ],
      { stdin: CI.password, env: { HARBOR_SOURCE_PASSWORD: PULLER.password } }
    )
    expectStatus(result, 0)
    expect(jsonReport(result).images).toEqual([
      expect.objectContaining({
        destination: `${harbor.host}/release/app:cli`,
        digest: sourceDigest.other,
        status: 'pushed'
      })
    ])
    expect(result.stderr).toMatch(/\d+ bytes uploaded|blobs already there/)
    expect(`${result.stdout}${result.stderr}`).not.toContain(PULLER.password)
    expect((await landed('release/app', 'cli')).digest).toBe(sourceDigest.other)
  })

  test('a missing source is bad input: exit 2, nothing pushed', async () => {
    const cli = new CommandJob()
    jobs.push(cli)
    const run = await watched(() =>
      cli.run(
        [
          '-r',
          `${harbor.host}/release`,
          '-u',
          CI.username,
          '-i',
          `docker://${harbor.host}/staging/app:nope`,
          '-d',
          'cli-missing',
          '-t'
        ],
        { env: { HARBOR_PASSWORD: CI.password } }
      )
    )
    expect(run.result.code).toBe(2)
    expect(run.result.stderr).toContain('not found')
    expect([...run.mounted, ...run.uploads, ...run.manifestPuts]).toEqual([])
  })
})

describe('tls-verify and ca-file apply to the source registry too', () => {
  let secureHarbor: Harbor
  let secureSource: Registry
  const bundles = { both: '', harborOnly: '' }
  let dir: string

  beforeAll(async () => {
    ;[secureHarbor, secureSource] = await Promise.all([
      startHarbor({
        tls: true,
        users: { [CI.username]: { password: CI.password, roles: { release: 'developer' } } },
        projects: { release: {} }
      }),
      startRegistry({ users: { [PULLER.username]: PULLER.password }, tls: true })
    ])
    await pushManifestList(`${secureSource.host}/build/app:v1`, ARCHES, PULLER)
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-promote-ca-'))
    const pem = (file?: string): string => fs.readFileSync(file ?? '', 'utf8')
    bundles.both = path.join(dir, 'both.pem')
    bundles.harborOnly = path.join(dir, 'harbor.pem')
    fs.writeFileSync(bundles.both, `${pem(secureHarbor.caFile)}\n${pem(secureSource.caFile)}`)
    fs.writeFileSync(bundles.harborOnly, pem(secureHarbor.caFile))
  })

  afterAll(async () => {
    await Promise.all([secureHarbor?.stop(), secureSource?.stop()])
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })

  function secureStep(caFile: string) {
    const job = action()
    return job.main({
      registry: `${secureHarbor.host}/release`,
      ...CI,
      'ca-file': caFile,
      images: `docker://${secureSource.host}/build/app:v1`,
      'destination-tag': 'tls',
      'source-username': PULLER.username,
      'source-password': PULLER.password
    })
  }

  test('one ca-file with both CAs: both registries verified, the index copied with its digest', async () => {
    const result = await secureStep(bundles.both)
    expectExit(result, 0)
    const source = await getManifest(secureSource, 'build/app', 'v1', PULLER)
    expect(imagesOutput(result.outputs)[0]).toMatchObject({
      status: 'pushed',
      digest: source?.digest
    })
    expect((await getManifest(secureHarbor.registry, 'release/app', 'tls'))?.digest).toBe(
      source?.digest
    )
  })

  test("a ca-file without the source's CA: the source is named untrusted, and nothing is pushed", async () => {
    const before = secureHarbor.registryRequests.length
    const result = await secureStep(bundles.harborOnly)
    expectExit(result, 1)
    expect(result.stdout).toMatch(
      /::error::source "docker:\/\/127\.0\.0\.1:\d+\/build\/app:v1": the TLS certificate of "127\.0\.0\.1:\d+" is not trusted: set ca-file/
    )
    expect(
      secureHarbor.registryRequests.slice(before).filter(line => !/^(HEAD|GET) /.test(line))
    ).toEqual([])
  })
})
