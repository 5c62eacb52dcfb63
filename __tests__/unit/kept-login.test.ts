/**
 * keep-login: the files the later steps read (credentials/kept-login.ts) and
 * the runner side (runner/keep-login.ts): what is exported, what is saved
 * for the post step, and what the post step puts back. @actions/core writes
 * to real GITHUB_ENV / GITHUB_STATE files here, as on a runner.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { parseCommandFile } from '../../rig/command-file.js'
import {
  KEPT_LOGIN_VARIABLES,
  keptAuthConfig,
  keptLoginKeys,
  writeKeptLogin
} from '../../src/credentials/kept-login.js'
import { keepLogin, restoreKeptLoginVariables } from '../../src/runner/keep-login.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = 'cli-Zq9 secret:with:colons'
const BASE64 = Buffer.from(`${USER}:${PASSWORD}`).toString('base64')
const CREDENTIALS = { username: USER, password: PASSWORD }
const HOST = 'registry-oci.example.com:8443'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-kept-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

describe('keptAuthConfig', () => {
  test('the docker config format: auths keyed by host[:port], auth = base64 user:password, nothing else', () => {
    expect(JSON.parse(keptAuthConfig([HOST], CREDENTIALS))).toEqual({
      auths: { [HOST]: { auth: BASE64 } }
    })
    // No credHelpers / credsStore: containers/image would run "docker-credential-" for an empty pin.
    expect(keptAuthConfig([HOST], CREDENTIALS)).not.toMatch(/credHelpers|credsStore/)
  })
})

describe('writeKeptLogin', () => {
  let dir: string

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(root, 'harbor-push-'))
    fs.chmodSync(dir, 0o700)
  })

  test('a file per tool family, each 0600 in 0700 folders, each with the login; the values point at them', () => {
    const values = writeKeptLogin(dir, HOST, CREDENTIALS)
    expect(values).toEqual({
      DOCKER_CONFIG: path.join(dir, 'docker'),
      REGISTRY_AUTH_FILE: path.join(dir, 'containers/auth.json'),
      HELM_REGISTRY_CONFIG: path.join(dir, 'helm/registry/config.json')
    })
    const files = [
      path.join(values.DOCKER_CONFIG, 'config.json'),
      values.REGISTRY_AUTH_FILE,
      values.HELM_REGISTRY_CONFIG
    ]
    for (const file of files) {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
        auths: { [HOST]: { auth: BASE64 } }
      })
      for (let folder = path.dirname(file); folder !== dir; folder = path.dirname(folder)) {
        expect(fs.statSync(folder).mode & 0o777).toBe(0o700)
      }
    }
    // Nothing else in the folder: the password itself is in no file.
    const all = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    expect(all.filter(name => fs.statSync(path.join(dir, name)).isFile()).sort()).toEqual(
      ['containers/auth.json', 'docker/config.json', 'helm/registry/config.json'].sort()
    )
    for (const file of files) expect(fs.readFileSync(file, 'utf8')).not.toContain(PASSWORD)
  })

  test.each(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'Docker.IO'])(
    'Docker Hub (registry: %s): each file holds the keys its readers look Docker Hub up by',
    host => {
      const values = writeKeptLogin(dir, host, CREDENTIALS)
      const auths = (file: string): unknown =>
        (JSON.parse(fs.readFileSync(file, 'utf8')) as { auths: unknown }).auths
      const entry = { auth: BASE64 }
      // docker/cli, go-containerregistry (crane, cosign), oras: the index server URL; docker
      // and crane look images named registry-1.docker.io/... up under that host.
      expect(auths(path.join(values.DOCKER_CONFIG, 'config.json'))).toEqual({
        'https://index.docker.io/v1/': entry,
        'registry-1.docker.io': entry
      })
      // containers/image (podman, skopeo): docker.io, what `podman login docker.io` writes.
      expect(auths(values.REGISTRY_AUTH_FILE)).toEqual({ 'docker.io': entry })
      // helm (oras-go v2 ServerAddressFromHostname, oras-go v1 resolveHostname): the index server URL.
      expect(auths(values.HELM_REGISTRY_CONFIG)).toEqual({ 'https://index.docker.io/v1/': entry })
    }
  )

  test.each(['docker.io:5000', 'hub.example.com', 'localhost:5000'])(
    '%s is no Docker Hub: keyed by host[:port] in every file',
    host => {
      expect(keptLoginKeys(host)).toEqual({
        DOCKER_CONFIG: [host],
        REGISTRY_AUTH_FILE: [host],
        HELM_REGISTRY_CONFIG: [host]
      })
    }
  )

  test('a file already there is an error, never overwritten', () => {
    fs.mkdirSync(path.join(dir, 'docker'))
    fs.writeFileSync(path.join(dir, 'docker/config.json'), '{"auths":{}}')
    expect(() => writeKeptLogin(dir, HOST, CREDENTIALS)).toThrow(/EEXIST/)
    expect(fs.readFileSync(path.join(dir, 'docker/config.json'), 'utf8')).toBe('{"auths":{}}')
  })
})

describe('keepLogin and restoreKeptLoginVariables (runner side)', () => {
  const saved: Record<string, string | undefined> = {}
  let envFile: string
  let stateFile: string
  let runnerTemp: string
  let log: {
    info: jest.Mock<(message: string) => void>
    warning: jest.Mock<(message: string) => void>
  }

  beforeEach(() => {
    for (const name of [...KEPT_LOGIN_VARIABLES, 'GITHUB_ENV', 'GITHUB_STATE', 'RUNNER_TEMP']) {
      saved[name] = process.env[name]
      delete process.env[name]
    }
    const job = fs.mkdtempSync(path.join(root, 'job-'))
    envFile = path.join(job, 'env')
    stateFile = path.join(job, 'state')
    runnerTemp = path.join(job, 'runner-temp')
    fs.writeFileSync(envFile, '')
    fs.writeFileSync(stateFile, '')
    process.env.GITHUB_ENV = envFile
    process.env.GITHUB_STATE = stateFile
    process.env.RUNNER_TEMP = runnerTemp
    log = { info: jest.fn(), warning: jest.fn() }
  })

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  const settings = {
    registry: { host: HOST, path: 'proj', prefix: `${HOST}/proj` },
    credentials: CREDENTIALS
  }

  test('exports the three variables into a folder of its own, told before it is written', () => {
    const told: string[] = []
    keepLogin(settings, log, dir => {
      told.push(dir)
      expect(fs.readdirSync(dir)).toEqual([])
    })
    expect(told).toHaveLength(1)
    const [dir] = told
    expect(path.dirname(dir)).toBe(runnerTemp)
    expect(path.basename(dir)).toMatch(/^harbor-push-/)
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    expect(parseCommandFile(envFile)).toEqual({
      DOCKER_CONFIG: path.join(dir, 'docker'),
      REGISTRY_AUTH_FILE: path.join(dir, 'containers/auth.json'),
      HELM_REGISTRY_CONFIG: path.join(dir, 'helm/registry/config.json')
    })
    expect(fs.readFileSync(envFile, 'utf8')).not.toContain(BASE64)
    expect(log.warning).not.toHaveBeenCalled()
    const info = log.info.mock.calls.map(([message]) => message).join('\n')
    expect(info).toContain(`the login to ${HOST} is kept for the later steps of this job`)
    expect(info).toContain(`DOCKER_CONFIG=${path.join(dir, 'docker')}`)
    expect(info).toContain('hidden from them')
    expect(info).not.toContain(BASE64)
  })

  test('variables set before are named in a warning, saved, and put back by the post step', () => {
    process.env.DOCKER_CONFIG = '/home/runner/.docker-isolated'
    keepLogin(settings, log, () => undefined)
    expect(log.warning.mock.calls.map(([message]) => message)).toEqual([
      expect.stringMatching(
        /^keep-login: DOCKER_CONFIG was "\/home\/runner\/\.docker-isolated"; later steps .* until the post step .* A workflow or job env: that sets DOCKER_CONFIG wins over this/
      )
    ])

    // The post step: a process of its own, with the state the main step saved.
    fs.writeFileSync(envFile, '')
    for (const [name, value] of Object.entries(parseCommandFile(stateFile))) {
      process.env[`STATE_${name}`] = value
    }
    try {
      restoreKeptLoginVariables()
    } finally {
      for (const name of Object.keys(parseCommandFile(stateFile)))
        delete process.env[`STATE_${name}`]
    }
    // What was set comes back; what was unset becomes empty, which every reader takes as unset.
    expect(parseCommandFile(envFile)).toEqual({
      DOCKER_CONFIG: '/home/runner/.docker-isolated',
      REGISTRY_AUTH_FILE: '',
      HELM_REGISTRY_CONFIG: ''
    })
  })

  test('no login in this step (no username and password): a warning, nothing kept, nothing exported or saved', () => {
    const told: string[] = []
    keepLogin({ ...settings, credentials: undefined }, log, dir => told.push(dir))
    expect(told).toEqual([])
    expect(fs.existsSync(runnerTemp)).toBe(false)
    expect(fs.readFileSync(envFile, 'utf8')).toBe('')
    expect(fs.readFileSync(stateFile, 'utf8')).toBe('')
    expect(log.warning.mock.calls[0][0]).toMatch(/did not log in .* no login to keep/)
    // And the post step of such a step touches no variable.
    restoreKeptLoginVariables()
    expect(fs.readFileSync(envFile, 'utf8')).toBe('')
  })
})
