import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  jest,
  test
} from '@jest/globals'
import { InputError } from '../../src/errors.js'
import type { Log } from '../../src/log.js'
import { helmPlatform, locateHelm } from '../../src/tools/helm-install.js'

const VERSION = 'v3.17.3'
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-helm-install-'))
const platform = helmPlatform()
const archiveName = `helm-${VERSION}-${platform}.tar.gz`
const savedEnv = { ...process.env }
const log: Log = { info: () => undefined, warning: () => undefined, group: () => undefined }

/** What the loopback mirror serves, by path; and what it was asked for. */
const served = new Map<string, Buffer>()
const requests: string[] = []
const authorizations: (string | undefined)[] = []
let server: http.Server
let mirror: string
let workDir: string

/** A helm release archive holding a script named helm. */
function makeArchive(script: string): Buffer {
  const dir = fs.mkdtempSync(path.join(root, 'archive-'))
  fs.mkdirSync(path.join(dir, platform))
  fs.writeFileSync(path.join(dir, platform, 'helm'), script, { mode: 0o755 })
  fs.writeFileSync(path.join(dir, platform, 'LICENSE'), 'Apache-2.0')
  execFileSync('tar', ['-czf', path.join(dir, 'out.tgz'), '-C', dir, platform])
  return fs.readFileSync(path.join(dir, 'out.tgz'))
}

const sha256 = (data: Buffer): string => crypto.createHash('sha256').update(data).digest('hex')

/** PATH without any folder that holds a helm. */
function pathWithoutHelm(): string {
  return (savedEnv.PATH ?? '')
    .split(path.delimiter)
    .filter(dir => dir && !fs.existsSync(path.join(dir, 'helm')))
    .join(path.delimiter)
}

