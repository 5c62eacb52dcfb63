/**
 * Where a secret must not go, on a real runner: into the environment of the
 * tools (podman here; docker and helm run through the same Runner), into a
 * shortened form (spaces that belong to it), or into the log (a registry URL
 * with userinfo). The bundled action and command run against a real
 * registry with real podman.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, imagesOutput } from '../../rig/action.js'
import { CommandJob } from '../../rig/cli.js'
import { type FaultProxy, startFaultProxy } from '../../rig/fault-proxy.js'
import {
  HELM_VERSIONS,
  helmBinary,
  pathWithoutHelm,
  repackHelm,
  serveFolder,
  writeChart
} from '../../rig/helm.js'
import { makeImage, removeImage, toolPath } from '../../rig/images.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { runnerCommands } from '../../rig/runner-commands.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
/** Harbor secrets are generated, but a user's password may begin or end with a space. */
const SPACED = `  spaced ${crypto.randomBytes(6).toString('hex')}  `
const SPACED_USER = 'spaced-user'
const PROJECT = 'catalog-apps-org-proj'
const SOURCE_PATH = `localhost/hp-hygiene-${crypto.randomBytes(4).toString('hex')}`

let registry: Registry
let root: string
/** A PATH folder whose `podman` writes its environment to `envLog`, then runs podman. */
let envShims: string
let envLog: string
const jobs: { dispose(): void }[] = []

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    registry: `${registry.host}/${PROJECT}`,
    username: USER,
    password: PASSWORD,
    'container-tool': 'podman',
    images: 'apim-le-cache',
    'source-path': SOURCE_PATH,
    'source-tag': 'v6.0.0',
    'tls-verify': 'false',
    ...extra
  }
}

function actionJob(env: Record<string, string> = {}): RunnerJob {
  const created = new RunnerJob(env)
  jobs.push(created)
  return created
}

function commandJob(env: Record<string, string> = {}): CommandJob {
  const created = new CommandJob(env)
  jobs.push(created)
  return created
}

/** The environments podman was started with, one per call. */
function podmanEnvironments(): string[] {
  return fs
    .readFileSync(envLog, 'utf8')
    .split('\u0000--end--\u0000')
    .filter(entry => entry !== '')
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-hygiene-'))
  envShims = path.join(root, 'bin')
  envLog = path.join(root, 'env.log')
  fs.mkdirSync(envShims)
  fs.writeFileSync(
    path.join(envShims, 'podman'),
    [
      '#!/bin/bash',
      `{ env -0; printf '\\0--end--\\0'; } >> '${envLog}'`,
      `exec '${toolPath('podman')}' "$@"`,
      ''
    ].join('\n'),
    { mode: 0o755 }
  )
  registry = await startRegistry({ users: { [USER]: PASSWORD, [SPACED_USER]: SPACED } })
  await makeImage('podman', `${SOURCE_PATH}/apim-le-cache:v6.0.0`)
})

afterAll(async () => {
  await removeImage('podman', `${SOURCE_PATH}/apim-le-cache:v6.0.0`)
  await registry?.stop()
  for (const created of jobs) created.dispose()
  if (root) fs.rmSync(root, { recursive: true, force: true })
})

describe('the tools get no secret in their environment', () => {
  test('action: INPUT_PASSWORD and the other inputs stay out of every podman process', async () => {
    fs.writeFileSync(envLog, '')
    const runner = actionJob({
      PATH: `${envShims}:${process.env.PATH ?? ''}`,
      ACTIONS_RUNTIME_TOKEN: 'runtime-token-for-the-cache-service'
    })
    const result = await runner.main(inputs({ 'destination-tag': 'env-action' }))
    expectExit(result, 0)
    const environments = podmanEnvironments()
    // prepare, inspect, login, push at least: every one checked.
    expect(environments.length).toBeGreaterThanOrEqual(4)
    for (const environment of environments) {
      expect(environment).not.toContain(PASSWORD)
      const names = environment.split('\u0000').map(entry => entry.split('=')[0])
      expect(names.filter(name => name.startsWith('INPUT_'))).toEqual([])
      expect(names).not.toContain('ACTIONS_RUNTIME_TOKEN')
      // What the tool needs is still there.
      expect(names).toEqual(expect.arrayContaining(['PATH', 'HOME']))
    }
  })

  test('command: HARBOR_PASSWORD stays out of every podman process', async () => {
    fs.writeFileSync(envLog, '')
    const cli = commandJob({ PATH: `${envShims}:${process.env.PATH ?? ''}` })
    const result = await cli.run(
      [
        '-r',
        `${registry.host}/${PROJECT}`,
        '-u',
        USER,
        '-c',
        'podman',
        '-p',
        SOURCE_PATH,
        '-s',
        'v6.0.0',
        '-i',
        'apim-le-cache',
        '-d',
        'env-command',
        '-t'
      ],
      { env: { HARBOR_PASSWORD: PASSWORD } }
    )
    expect(result.stderr).not.toContain(PASSWORD)
    expect(result.code).toBe(0)
    const environments = podmanEnvironments()
    expect(environments.length).toBeGreaterThanOrEqual(4)
    for (const environment of environments) {
      expect(environment).not.toContain(PASSWORD)
      expect(environment).not.toContain('HARBOR_PASSWORD=')
    }
  })
})

