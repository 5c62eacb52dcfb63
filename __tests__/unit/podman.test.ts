import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { InputError, PushError, ToolError } from '../../src/errors.js'
import {
  LOCAL_IMAGE_FORMAT,
  type PrivatePaths,
  type TlsOptions
} from '../../src/tools/container-tool.js'
import { Podman } from '../../src/tools/podman.js'
import { PUSH_STALL_MS } from '../../src/tools/stall-watch.js'
import { type Call, FakeRunner, type Reply } from './fake-runner.js'

const HOST = 'registry-oci.example.com'
const USERNAME = 'robot$proj+ci'
const PASSWORD = 'cli-secret-5f3a'
const BASE64 = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
const DIGEST = `sha256:${'ab12'.repeat(16)}`
const SOURCE = 'localhost/apim/app:v1'
const DESTINATION = `${HOST}/proj/app:v1`

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-podman-'))
const caFile = path.join(root, 'user-ca.pem')
fs.writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')

/** Every runner made in this file, so the last test can check them all for the secret. */
const runners: FakeRunner[] = []
let dir: string

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(root, 'harbor-push-'))
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

function podman(
  script: (call: Call) => Reply = () => '',
  tls: Partial<TlsOptions> = {},
  paths: Partial<PrivatePaths> = {}
): { tool: Podman; runner: FakeRunner } {
  const runner = new FakeRunner(script)
  runners.push(runner)
  const tool = new Podman(
    runner.run,
    { dir, isolated: true, ...paths },
    { tlsVerify: true, caFile: '', ...tls }
  )
  return { tool, runner }
}

/** Plays podman push: writes the digest where `--digestfile` says. */
function pushWritesDigest(content = `${DIGEST}\n`): (call: Call) => Reply {
  return call => {
    if (call.args[0] === 'push') {
      fs.writeFileSync(call.args[call.args.indexOf('--digestfile') + 1], content)
    }
    return ''
  }
}

describe('prepare', () => {
  test('returns the version podman prints', async () => {
    const { tool, runner } = podman(() => 'podman version 4.3.1\n')
    await expect(tool.prepare()).resolves.toBe('podman version 4.3.1')
    expect(runner.argv()).toEqual([['podman', '--version']])
  })

  test('a podman that does not run is an input error with the fix', async () => {
    const { tool } = podman(() => ({ fail: 'podman: not found', exitCode: 127 }))
    const error = await tool.prepare().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(
      /container-tool "podman" does not work here .*install podman or set container-tool: docker/
    )
  })

  test('ca-file is copied into a private cert dir, not used in place', async () => {
    const { tool } = podman(() => 'podman version 4.3.1', { caFile })
    await tool.prepare()
    const certDir = path.join(dir, 'podman-certs')
    expect(fs.readFileSync(path.join(certDir, 'ca.crt'), 'utf8')).toBe(
      fs.readFileSync(caFile, 'utf8')
    )
    expect(fs.statSync(certDir).mode & 0o777).toBe(0o700)
    expect(fs.readdirSync(certDir)).toEqual(['ca.crt'])
  })

  test('without ca-file no cert dir is made', async () => {
    const { tool } = podman(() => 'podman version 4.3.1')
    await tool.prepare()
    expect(fs.existsSync(path.join(dir, 'podman-certs'))).toBe(false)
  })
})

describe('login', () => {
  test('password on stdin only, into the private auth file, robot name verbatim', async () => {
    const { tool, runner } = podman()
    await tool.login(HOST, { username: USERNAME, password: PASSWORD })
    expect(runner.calls).toEqual([
      {
        command: 'podman',
        args: [
          'login',
          '--authfile',
          path.join(dir, 'podman-auth.json'),
          '--username',
          'robot$proj+ci',
          '--password-stdin',
          HOST
        ],
        // A registries.conf of its own keeps the login off credential helpers.
        options: {
          input: PASSWORD,
          env: { CONTAINERS_REGISTRIES_CONF: path.join(dir, 'podman-registries.conf') }
        }
      }
    ])
  })

  test('tls-verify false and ca-file reach the login too', async () => {
    const insecure = podman(() => '', { tlsVerify: false })
    await insecure.tool.login(HOST, { username: USERNAME, password: PASSWORD })
    expect(insecure.runner.calls[0].args).toEqual([
      'login',
      '--authfile',
      path.join(dir, 'podman-auth.json'),
      '--tls-verify=false',
      '--username',
      USERNAME,
      '--password-stdin',
      HOST
    ])

    const trusted = podman(() => '', { caFile })
    await trusted.tool.login(HOST, { username: USERNAME, password: PASSWORD })
    expect(trusted.runner.calls[0].args).toEqual([
      'login',
      '--authfile',
      path.join(dir, 'podman-auth.json'),
      '--cert-dir',
      path.join(dir, 'podman-certs'),
      '--username',
      USERNAME,
      '--password-stdin',
      HOST
    ])
  })

  test('a rejected login surfaces the ToolError with its stderr', async () => {
    const stderr = `Error: logging into "${HOST}": invalid username/password\n`
    const { tool } = podman(() => ({ fail: stderr }))
    const error = await tool
      .login(HOST, { username: USERNAME, password: PASSWORD })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ToolError)
    expect((error as ToolError).stderr).toBe(stderr)
  })
})

