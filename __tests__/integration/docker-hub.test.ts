/**
 * Docker Hub's names with real parts, and no network:
 *
 * - A base image "from Docker Hub" mirrored into a registry by the bundled
 *   command: `docker://docker.io/alpine:3.20` is read from
 *   `registry-1.docker.io` as `library/alpine` (a rig registry behind a TLS
 *   front with that name, reached through HTTPS_PROXY; rig/docker-hub.ts),
 *   checked against the certificate for that name, copied byte for byte,
 *   and reported as written.
 * - keep-login for `registry: docker.io`: the files are read by the real
 *   clients that can look a login up without a network: docker (its
 *   `login` says which stored login it found before it asks the daemon),
 *   podman and skopeo (`login --get-login`), helm 3 (`registry logout`
 *   finds the entry, or says "not logged in").
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { CommandJob, expectStatus, jsonReport } from '../../rig/cli.js'
import { type DockerHubStandIn, startDockerHubStandIn } from '../../rig/docker-hub.js'
import { helmBinary } from '../../rig/helm.js'
import { pushManifestList } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { requireTool, run } from '../../rig/tools.js'
import { writeKeptLogin } from '../../src/credentials/kept-login.js'

const ARCHES = ['amd64', 'arm64']

describe('docker://docker.io/alpine:3.20, mirrored into a registry', () => {
  /** Docker Hub's content: library/alpine:3.20, behind the stand-in. */
  let hub: Registry
  let destination: Registry
  let standIn: DockerHubStandIn
  let caBundle: string
  let digest: string
  const jobs: CommandJob[] = []

  beforeAll(async () => {
    ;[hub, destination] = await Promise.all([startRegistry(), startRegistry({ tls: true })])
    await pushManifestList(`${hub.host}/library/alpine:3.20`, ARCHES)
    digest = (await getManifest(hub, 'library/alpine', '3.20'))?.digest ?? ''
    expect(digest).toMatch(/^sha256:/)
    standIn = await startDockerHubStandIn(hub)
    // One bundle for both: the destination's certificate and the one naming registry-1.docker.io.
    caBundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hp-hub-ca-')), 'ca.pem')
    fs.writeFileSync(
      caBundle,
      [destination.caFile ?? '', standIn.certFile]
        .map(file => fs.readFileSync(file, 'utf8'))
        .join('')
    )
  })

  afterAll(async () => {
    await standIn?.stop()
    await Promise.all([hub?.stop(), destination?.stop()])
    if (caBundle) fs.rmSync(path.dirname(caBundle), { recursive: true, force: true })
    for (const job of jobs) job.dispose()
  })

  test.each([
    ['docker://docker.io/alpine:3.20', '3.20'],
    [`docker://index.docker.io/library/alpine@DIGEST`, 'pinned']
  ])(
    '%s: read from registry-1.docker.io as library/alpine, reported as written',
    async (written, tag) => {
      const entry = written.replace('DIGEST', digest)
      const asked = standIn.asked.length
      const served = standIn.served.length
      const cli = new CommandJob()
      jobs.push(cli)
      const result = await cli.run(
        [
          '-r',
          `${destination.host}/mirror`,
          '-i',
          entry,
          '-d',
          tag,
          '--ca-file',
          caBundle,
          '--json'
        ],
        { env: { HTTPS_PROXY: standIn.proxyUrl, HTTP_PROXY: standIn.proxyUrl, NO_PROXY: '' } }
      )
      expectStatus(result, 0)
      expect(jsonReport(result).images).toEqual([
        {
          source: entry,
          destination: `${destination.host}/mirror/alpine:${tag}`,
          digest,
          status: 'pushed',
          platforms: ARCHES.map(arch => `linux/${arch}`)
        }
      ])
      expect(result.stderr).toContain(`Source ${entry}: ${digest}`)
      expect((await getManifest(destination, 'mirror/alpine', tag))?.digest).toBe(digest)

      // Every request went to registry-1.docker.io, under library/.
      const destinations = standIn.asked.slice(asked)
      expect(destinations).toContain('CONNECT registry-1.docker.io:443')
      for (const line of destinations)
        expect(line).toMatch(/ (http:\/\/)?registry-1\.docker\.io[:/]/)
      const paths = standIn.served.slice(served)
      expect(paths).toContain(
        `HEAD /v2/library/alpine/manifests/${entry.endsWith(':3.20') ? '3.20' : digest}`
      )
      for (const line of paths) expect(line).toMatch(/^\w+ \/v2\/(library\/alpine\/.*)?$/)
    }
  )
})