describe('spaces that belong to the secret are kept', () => {
  test('action: a password input with leading and trailing spaces logs in and pushes', async () => {
    const runner = actionJob()
    const result = await runner.main(
      inputs({ username: SPACED_USER, password: SPACED, 'destination-tag': 'spaced-action' })
    )
    expectExit(result, 0)
    expect(imagesOutput(result.outputs).map(image => image.status)).toEqual(['pushed'])
  })

  test('command: --password-stdin keeps the spaces and drops only the final newline', async () => {
    for (const [stdin, tag] of [
      [`${SPACED}\n`, 'spaced-lf'],
      [`${SPACED}\r\n`, 'spaced-crlf']
    ]) {
      const result = await commandJob().run(
        [
          '-r',
          `${registry.host}/${PROJECT}`,
          '-u',
          SPACED_USER,
          '--password-stdin',
          '-c',
          'podman',
          '-p',
          SOURCE_PATH,
          '-s',
          'v6.0.0',
          '-i',
          'apim-le-cache',
          '-d',
          tag,
          '-t',
          '--json'
        ],
        { stdin }
      )
      if (result.code !== 0) throw new Error(`exit ${result.code}:\n${result.stderr}`)
      expect(result.stderr).not.toContain(SPACED.trim())
    }
  })

  test('a secret with a line break inside is an input error that does not print it', async () => {
    const two = `first-${crypto.randomBytes(4).toString('hex')}\nsecond-${crypto.randomBytes(4).toString('hex')}`
    const runner = actionJob()
    const result = await runner.main(inputs({ password: two }))
    expectExit(result, 1)
    expect(result.stdout).toMatch(/::error::Invalid input: "password" holds a line break/)
    // The runner reads ::add-mask:: and never shows it; every other line must not hold the secret.
    const shown = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter(line => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const part of two.split('\n')) expect(shown).not.toContain(part)

    const cli = await commandJob().run(
      ['-r', registry.host, '-u', USER, '--password-stdin', '-i', 'x:1', '-c', 'podman'],
      { stdin: `${two}\n` }
    )
    expect(cli.code).toBe(2)
    expect(cli.stderr).toContain('holds a line break')
    for (const part of two.split('\n')) expect(cli.stderr + cli.stdout).not.toContain(part)
  })
})

describe('registry text is shown, never obeyed as a workflow command', () => {
  let proxy: FaultProxy
  const marker = crypto.randomBytes(4).toString('hex')
  const injected = [
    'rejected by policy',
    `::error title=Injected ${marker}::the registry wrote this ${marker}`,
    `  ::save-state name=privateDir::/tmp/injected-${marker}`,
    `::add-mask::${marker}`,
    `text ##[set-output name=refs;]injected-${marker}`
  ].join('\n')

  beforeAll(async () => {
    proxy = await startFaultProxy(registry.host)
  })
  afterAll(async () => {
    await proxy?.stop()
  })

  function deniesManifest(): void {
    proxy.setRule(request =>
      request.method === 'PUT' && (request.url ?? '').includes('/manifests/')
        ? {
            // A failure no rule translates: the tool's words reach the log whole.
            status: 400,
            body: JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID', message: injected }] })
          }
        : 'pass'
    )
  }

  /**
   * The commands the runner would obey that came from the registry's text.
   * The step's own ::error:: may quote that text in its (escaped) data; one
   * that begins with it, or any other command holding the marker, is injected.
   */
  function obeyedInjections(output: string): string[] {
    return runnerCommands(output)
      .filter(command =>
        ['error', 'warning'].includes(command.name)
          ? command.properties.includes(marker) || command.data.startsWith('the registry wrote')
          : JSON.stringify(command).includes(marker)
      )
      .map(command => `${command.name} ${command.properties}::${command.data}`)
  }

  test('action: a registry error body with ::error, ::save-state, ::add-mask and ##[ lines', async () => {
    deniesManifest()
    const runner = actionJob({ PATH: `${envShims}:${process.env.PATH ?? ''}` })
    const result = await runner.main(
      inputs({ registry: `${proxy.host}/${PROJECT}`, 'destination-tag': 'inject-action' })
    )
    expectExit(result, 1)
    // The registry's words are in the log for the user to read...
    expect(result.stdout).toContain(`the registry wrote this ${marker}`)
    // ...and not one of them was obeyed: no error, no state, no mask, no output.
    expect(obeyedInjections(result.stdout + result.stderr)).toEqual([])
    expect(runner.state().privateDir).not.toContain('injected')
    expect(runner.outputs().refs ?? '').not.toContain('injected')
    // The step's own commands still work around the fenced text.
    const names = runnerCommands(result.stdout).map(command => command.name)
    expect(names).toEqual(expect.arrayContaining(['group', 'endgroup', 'error']))
  })

  test('command inside GitHub Actions: the same body on stderr is not obeyed either', async () => {
    deniesManifest()
    const cli = commandJob({
      PATH: `${envShims}:${process.env.PATH ?? ''}`,
      GITHUB_ACTIONS: 'true'
    })
    const result = await cli.run(
      [
        '-r',
        `${proxy.host}/${PROJECT}`,
        '-c',
        'podman',
        '-p',
        SOURCE_PATH,
        '-s',
        'v6.0.0',
        '-i',
        'apim-le-cache',
        '-d',
        'inject-cli',
        '-u',
        USER,
        '--password-stdin',
        '-t'
      ],
      { stdin: PASSWORD }
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`the registry wrote this ${marker}`)
    expect(obeyedInjections(result.stdout + result.stderr)).toEqual([])
  })
})