beforeAll(async () => {
  server = http.createServer((request, response) => {
    requests.push(request.url ?? '')
    authorizations.push(request.headers.authorization)
    const body = served.get(request.url ?? '')
    response.writeHead(body ? 200 : 404)
    response.end(body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/helm`
})

afterAll(async () => {
  await new Promise(resolve => server.close(resolve))
  fs.rmSync(root, { recursive: true, force: true })
})

beforeEach(() => {
  served.clear()
  requests.length = 0
  authorizations.length = 0
  const job = fs.mkdtempSync(path.join(root, 'job-'))
  workDir = path.join(job, 'private', 'helm-install')
  process.env.RUNNER_TOOL_CACHE = path.join(job, 'tool-cache')
  process.env.RUNNER_TEMP = path.join(job, 'temp')
  process.env.PATH = pathWithoutHelm()
})

afterEach(() => {
  process.env = { ...savedEnv }
})

const locate = (): ReturnType<typeof locateHelm> =>
  locateHelm({ helmVersion: VERSION, helmDownloadUrl: mirror }, workDir, log)

describe('helmPlatform', () => {
  test.each<[NodeJS.Platform, NodeJS.Architecture, string]>([
    ['linux', 'x64', 'linux-amd64'],
    ['linux', 'arm64', 'linux-arm64'],
    ['darwin', 'arm64', 'darwin-arm64'],
    ['linux', 'ppc64', 'linux-ppc64le']
  ])('%s %s is %s', (os_, arch, expected) => {
    expect(helmPlatform(os_, arch)).toBe(expected)
  })

  test('Windows is not installed here, and the message says what to do', () => {
    expect(() => helmPlatform('win32', 'x64')).toThrow(/install helm before this step/)
  })
})

describe('locateHelm', () => {
  test('a helm on PATH is used as it is', async () => {
    const bin = fs.mkdtempSync(path.join(root, 'bin-'))
    fs.writeFileSync(path.join(bin, 'helm'), '#!/bin/sh\n', { mode: 0o755 })
    process.env.PATH = `${bin}${path.delimiter}${pathWithoutHelm()}`
    expect(await locate()).toEqual({ binary: path.join(bin, 'helm'), from: 'PATH' })
    expect(requests).toEqual([])
  })

  test('installs from the mirror after checking the sha256, then uses the cache', async () => {
    const archive = makeArchive('#!/bin/sh\necho v3.17.3\n')
    served.set(`/helm/${archiveName}`, archive)
    served.set(
      `/helm/${archiveName}.sha256sum`,
      Buffer.from(`${sha256(archive)}  ${archiveName}\n`)
    )
    const first = await locate()
    expect(first.from).toBe('download')
    expect(first.binary).toBe(
      path.join(
        process.env.RUNNER_TOOL_CACHE ?? '',
        'helm',
        '3.17.3',
        platform.split('-')[1],
        'helm'
      )
    )
    expect(execFileSync(first.binary, { encoding: 'utf8' })).toBe('v3.17.3\n')
    expect(requests).toEqual([`/helm/${archiveName}.sha256sum`, `/helm/${archiveName}`])

    requests.length = 0
    expect(await locate()).toEqual({ binary: first.binary, from: 'tool cache' })
    expect(requests).toEqual([])
  })

  test('a login in helm-download-url goes in an Authorization header, and is printed nowhere', async () => {
    const archive = makeArchive('#!/bin/sh\necho v3.17.3\n')
    served.set(`/helm/${archiveName}`, archive)
    served.set(
      `/helm/${archiveName}.sha256sum`,
      Buffer.from(`${sha256(archive)}  ${archiveName}\n`)
    )
    const printed: string[] = []
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      printed.push(String(chunk))
      return true
    })
    try {
      const withLogin = mirror.replace('://', '://mirror%2Buser:p%40ss-w0rd@')
      const found = await locateHelm(
        { helmVersion: VERSION, helmDownloadUrl: withLogin },
        workDir,
        { ...log, info: message => printed.push(message) }
      )
      expect(found.from).toBe('download')
    } finally {
      stdout.mockRestore()
    }
    const basic = `Basic ${Buffer.from('mirror+user:p@ss-w0rd').toString('base64')}`
    expect(authorizations).toEqual([basic, basic])
    expect(requests).toEqual([`/helm/${archiveName}.sha256sum`, `/helm/${archiveName}`])
    // The toolkit's debug lines name the URL: without the login.
    expect(printed.join('')).toContain(`Downloading ${mirror}/${archiveName}`)
    expect(printed.join('')).not.toMatch(/p%40ss|p@ss|mirror%2Buser/)
  })

  test('an archive that does not match its sha256 is refused: not unpacked, cached or run', async () => {
    const marker = path.join(root, `ran-${crypto.randomBytes(4).toString('hex')}`)
    const good = makeArchive('#!/bin/sh\necho v3.17.3\n')
    served.set(`/helm/${archiveName}`, makeArchive(`#!/bin/sh\ntouch ${marker}\n`))
    served.set(`/helm/${archiveName}.sha256sum`, Buffer.from(`${sha256(good)}  ${archiveName}\n`))
    const error = await locate().catch((caught: unknown) => caught)
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${mirror}/${archiveName} does not match its published sha256 \\(${sha256(good)}; the download is [a-f0-9]{64}\\): refusing to install or run it`
      )
    )
    expect(fs.existsSync(path.join(process.env.RUNNER_TOOL_CACHE ?? '', 'helm'))).toBe(false)
    expect(fs.readdirSync(workDir)).toEqual([`${archiveName}.sha256sum`])
    expect(fs.existsSync(marker)).toBe(false)
  })

  test('a version the mirror does not have is an input error naming helm-version', async () => {
    const error = await locate().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toBe(
      `helm ${VERSION} is not at ${mirror}/${archiveName}.sha256sum (HTTP 404): check helm-version (e.g. v3.17.3) and helm-download-url`
    )
  })

  test('a .sha256sum without a sha256 is refused', async () => {
    served.set(`/helm/${archiveName}`, makeArchive('#!/bin/sh\n'))
    served.set(`/helm/${archiveName}.sha256sum`, Buffer.from('<html>not found</html>'))
    await expect(locate()).rejects.toThrow(
      /\.sha256sum holds no sha256; refusing to run an unchecked helm/
    )
  })

  test('no helm on PATH and no tool cache: an input error with the fix', async () => {
    delete process.env.RUNNER_TOOL_CACHE
    const error = await locate().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(
      /helm is not on PATH, and RUNNER_TOOL_CACHE is not set/
    )
  })
})
