/**
 * A run stopped half way, with real parts: the bundled command and action,
 * real podman and a real docker engine, a real registry behind a front of
 * our own that holds the tools' login answer back. Whatever the tools were
 * doing when the run was stopped must not finish afterwards: no login may
 * write an auth file once the private folder was removed, and a temporary
 * docker tag made for a push must not stay in local storage.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import type http from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, filesContaining } from '../../rig/action.js'
import { CommandJob } from '../../rig/cli.js'
import { type Dockerd, startDockerd } from '../../rig/dockerd.js'
import { type FaultProxy, startFaultProxy } from '../../rig/fault-proxy.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'
import { run, sleep, waitFor } from '../../rig/tools.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const SECRET_FORMS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]
const SOURCE_PATH = `localhost/hp-stop-${crypto.randomBytes(4).toString('hex')}`
/** How long the front holds a tool's login answer back: the orphan's login ends after that. */
const LOGIN_STALL_MS = 6_000

let registry: Registry
let front: FaultProxy
let dockerd: Dockerd
let shims: Shims
const cleanups: (() => unknown)[] = []

/**
 * A login attempt by the tool itself (podman, or the docker engine for
 * `docker login`): credentials on `/v2/` from a client that is not this
 * project's own registry check (Node's fetch says "node").
 */
function isToolLogin(request: http.IncomingMessage): boolean {
  const agent = request.headers['user-agent'] ?? ''
  return (
    request.url === '/v2/' &&
    request.headers.authorization !== undefined &&
    !/^(node|undici)/i.test(agent)
  )
}

beforeAll(async () => {
  ;[registry, dockerd] = await Promise.all([
    startRegistry({ users: { [USER]: PASSWORD } }),
    startDockerd()
  ])
  front = await startFaultProxy(registry.host)
  shims = makeShims(['docker', 'podman'])
  await makeImage('podman', `${SOURCE_PATH}/apim-le-cache:v1`)
  await makeImage('docker', `${SOURCE_PATH}/apim-le-cache:v1`, { env: dockerd.env })
}, 180_000)

afterAll(async () => {
  await removeImage('podman', `${SOURCE_PATH}/apim-le-cache:v1`)
  for (const cleanup of cleanups) await cleanup()
  await Promise.all([front?.stop(), registry?.stop(), dockerd?.stop()])
  shims?.dispose()
})

beforeEach(() => {
  front.requests.length = 0
  front.setRule(request => (isToolLogin(request) ? { stallMs: LOGIN_STALL_MS } : 'pass'))
})

/** Resolves once the tool's login reached the registry front (and is being held there). */
async function loginHeld(output: () => string): Promise<void> {
  const seen = (): boolean => front.requests.some(request => request.fault.includes('stallMs'))
  if (!(await waitFor(seen, 60_000)))
    throw new Error(`the tool never tried to log in:\n${output()}`)
}

/** Long enough for a login left running to get its answer and write its auth file. */
const orphanDone = (): Promise<void> => sleep(LOGIN_STALL_MS + 4_000)

function commandJob(tool: 'docker' | 'podman'): CommandJob {
  const job = new CommandJob({
    PATH: `${shims.dir}:${process.env.PATH ?? ''}`,
    ...(tool === 'docker' ? dockerd.env : {})
  })
  cleanups.push(() => job.dispose())
  return job
}

function runnerJob(tool: 'docker' | 'podman', env: Record<string, string> = {}): RunnerJob {
  const job = new RunnerJob({
    PATH: `${shims.dir}:${process.env.PATH ?? ''}`,
    ...(tool === 'docker' ? dockerd.env : {}),
    ...env
  })
  cleanups.push(() => job.dispose())
  return job
}

function commandArgs(tool: 'docker' | 'podman', project: string): string[] {
  return [
    ...['-r', `${front.host}/${project}`, '-c', tool, '-t'],
    ...['-p', SOURCE_PATH, '-s', 'v1', '-i', 'apim-le-cache'],
    ...['-u', USER, '--password-stdin']
  ]
}

describe('the command stopped by a signal while the tool logs in', () => {
  test.each([
    ['podman', 'SIGTERM', 143],
    ['docker', 'SIGINT', 130]
  ] as const)(
    '%s login + %s: the login is stopped before the private folder goes, and never writes',
    async (tool, signal, status) => {
      const job = commandJob(tool)
      const command = job.start(commandArgs(tool, `stop-${tool}`), { stdin: PASSWORD })
      try {
        await loginHeld(() => command.output())
        command.signal(signal)
        const result = await command.wait()
        expect(result.code).toBe(status)
        await orphanDone()
        expect(fs.readdirSync(job.tmp)).toEqual([])
        expect(filesContaining(job.root, SECRET_FORMS)).toEqual([])
      } finally {
        command.killGroup()
      }
    }
  )
})