describe('registry: docker.io/myorg, a docker:// source copied into it', () => {
  let hub: Registry
  let source: Registry
  let standIn: DockerHubStandIn
  let caBundle: string
  const jobs: CommandJob[] = []

  beforeAll(async () => {
    ;[hub, source] = await Promise.all([startRegistry(), startRegistry({ tls: true })])
    await pushManifestList(`${source.host}/build/app:v1`, ARCHES)
    standIn = await startDockerHubStandIn(hub)
    caBundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hp-hub-ca-')), 'ca.pem')
    fs.writeFileSync(
      caBundle,
      [source.caFile ?? '', standIn.certFile].map(file => fs.readFileSync(file, 'utf8')).join('')
    )
  })

  afterAll(async () => {
    await standIn?.stop()
    await Promise.all([hub?.stop(), source?.stop()])
    if (caBundle) fs.rmSync(path.dirname(caBundle), { recursive: true, force: true })
    for (const job of jobs) job.dispose()
  })

  test('the session and the copy talk to registry-1.docker.io; the report says docker.io/myorg/app:v1', async () => {
    const digest = (await getManifest(source, 'build/app', 'v1'))?.digest ?? ''
    const cli = new CommandJob()
    jobs.push(cli)
    const result = await cli.run(
      [
        '-r',
        'docker.io/myorg',
        '-i',
        `docker://${source.host}/build/app:v1`,
        '--ca-file',
        caBundle
      ],
      { env: { HTTPS_PROXY: standIn.proxyUrl, HTTP_PROXY: standIn.proxyUrl, NO_PROXY: '' } }
    )
    expectStatus(result, 0)
    // Logs and the summary name the destination as written.
    expect(result.stderr).toContain('pushed docker.io/myorg/app:v1')
    expect(result.stdout).toMatch(/ docker\.io\/myorg\/app:v1 +sha256:/)
    expect((await getManifest(hub, 'myorg/app', 'v1'))?.digest).toBe(digest)
    expect(standIn.asked).toContain('CONNECT registry-1.docker.io:443')
    for (const line of standIn.asked)
      expect(line).toMatch(/ (http:\/\/)?registry-1\.docker\.io[:/]/)
    expect(standIn.served).toContain('PUT /v2/myorg/app/manifests/v1')
    // Docker Hub counts manifest GETs against the pull rate limit, HEADs not: the tag is
    // asked about with a HEAD, and its absence needs no GET.
    expect(standIn.served).toContain('HEAD /v2/myorg/app/manifests/v1')
    expect(standIn.served).not.toContain('GET /v2/myorg/app/manifests/v1')
  })

  test('registry: docker.io with no namespace is an input error before any login; nothing is pushed', async () => {
    const cli = new CommandJob()
    jobs.push(cli)
    const served = standIn.served.length
    const result = await cli.run(
      ['-r', 'docker.io', '-i', `docker://${source.host}/build/app:v1`, '--ca-file', caBundle],
      { env: { HTTPS_PROXY: standIn.proxyUrl, HTTP_PROXY: standIn.proxyUrl, NO_PROXY: '' } }
    )
    expectStatus(result, 2)
    expect(result.stderr).toContain(
      'Docker Hub keeps every repository under a namespace (a user or an organisation): "app" names none'
    )
    expect(result.stderr).toContain('give the namespace in registry ("docker.io/<namespace>")')
    // Only the anonymous ping went out: no login, no push.
    expect(standIn.served.slice(served)).toEqual(['GET /v2/'])
  })
})

describe('keep-login with registry: docker.io, read by the real clients', () => {
  const USER = 'hubuser'
  const PASSWORD = `pat-${crypto.randomBytes(12).toString('hex')}`
  let dir: string
  let home: string
  let values: ReturnType<typeof writeKeptLogin>

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-hub-kept-'))
    fs.chmodSync(dir, 0o700)
    home = path.join(dir, 'home')
    fs.mkdirSync(home)
    values = writeKeptLogin(path.join(dir, 'kept'), 'docker.io', {
      username: USER,
      password: PASSWORD
    })
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  /** The clients' environment: the kept files only, no login of the machine's, no daemon. */
  const env = (): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_RUNTIME_DIR: home,
    DOCKER_CONFIG: values.DOCKER_CONFIG,
    DOCKER_HOST: `unix://${path.join(dir, 'no-daemon.sock')}`
  })

  test.each(['docker.io', 'index.docker.io', 'registry-1.docker.io'])(
    'docker finds the login for %s in DOCKER_CONFIG',
    async host => {
      const docker = requireTool('docker', 'apt-get install -y docker.io')
      // With no username given, docker login first looks the stored login up and names it
      // (docker/cli loginWithStoredCredentials), then asks the daemon, which is not there.
      const result = await run(docker, ['login', host], { env: env(), allowFailure: true })
      expect(`${result.stdout}${result.stderr}`).toContain(
        `Authenticating with existing credentials... [Username: ${USER}]`
      )
    }
  )

  test.each(['docker.io', 'index.docker.io', 'registry-1.docker.io'])(
    'podman and skopeo find the login for %s in REGISTRY_AUTH_FILE',
    async host => {
      for (const tool of ['podman', 'skopeo']) {
        const bin = requireTool(tool, `apt-get install -y ${tool}`)
        const result = await run(
          bin,
          ['login', '--get-login', '--authfile', values.REGISTRY_AUTH_FILE, host],
          { env: env() }
        )
        expect(result.stdout.trim()).toBe(USER)
      }
    }
  )

  test.each(['docker.io', 'index.docker.io', 'registry-1.docker.io'])(
    'helm 3 finds the login for %s in HELM_REGISTRY_CONFIG',
    async host => {
      // logout removes the entry it finds, so it gets a copy; oras-go v1 (helm 3.17) says
      // "not logged in" when the key it maps the host to is not there.
      const copy = path.join(dir, `helm-${host}.json`)
      fs.copyFileSync(values.HELM_REGISTRY_CONFIG, copy)
      const empty = path.join(dir, 'empty-docker')
      fs.mkdirSync(empty, { recursive: true })
      const result = await run(
        helmBinary(3),
        ['registry', 'logout', host, '--registry-config', copy],
        {
          env: { ...env(), DOCKER_CONFIG: empty },
          allowFailure: true
        }
      )
      expect(`${result.stdout}${result.stderr}`).toContain(`Removing login credentials for ${host}`)
      expect(JSON.parse(fs.readFileSync(copy, 'utf8'))).toEqual({ auths: {} })
    }
  )
})