describe('a login written into a URL is never printed', () => {
  const URL_PASSWORD = `url-${crypto.randomBytes(8).toString('hex')}`

  test.each([
    ['with a scheme', `https://${USER}:${URL_PASSWORD}@REGISTRY/${PROJECT}/`],
    ['without a scheme', `${USER}:${URL_PASSWORD}@REGISTRY/${PROJECT}`]
  ])(
    'registry with user:password@ (%s): an input error that shows *** instead',
    async (_, form) => {
      const value = form.replace('REGISTRY', registry.host)
      const runner = actionJob()
      const result = await runner.main(inputs({ registry: value }))
      expectExit(result, 1)
      expect(result.stdout).toMatch(
        /::error::Invalid input: registry ".*\*\*\*@.*" carries a user name and password/
      )
      const shown = `${result.stdout}${result.stderr}`
        .split('\n')
        .filter(line => !line.startsWith('::add-mask::'))
        .join('\n')
      expect(shown).not.toContain(URL_PASSWORD)

      const cli = await commandJob().run(['-r', value, '-i', 'x:1', '-c', 'podman'])
      expect(cli.code).toBe(2)
      expect(cli.stderr).toContain('carries a user name and password')
      expect(cli.stderr + cli.stdout).not.toContain(URL_PASSWORD)
    }
  )

  test('helm-download-url with a login: helm is installed through it, and it is printed nowhere', async () => {
    const mirrorDir = path.join(root, 'mirror')
    fs.mkdirSync(mirrorDir, { recursive: true })
    await repackHelm(helmBinary(3), HELM_VERSIONS[3], mirrorDir)
    const mirrorUser = 'mirror-reader'
    const mirror = await serveFolder(
      mirrorDir,
      `Basic ${Buffer.from(`${mirrorUser}:${URL_PASSWORD}`).toString('base64')}`
    )
    try {
      const toolCache = path.join(root, 'tool-cache')
      const runner = actionJob({ PATH: pathWithoutHelm(), RUNNER_TOOL_CACHE: toolCache })
      const chart = writeChart(path.join(root, 'mirror-chart'), { name: 'mirror-chart' })
      const result = await runner.main({
        registry: `${registry.host}/${PROJECT}`,
        username: USER,
        password: PASSWORD,
        'tls-verify': 'false',
        charts: chart,
        'helm-download-url': mirror.url.replace('://', `://${mirrorUser}:${URL_PASSWORD}@`)
      })
      expectExit(result, 0)
      expect(result.stdout).toContain(`installing helm ${HELM_VERSIONS[3]}`)
      // The toolkit's debug lines name the URL it downloads.
      expect(result.stdout).toMatch(/::debug::Downloading http:\/\/127\.0\.0\.1:\d+\/helm-/)
      const shown = `${result.stdout}${result.stderr}`
        .split('\n')
        .filter(line => !line.startsWith('::add-mask::'))
        .join('\n')
      expect(shown).not.toContain(URL_PASSWORD)
      expect(mirror.requests.length).toBeGreaterThanOrEqual(2)
    } finally {
      await mirror.close()
    }
  })
})