describe('the action main step killed while the tool logs in', () => {
  test.each(['podman', 'docker'] as const)(
    '%s: SIGKILL to the main step only, then the post step: no login is left behind',
    async tool => {
      const job = runnerJob(tool)
      const step = job.start({
        registry: `${front.host}/killed-${tool}`,
        username: USER,
        password: PASSWORD,
        'container-tool': tool,
        'tls-verify': 'false',
        'source-path': SOURCE_PATH,
        'source-tag': 'v1',
        images: 'apim-le-cache'
      })
      await loginHeld(() => step.output())
      // The runner kills the step's node process only: what it started lives on.
      step.killMainOnly()
      await step.wait()
      const privateDir = job.state().privateDir
      expect(privateDir).toMatch(/harbor-push-/)

      expectExit(await job.post(), 0)
      await orphanDone()
      expect(fs.existsSync(privateDir)).toBe(false)
      expect(fs.readdirSync(job.runnerTemp)).toEqual([])
      expect(filesContaining(job.root, SECRET_FORMS)).toEqual([])
    }
  )
})

describe('the action main step cancelled while the tool logs in', () => {
  test('SIGINT (the runner cancels): the step stops its tools and removes the login itself', async () => {
    const job = runnerJob('podman')
    const step = job.start({
      registry: `${front.host}/cancelled`,
      username: USER,
      password: PASSWORD,
      'container-tool': 'podman',
      'tls-verify': 'false',
      'source-path': SOURCE_PATH,
      'source-tag': 'v1',
      images: 'apim-le-cache'
    })
    await loginHeld(() => step.output())
    // GitHub's runner sends SIGINT to the step's process only.
    step.signal('SIGINT')
    const result = await step.wait()
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      '::error::harbor-push: stopped by SIGINT; the private login was removed'
    )
    const privateDir = job.state().privateDir
    expect(fs.existsSync(privateDir)).toBe(false)
    await orphanDone()
    expect(fs.readdirSync(job.runnerTemp)).toEqual([])
    expect(filesContaining(job.root, SECRET_FORMS)).toEqual([])
    expectExit(await job.post(), 0)
  })
})

describe('docker: the temporary destination tag of a push', () => {
  const destination = (project: string): string => `${front.host}/${project}/apim-le-cache:v1`
  const tagExists = async (ref: string): Promise<boolean> =>
    (await run('docker', ['image', 'inspect', ref], { env: dockerd.env, allowFailure: true }))
      .code === 0

  beforeEach(() => front.setRule(() => 'pass'))

  test('a main step killed mid-push leaves it to the post step, which removes it', async () => {
    const job = runnerJob('docker', { HP_SHIM_HANG_ON: 'push' })
    cleanups.push(() =>
      run('docker', ['image', 'rm', destination('tag-killed')], {
        env: dockerd.env,
        allowFailure: true
      })
    )
    const step = job.start({
      registry: `${front.host}/tag-killed`,
      username: USER,
      password: PASSWORD,
      'container-tool': 'docker',
      'tls-verify': 'false',
      'source-path': SOURCE_PATH,
      'source-tag': 'v1',
      images: 'apim-le-cache'
    })
    const pushing = (): boolean =>
      shims.calls().some(call => call.startsWith(`docker push ${destination('tag-killed')}`))
    if (!(await waitFor(pushing, 60_000))) throw new Error(`no push:\n${step.output()}`)
    await step.kill()
    expect(await tagExists(destination('tag-killed'))).toBe(true)

    expectExit(await job.post(), 0)
    expect(await tagExists(destination('tag-killed'))).toBe(false)
    expect(await tagExists(`${SOURCE_PATH}/apim-le-cache:v1`)).toBe(true)
  })

  test('the command stopped mid-push removes it before it exits', async () => {
    const job = new CommandJob({
      PATH: `${shims.dir}:${process.env.PATH ?? ''}`,
      HP_SHIM_HANG_ON: 'push',
      ...dockerd.env
    })
    cleanups.push(() => job.dispose())
    cleanups.push(() =>
      run('docker', ['image', 'rm', destination('tag-stopped')], {
        env: dockerd.env,
        allowFailure: true
      })
    )
    const command = job.start(commandArgs('docker', 'tag-stopped'), { stdin: PASSWORD })
    try {
      const pushing = (): boolean =>
        shims.calls().some(call => call.startsWith(`docker push ${destination('tag-stopped')}`))
      if (!(await waitFor(pushing, 60_000))) throw new Error(`no push:\n${command.output()}`)
      command.signal('SIGTERM')
      const result = await command.wait()
      expect(result.code).toBe(143)
      expect(result.stderr).toContain('harbor-push: stopped by SIGTERM')
      expect(result.stderr).not.toContain('could not put the local tag')
      expect(await tagExists(destination('tag-stopped'))).toBe(false)
      expect(await tagExists(`${SOURCE_PATH}/apim-le-cache:v1`)).toBe(true)
    } finally {
      command.killGroup()
    }
  })
})
