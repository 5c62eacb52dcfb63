import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { InputError, PushError, ToolError } from '../../src/errors.js'
import type { TlsOptions } from '../../src/settings/tls.js'
import { LOCAL_IMAGE_FORMAT } from '../../src/tools/container-tool.js'
import {
  Docker,
  type PlacedCaFile,
  type TempTag,
  removePlacedCaFile
} from '../../src/tools/docker.js'
import { PUSH_STALL_MS } from '../../src/tools/stall-watch.js'
import { type Call, FakeRunner, type Reply } from './fake-runner.js'

const HOST = 'registry-oci.example.com'
const USERNAME = 'robot$proj+ci'
const PASSWORD = 'cli-secret-9d1e'
const BASE64 = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
const DIGEST = `sha256:${'0f'.repeat(32)}`
const IMAGE_ID = `sha256:${'7a'.repeat(32)}`
const SOURCE = 'apim/app:v1'
const DESTINATION = `${HOST}/proj/app:v1`
const PUSH_OUTPUT = [
  `The push refers to repository [${HOST}/proj/app]`,
  '5f70bf18a086: Pushed',
  `latest: digest: ${DIGEST} size: 528`,
  ''
].join('\n')

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-docker-'))
const caFile = path.join(root, 'user-ca.pem')
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
fs.writeFileSync(caFile, PEM)

const runners: FakeRunner[] = []
let dir: string
let certsRoot: string

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(root, 'harbor-push-'))
  certsRoot = fs.mkdtempSync(path.join(root, 'certs.d-'))
})

// Whatever a test made the tool run, the secret went in on stdin only.
afterEach(() => {
  for (const runner of runners.splice(0)) {
    expect(runner.leaking(PASSWORD)).toEqual([])
    expect(runner.leaking(BASE64)).toEqual([])
  }
})

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

interface Made {
  tool: Docker
  runner: FakeRunner
  placed: PlacedCaFile[]
}

function docker(
  script: (call: Call) => Reply = () => '',
  tls: Partial<TlsOptions> = {},
  isolated = true
): Made {
  const runner = new FakeRunner(script)
  runners.push(runner)
  const placed: PlacedCaFile[] = []
  const tool = new Docker(
    runner.run,
    { dir, isolated },
    { tlsVerify: true, caFile: '', ...tls },
    { onCaFilePlaced: entry => placed.push(entry) },
    certsRoot
  )
  return { tool, runner, placed }
}

/** A daemon whose `docker info` tells version 24.0.7 and this registry config. */
function daemon(registryConfig: object): (call: Call) => Reply {
  return call => (call.args[0] === 'info' ? `24.0.7 ${JSON.stringify(registryConfig)}\n` : '')
}

const INFO_CALL = ['docker', 'info', '--format', '{{.ServerVersion}} {{json .RegistryConfig}}']

const DEFAULT_CIDRS = ['::1/128', '127.0.0.0/8']

describe('login', () => {
  test('password on stdin only, DOCKER_CONFIG in the private dir, robot name verbatim', async () => {
    const { tool, runner } = docker()
    await tool.login(HOST, { username: USERNAME, password: PASSWORD })
    expect(runner.calls).toEqual([
      {
        command: 'docker',
        args: ['login', '--username', 'robot$proj+ci', '--password-stdin', HOST],
        options: { input: PASSWORD, env: { DOCKER_CONFIG: path.join(dir, 'docker') } }
      }
    ])
  })

  test.each([
    // Docker Hub under its legacy name: logged in as docker.io, the key docker's push looks up.
    ['index.docker.io', 'docker.io'],
    ['Index.Docker.IO', 'docker.io'],
    ['docker.io', 'docker.io'],
    // Pushes named registry-1.docker.io/... look that host up: kept.
    ['registry-1.docker.io', 'registry-1.docker.io']
  ])('registry %s: docker login %s', async (host, server) => {
    const { tool, runner } = docker()
    await tool.login(host, { username: USERNAME, password: PASSWORD })
    expect(runner.calls[0].args).toEqual([
      'login',
      '--username',
      'robot$proj+ci',
      '--password-stdin',
      server
    ])
  })

  test('every command of an isolated run uses the private DOCKER_CONFIG', async () => {
    const { tool, runner } = docker(call => (call.args[0] === 'push' ? PUSH_OUTPUT : IMAGE_ID))
    await tool.imageId(SOURCE)
    await tool.push(SOURCE, DESTINATION)
    expect(runner.calls.length).toBeGreaterThan(2)
    for (const call of runner.calls) {
      expect(call.options?.env).toEqual({ DOCKER_CONFIG: path.join(dir, 'docker') })
    }
  })

  test('no DOCKER_CONFIG when relying on an existing login', async () => {
    const { tool, runner } = docker(() => IMAGE_ID, {}, false)
    await tool.imageId(SOURCE)
    expect(runner.calls[0].options?.env).toBeUndefined()
  })
})