describe('push', () => {
  test('exact argv: private auth file, digest file, docker:// destination', async () => {
    const { tool, runner } = podman(pushWritesDigest())
    await expect(tool.push(SOURCE, DESTINATION)).resolves.toBe(DIGEST)
    expect(runner.calls).toEqual([
      {
        command: 'podman',
        args: [
          'push',
          '--authfile',
          path.join(dir, 'podman-auth.json'),
          '--digestfile',
          path.join(dir, 'digest-1'),
          SOURCE,
          `docker://${DESTINATION}`
        ],
        // Watched: a push that stalls is stopped and retried (stall-watch.ts).
        options: {
          env: { CONTAINERS_REGISTRIES_CONF: path.join(dir, 'podman-registries.conf') },
          stallMs: PUSH_STALL_MS
        }
      }
    ])
  })

  test('the digest file is removed afterwards', async () => {
    const { tool } = podman(pushWritesDigest())
    await tool.push(SOURCE, DESTINATION)
    expect(fs.readdirSync(dir)).toEqual([])
  })

  test('tls-verify false adds --tls-verify=false', async () => {
    const { tool, runner } = podman(pushWritesDigest(), { tlsVerify: false })
    await tool.push(SOURCE, DESTINATION)
    expect(runner.calls[0].args).toEqual([
      'push',
      '--authfile',
      path.join(dir, 'podman-auth.json'),
      '--tls-verify=false',
      '--digestfile',
      path.join(dir, 'digest-1'),
      SOURCE,
      `docker://${DESTINATION}`
    ])
  })

  test('ca-file adds --cert-dir with the private copy, never the user folder', async () => {
    const { tool, runner } = podman(pushWritesDigest(), { caFile })
    await tool.push(SOURCE, DESTINATION)
    const args = runner.calls[0].args
    expect(args.slice(0, 5)).toEqual([
      'push',
      '--authfile',
      path.join(dir, 'podman-auth.json'),
      '--cert-dir',
      path.join(dir, 'podman-certs')
    ])
    expect(args).not.toContain(root)
    expect(args).not.toContain('--tls-verify=false')
  })

  test('no --authfile when relying on an existing login', async () => {
    const { tool, runner } = podman(pushWritesDigest(), {}, { isolated: false })
    await tool.push(SOURCE, DESTINATION)
    expect(runner.calls[0].args).toEqual([
      'push',
      '--digestfile',
      path.join(dir, 'digest-1'),
      SOURCE,
      `docker://${DESTINATION}`
    ])
  })

  test('parallel pushes get their own digest files', async () => {
    const { tool, runner } = podman(call => {
      const file = call.args[call.args.indexOf('--digestfile') + 1]
      fs.writeFileSync(
        file,
        call.args.at(-1)?.endsWith(':v1') ? DIGEST : `sha256:${'cd'.repeat(32)}`
      )
      return ''
    })
    const digests = await Promise.all([
      tool.push(SOURCE, DESTINATION),
      tool.push(SOURCE, `${HOST}/proj/app:latest`)
    ])
    expect(digests).toEqual([DIGEST, `sha256:${'cd'.repeat(32)}`])
    const files = runner.calls.map(call => call.args[call.args.indexOf('--digestfile') + 1])
    expect(new Set(files).size).toBe(2)
  })

  test('an empty digest file is a PushError, and the file is still removed', async () => {
    const { tool } = podman(pushWritesDigest(''))
    await expect(tool.push(SOURCE, DESTINATION)).rejects.toThrow(
      new PushError(`podman pushed "${DESTINATION}" but wrote no digest`)
    )
    expect(fs.readdirSync(dir)).toEqual([])
  })

  test('a failed push rethrows the ToolError and leaves no digest file', async () => {
    const { tool } = podman(call => {
      fs.writeFileSync(call.args[call.args.indexOf('--digestfile') + 1], '')
      return { fail: 'Error: writing blob: connection reset by peer' }
    })
    const error = await tool.push(SOURCE, DESTINATION).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ToolError)
    expect((error as ToolError).stderr).toContain('connection reset by peer')
    expect(fs.readdirSync(dir)).toEqual([])
  })
})

describe('imageId', () => {
  test('exact argv, and the ID gets its algorithm', async () => {
    const { tool, runner } = podman(() => `${'e3'.repeat(32)}\n`)
    await expect(tool.imageId(SOURCE)).resolves.toBe(`sha256:${'e3'.repeat(32)}`)
    expect(runner.argv()).toEqual([
      ['podman', 'image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, SOURCE]
    ])
  })

  test.each([
    `Error: ${SOURCE}: image not known\n`,
    `Error: inspecting object: ${SOURCE}: image not known`,
    `Error: No such image: ${SOURCE}`
  ])('a missing image is undefined: %s', async stderr => {
    const { tool } = podman(() => ({ fail: stderr }))
    await expect(tool.imageId(SOURCE)).resolves.toBeUndefined()
  })

  test('any other failure is rethrown as it was', async () => {
    const { tool } = podman(() => ({
      fail: 'Error: database configuration mismatch: cannot open storage'
    }))
    await expect(tool.imageId(SOURCE)).rejects.toThrow(/database configuration mismatch/)
  })
})

test('login and push: the password only ever on stdin, never in args or env', async () => {
  const { tool, runner } = podman(pushWritesDigest(), { tlsVerify: false })
  await tool.login(HOST, { username: USERNAME, password: PASSWORD })
  await tool.push(SOURCE, DESTINATION)
  await tool.imageId(SOURCE)
  expect(runner.calls.map(call => call.options?.input)).toEqual([PASSWORD, undefined, undefined])
  expect(runner.leaking(PASSWORD)).toEqual([])
  expect(runner.leaking(BASE64)).toEqual([])
})

describe('manifest lists', () => {
  const AMD = `sha256:${'a1'.repeat(32)}`
  const ARM = `sha256:${'b2'.repeat(32)}`
  const script = (call: Call): Reply => {
    const args = call.args.join(' ')
    if (args.startsWith('images --filter manifest=true')) return `${SOURCE}\n`
    if (args.startsWith('manifest inspect')) {
      return JSON.stringify({
        manifests: [
          { digest: DIGEST, platform: { os: 'linux', architecture: 'amd64' } },
          {
            digest: DIGEST.replace('ab12', 'cd34'),
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }
          }
        ]
      })
    }
    if (args.startsWith('image inspect --format {{.Id}}')) return `${AMD}\n${ARM.slice(7)}\n`
    if (args.startsWith('image inspect')) return `${AMD} [sha256:${'0'.repeat(64)}]\n`
    return ''
  }

  test('a list carries its platforms and their image IDs, read with one call each', async () => {
    const { tool, runner } = podman(script)
    const [image] = await tool.localImages([SOURCE])
    expect(image?.platforms).toEqual([
      { platform: 'linux/amd64', id: AMD },
      { platform: 'linux/arm64/v8', id: ARM }
    ])
    expect(image?.layers).toEqual([])
    expect(runner.argv()).toContainEqual([
      'podman',
      'image',
      'inspect',
      '--format',
      '{{.Id}}',
      `${SOURCE}@${DIGEST}`,
      `${SOURCE}@${DIGEST.replace('ab12', 'cd34')}`
    ])
  })

  test('a list is pushed with manifest push --all; a plain image with push', async () => {
    const { tool, runner } = podman(script)
    const [image] = await tool.localImages([SOURCE])
    await tool.push(SOURCE, DESTINATION, image).catch(() => undefined)
    await tool.push(SOURCE, DESTINATION).catch(() => undefined)
    const pushes = runner.argv().filter(argv => argv.includes(`docker://${DESTINATION}`))
    expect(pushes.map(argv => argv.slice(1, 4).join(' '))).toEqual([
      'manifest push --all',
      expect.stringMatching(/^push /)
    ])
  })
})