describe('imageId', () => {
  test('exact argv and the ID as docker prints it', async () => {
    const { tool, runner } = docker(() => `${IMAGE_ID}\n`)
    await expect(tool.imageId(SOURCE)).resolves.toBe(IMAGE_ID)
    expect(runner.argv()).toEqual([
      ['docker', 'image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, SOURCE]
    ])
  })

  test.each([
    `Error: No such image: ${SOURCE}\n`,
    `Error response from daemon: No such image: ${SOURCE}`
  ])('a missing image is undefined: %s', async stderr => {
    const { tool } = docker(() => ({ fail: stderr, exitCode: 1 }))
    await expect(tool.imageId(SOURCE)).resolves.toBeUndefined()
  })

  test('any other failure is rethrown as it was', async () => {
    const stderr =
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'
    const { tool } = docker(() => ({ fail: stderr, exitCode: 1 }))
    const error = await tool.imageId(SOURCE).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ToolError)
    expect((error as ToolError).stderr).toBe(stderr)
  })
})

describe('push', () => {
  test('tag, push, untag when the destination tag did not exist before', async () => {
    const { tool, runner } = docker(call => {
      if (call.args[0] === 'image' && call.args[1] === 'inspect') {
        return { fail: `Error: No such image: ${DESTINATION}`, exitCode: 1 }
      }
      return call.args[0] === 'push' ? PUSH_OUTPUT : ''
    })
    await expect(tool.push(SOURCE, DESTINATION)).resolves.toBe(DIGEST)
    expect(runner.argv()).toEqual([
      ['docker', 'image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, DESTINATION],
      ['docker', 'tag', SOURCE, DESTINATION],
      ['docker', 'push', DESTINATION],
      ['docker', 'image', 'rm', DESTINATION]
    ])
  })

  test('a destination tag that was already there is left in place', async () => {
    const { tool, runner } = docker(call => (call.args[0] === 'push' ? PUSH_OUTPUT : IMAGE_ID))
    await expect(tool.push(SOURCE, DESTINATION)).resolves.toBe(DIGEST)
    expect(runner.argv()).toEqual([
      ['docker', 'image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, DESTINATION],
      ['docker', 'tag', SOURCE, DESTINATION],
      ['docker', 'push', DESTINATION],
      // ...and pointed back at the image it named before.
      ['docker', 'tag', IMAGE_ID, DESTINATION]
    ])
  })

  test('source equal to destination: no tag, no untag', async () => {
    const { tool, runner } = docker(() => PUSH_OUTPUT)
    await tool.push(DESTINATION, DESTINATION)
    expect(runner.argv()).toEqual([['docker', 'push', DESTINATION]])
    // Watched: a push that stalls is stopped and retried (stall-watch.ts); nothing else is.
    expect(runner.calls[0].options?.stallMs).toBe(PUSH_STALL_MS)
  })

  test('a failed push still untags, and the ToolError comes through', async () => {
    const { tool, runner } = docker(call => {
      if (call.args[1] === 'inspect') return { fail: 'Error: No such image: x', exitCode: 1 }
      if (call.args[0] === 'push')
        return { fail: 'denied: requested access to the resource is denied' }
      return ''
    })
    const error = await tool.push(SOURCE, DESTINATION).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ToolError)
    expect(runner.argv().at(-1)).toEqual(['docker', 'image', 'rm', DESTINATION])
  })

  test('a failing untag does not hide the digest', async () => {
    const { tool } = docker(call => {
      if (call.args[1] === 'inspect') return { fail: 'Error: No such image: x', exitCode: 1 }
      if (call.args[1] === 'rm') return { fail: 'Error: conflict: unable to remove', exitCode: 1 }
      return call.args[0] === 'push' ? PUSH_OUTPUT : ''
    })
    await expect(tool.push(SOURCE, DESTINATION)).resolves.toBe(DIGEST)
  })

  test('the temporary tag is told before it is made and forgotten once put back', async () => {
    const told: { tags: TempTag[]; calls: number }[] = []
    const runner = new FakeRunner(call => {
      if (call.args[1] === 'inspect') return { fail: 'Error: No such image: x', exitCode: 1 }
      return call.args[0] === 'push' ? PUSH_OUTPUT : ''
    })
    runners.push(runner)
    const tool = new Docker(
      runner.run,
      { dir, isolated: true },
      { tlsVerify: true, caFile: '' },
      { onTempTags: tags => told.push({ tags, calls: runner.calls.length }) }
    )
    await tool.push(SOURCE, DESTINATION)
    const dockerConfig = path.join(dir, 'docker')
    expect(told).toEqual([
      // After the inspect, before `docker tag`.
      { tags: [{ tag: DESTINATION, before: undefined, dockerConfig }], calls: 1 },
      { tags: [], calls: 4 }
    ])
  })

  test('a tag that could not be put back stays told, for the clean-up to try again', async () => {
    const told: TempTag[][] = []
    const runner = new FakeRunner(call => {
      if (call.args[0] === 'tag' && call.args[1] === IMAGE_ID) {
        return { fail: 'Error response from daemon: stopped', exitCode: 1 }
      }
      return call.args[0] === 'push' ? PUSH_OUTPUT : IMAGE_ID
    })
    runners.push(runner)
    const tool = new Docker(
      runner.run,
      { dir, isolated: false },
      { tlsVerify: true, caFile: '' },
      { onTempTags: tags => told.push(tags) }
    )
    await expect(tool.push(SOURCE, DESTINATION)).resolves.toBe(DIGEST)
    expect(told).toEqual([[{ tag: DESTINATION, before: IMAGE_ID, dockerConfig: undefined }]])
  })

  test('push output without a digest is a PushError', async () => {
    const { tool } = docker(call => (call.args[0] === 'push' ? 'v1: Pushed\n' : IMAGE_ID))
    await expect(tool.push(SOURCE, DESTINATION)).rejects.toThrow(
      new PushError(`docker pushed "${DESTINATION}" but printed no digest`)
    )
  })

  test('the manifest digest is taken, not a layer digest printed before it', async () => {
    const layer = `sha256:${'11'.repeat(32)}`
    const output = `Mounted from other/app ${layer}\nv1: digest: ${DIGEST} size: 528\n`
    const { tool } = docker(call => (call.args[0] === 'push' ? output : IMAGE_ID))
    await expect(tool.push(SOURCE, DESTINATION)).resolves.toBe(DIGEST)
  })
})

describe('prepare', () => {
  test('returns the engine version and reads its registry settings in one call', async () => {
    const { tool, runner } = docker(daemon({}))
    await expect(tool.prepare(HOST)).resolves.toBe('docker engine 24.0.7')
    expect(runner.argv()).toEqual([INFO_CALL])
    // The daemon does not treat the host as insecure: the registry API is asked with the same TLS.
    expect(tool.registryTls()).toEqual({ tlsVerify: true, caFile: '' })
  })

  test('a registry the daemon treats as insecure is asked without TLS verification too', async () => {
    const { tool } = docker(daemon({ InsecureRegistryCIDRs: ['127.0.0.0/8'] }))
    await tool.prepare('127.0.0.1:5000')
    expect(tool.registryTls()).toEqual({ tlsVerify: false, caFile: '' })
  })

  test('an engine that does not answer is an input error with the fix', async () => {
    const { tool } = docker(() => ({
      fail: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.',
      exitCode: 1
    }))
    const error = await tool.prepare(HOST).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(
      /container-tool "docker" does not work here: .*Cannot connect.*start the docker engine .*container-tool: podman/
    )
  })

  describe('tls-verify false', () => {
    test.each([
      [
        'an insecure-registries entry',
        'harbor.internal:5000',
        { 'harbor.internal:5000': { Secure: false } },
        []
      ],
      ['a loopback IP in the default CIDRs', '127.0.0.1:5000', {}, DEFAULT_CIDRS],
      ['an IPv6 loopback in the default CIDRs', '[::1]:5000', {}, DEFAULT_CIDRS],
      ['an IP in a configured CIDR', '10.20.30.40', {}, ['10.20.0.0/16']],
      ['localhost, resolved into the default CIDRs', 'localhost:5000', {}, DEFAULT_CIDRS]
    ])('is accepted for %s (%s)', async (_label, host, IndexConfigs, InsecureRegistryCIDRs) => {
      const { tool, runner } = docker(daemon({ IndexConfigs, InsecureRegistryCIDRs }), {
        tlsVerify: false
      })
      await expect(tool.prepare(host)).resolves.toBe('docker engine 24.0.7')
      expect(runner.argv()).toEqual([INFO_CALL])
    })

    test('reads the JSON docker info really prints', async () => {
      const printed =
        '20.10.24+dfsg1 {"AllowNondistributableArtifactsCIDRs":null,"AllowNondistributableArtifactsHostnames":null,' +
        '"InsecureRegistryCIDRs":["127.0.0.0/8"],"IndexConfigs":{"docker.io":{"Name":"docker.io",' +
        '"Mirrors":[],"Secure":true,"Official":true}},"Mirrors":null}\n'
      const script = (call: Call): Reply => (call.args[0] === 'info' ? printed : '')
      await expect(
        docker(script, { tlsVerify: false }).tool.prepare('127.0.0.1:5000')
      ).resolves.toBe('docker engine 20.10.24+dfsg1')
      await expect(
        docker(script, { tlsVerify: false }).tool.prepare('192.0.2.10:5000')
      ).rejects.toThrow(InputError)
    })

    test.each([
      ['a host the daemon verifies', HOST, { [HOST]: { Secure: true } }, DEFAULT_CIDRS],
      ['an IP outside the CIDRs', '10.1.2.3:5000', {}, DEFAULT_CIDRS],
      ['another host marked insecure', '10.1.2.3:5000', { '10.1.2.3:5001': { Secure: false } }, []],
      ['no registry config at all', '192.168.1.5', undefined, undefined]
    ])(
      'is refused for %s, naming insecure-registries',
      async (_label, host, IndexConfigs, cidrs) => {
        const { tool } = docker(daemon({ IndexConfigs, InsecureRegistryCIDRs: cidrs }), {
          tlsVerify: false
        })
        const error = await tool.prepare(host).catch((caught: unknown) => caught)
        expect(error).toBeInstanceOf(InputError)
        expect((error as Error).message).toContain(`"${host}"`)
        expect((error as Error).message).toMatch(
          /"insecure-registries" in the daemon's .*daemon\.json/
        )
      }
    )
  })

  describe('ca-file', () => {
    test('placed as harbor-push-*.crt under certs.d/<host>, announced before it is written', async () => {
      const host = `${HOST}:8443`
      const seenAtCallback: boolean[] = []
      const runner = new FakeRunner(daemon({}))
      runners.push(runner)
      const tool = new Docker(
        runner.run,
        { dir, isolated: true },
        { tlsVerify: true, caFile },
        { onCaFilePlaced: entry => seenAtCallback.push(fs.existsSync(entry.file)) },
        certsRoot
      )
      await tool.prepare(host)
      expect(seenAtCallback).toEqual([false])
      const hostDir = path.join(certsRoot, host)
      const files = fs.readdirSync(hostDir)
      expect(files).toHaveLength(1)
      expect(files[0]).toMatch(/^harbor-push-.*\.crt$/)
      expect(fs.readFileSync(path.join(hostDir, files[0]), 'utf8')).toBe(PEM)
    })

    test('the callback gets the file and the folder it will create', async () => {
      const { tool, placed } = docker(daemon({}), { caFile })
      await tool.prepare(HOST)
      expect(placed).toHaveLength(1)
      expect(path.dirname(placed[0].file)).toBe(path.join(certsRoot, HOST))
      expect(placed[0].createdDir).toBe(path.join(certsRoot, HOST))
    })

    test('cleanup removes the file and the folder it created, not the certs root', async () => {
      const runner = new FakeRunner(daemon({}))
      runners.push(runner)
      const placed: PlacedCaFile[] = []
      let removed = 0
      const tool = new Docker(
        runner.run,
        { dir, isolated: true },
        { tlsVerify: true, caFile },
        { onCaFilePlaced: entry => placed.push(entry), onCaFileRemoved: () => removed++ },
        certsRoot
      )
      await tool.prepare(HOST)
      expect(fs.existsSync(placed[0].file)).toBe(true)
      tool.cleanup()
      expect(fs.existsSync(placed[0].file)).toBe(false)
      expect(fs.existsSync(path.join(certsRoot, HOST))).toBe(false)
      expect(fs.existsSync(certsRoot)).toBe(true)
      expect(removed).toBe(1)
      expect(() => tool.cleanup()).not.toThrow()
      expect(removed).toBe(1)
    })

    test('a folder that existed, and the ca.crt in it, survive cleanup', async () => {
      const hostDir = path.join(certsRoot, HOST)
      fs.mkdirSync(hostDir)
      fs.writeFileSync(path.join(hostDir, 'ca.crt'), 'the user CA')
      const { tool, placed } = docker(daemon({}), { caFile })
      await tool.prepare(HOST)
      expect(placed[0].createdDir).toBeUndefined()
      expect(fs.readdirSync(hostDir)).toHaveLength(2)
      tool.cleanup()
      expect(fs.readdirSync(hostDir)).toEqual(['ca.crt'])
      expect(fs.readFileSync(path.join(hostDir, 'ca.crt'), 'utf8')).toBe('the user CA')
    })

    test('a certs.d the step created keeps what another job put there meanwhile', async () => {
      // certs.d itself missing: the step creates it, and all of it was once removed again.
      const missingRoot = path.join(fs.mkdtempSync(path.join(root, 'etc-docker-')), 'certs.d')
      const runner = new FakeRunner(daemon({}))
      runners.push(runner)
      const placed: PlacedCaFile[] = []
      const tool = new Docker(
        runner.run,
        { dir, isolated: true },
        { tlsVerify: true, caFile },
        { onCaFilePlaced: entry => placed.push(entry) },
        missingRoot
      )
      await tool.prepare(HOST)
      expect(placed[0].createdDir).toBe(missingRoot)
      const otherCa = path.join(missingRoot, 'other-registry.example.com:5000', 'ca.crt')
      fs.mkdirSync(path.dirname(otherCa))
      fs.writeFileSync(otherCa, 'the other job CA')

      tool.cleanup()
      expect(fs.existsSync(path.join(missingRoot, HOST))).toBe(false)
      expect(fs.readdirSync(missingRoot)).toEqual(['other-registry.example.com:5000'])
      expect(fs.readFileSync(otherCa, 'utf8')).toBe('the other job CA')
    })

    test('a host folder the step created keeps a ca.crt another job put there meanwhile', async () => {
      const { tool, placed } = docker(daemon({}), { caFile })
      await tool.prepare(HOST)
      const hostDir = path.join(certsRoot, HOST)
      expect(placed[0].createdDir).toBe(hostDir)
      fs.writeFileSync(path.join(hostDir, 'ca.crt'), 'the other job CA')
      tool.cleanup()
      expect(fs.readdirSync(hostDir)).toEqual(['ca.crt'])
    })

    test('a created folder emptied by the step goes, up to the one it created and no further', () => {
      const created = path.join(certsRoot, 'a')
      const file = path.join(created, 'b', 'c', 'harbor-push-1.crt')
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, PEM)
      removePlacedCaFile({ file, createdDir: created })
      expect(fs.readdirSync(certsRoot)).toEqual([])
      // A saved state naming a folder that is not above the file removes no folder.
      fs.mkdirSync(path.join(certsRoot, 'x', 'y'), { recursive: true })
      removePlacedCaFile({
        file: path.join(certsRoot, 'x', 'y', 'f.crt'),
        createdDir: path.join(certsRoot, 'z')
      })
      expect(fs.existsSync(path.join(certsRoot, 'x', 'y'))).toBe(true)
    })

    test('a certs root that cannot be written is an input error with the fix', async () => {
      const blocker = path.join(certsRoot, 'not-a-dir')
      fs.writeFileSync(blocker, '')
      const runner = new FakeRunner(daemon({}))
      const tool = new Docker(
        runner.run,
        { dir, isolated: true },
        { tlsVerify: true, caFile },
        {},
        blocker
      )
      const error = await tool.prepare(HOST).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(InputError)
      expect((error as Error).message).toMatch(
        /ca-file: docker reads registry CAs from .*not-a-dir\/registry-oci\.example\.com\/.*place the CA there as ca\.crt yourself, or use container-tool: podman/
      )
    })

    test('no ca-file: nothing placed, cleanup is a no-op', async () => {
      const { tool, placed } = docker(daemon({}))
      await tool.prepare(HOST)
      tool.cleanup()
      expect(placed).toEqual([])
      expect(fs.readdirSync(certsRoot)).toEqual([])
    })
  })
})

test('login and push: the password only ever on stdin, never in args or env', async () => {
  const { tool, runner } = docker(call => {
    if (call.args[1] === 'inspect') return { fail: 'Error: No such image: x', exitCode: 1 }
    return call.args[0] === 'push' ? PUSH_OUTPUT : ''
  })
  await tool.login(HOST, { username: USERNAME, password: PASSWORD })
  await tool.push(SOURCE, DESTINATION)
  expect(runner.calls.map(call => call.options?.input)).toEqual([
    PASSWORD,
    undefined,
    undefined,
    undefined,
    undefined
  ])
  expect(runner.leaking(PASSWORD)).toEqual([])
  expect(runner.leaking(BASE64)).toEqual([])
})
