/**
 * The GitLab and Jenkins examples (examples/gitlab-ci.yml,
 * examples/Jenkinsfile), run as those CIs would run them: the job's script
 * lines with bash, in a checkout with a Containerfile, with the variables
 * GitLab's Harbor integration or Jenkins' withCredentials set, against a
 * real registry (TLS, basic auth) with real podman. What they pushed is read
 * back from the registry.
 *
 * One thing differs from a real job, and only the install location: the
 * examples install harbor-push from a release checkout with a link to its
 * dist/cli/index.js on PATH. Here that link points at this checkout's bundle
 * (and `node` at the Node 24 the bundle runs under); the script lines run
 * exactly as written.
 */
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import YAML from 'yaml'
import { bundleNode } from '../../rig/action.js'
import { CLI_BUNDLE } from '../../rig/cli.js'
import { imageId, removeImage } from '../../rig/images.js'
import { exitWithin } from '../../rig/limit.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `ci-${crypto.randomBytes(12).toString('hex')}`
const AUTH = { username: USER, password: PASSWORD }
// The shared podman store: a tag of this run's own keeps runs apart.
const TAG = `v1.0.${crypto.randomInt(1_000_000)}`

const example = (name: string): string =>
  fs.readFileSync(fileURLToPath(new URL(`../../examples/${name}`, import.meta.url)), 'utf8')

let registry: Registry
let root: string
/** The environment every CI job here starts with: PATH with harbor-push, a HOME trusting the registry's CA. */
let machine: Record<string, string>
/** The job's checkout: a Containerfile to build. */
let checkout: string

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER]: PASSWORD }, tls: true })
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-other-ci-'))
  // The examples' `ln -s <release checkout>/dist/cli/index.js <a folder on PATH>/harbor-push`, for this checkout.
  const bin = path.join(root, 'bin')
  fs.mkdirSync(bin)
  fs.symlinkSync(CLI_BUNDLE, path.join(bin, 'harbor-push'))
  fs.symlinkSync(bundleNode(), path.join(bin, 'node'))
  // The machine trusts the registry's self-signed CA, as a runner trusts its Harbor's:
  // podman through certs.d in HOME, node (the command's own registry calls) through NODE_EXTRA_CA_CERTS.
  const home = path.join(root, 'home')
  const certs = path.join(home, '.config/containers/certs.d', registry.host)
  fs.mkdirSync(certs, { recursive: true })
  fs.copyFileSync(registry.caFile ?? '', path.join(certs, 'ca.crt'))
  const tmp = path.join(root, 'tmp')
  fs.mkdirSync(tmp)
  machine = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: home,
    TMPDIR: tmp,
    NODE_EXTRA_CA_CERTS: registry.caFile ?? ''
  }
  checkout = path.join(root, 'checkout')
  fs.mkdirSync(checkout)
  fs.writeFileSync(path.join(checkout, 'app.bin'), crypto.randomBytes(4096))
  fs.writeFileSync(path.join(checkout, 'Containerfile'), 'FROM scratch\nCOPY app.bin /app.bin\n')
}, 60_000)

afterAll(async () => {
  await removeImage('podman', `localhost/apim/apim-le-cache:${TAG}`)
  await registry?.stop()
  if (root) fs.rmSync(root, { recursive: true, force: true })
})

interface Ran {
  code: number
  output: string
}

/** Runs `args` with bash in the checkout, with only `env` (as a CI runner gives a job). */
async function bash(args: string[], env: Record<string, string>): Promise<Ran> {
  const child = spawn('bash', args, { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const code = await exitWithin(
    new Promise<number>(resolve => child.on('close', status => resolve(status ?? -1))),
    () => child.kill('SIGKILL'),
    () => output
  )
  return { code, output }
}

/** The tags pushed, and that they hold the image the job built. */
async function expectPushed(project: string): Promise<void> {
  const repository = `${project}/apim-le-cache`
  expect((await listTags(registry, repository, AUTH)).sort()).toEqual([TAG, 'latest'].sort())
  const built = await imageId('podman', `localhost/apim/apim-le-cache:${TAG}`)
  for (const tag of [TAG, 'latest']) {
    expect((await getManifest(registry, repository, tag, AUTH))?.configDigest).toBe(built)
  }
}

describe('GitLab: examples/gitlab-ci.yml', () => {
  test("the push-images job's script, with the Harbor integration's variables, pushes both tags", async () => {
    const job = (YAML.parse(example('gitlab-ci.yml')) as Record<string, GitLabJob>)['push-images']
    // What the test replaces: the install (before_script) puts harbor-push on PATH.
    expect(job.before_script).toContainEqual(
      expect.stringMatching(/^ln -s \S+\/dist\/cli\/index\.js \/usr\/local\/bin\/harbor-push$/)
    )
    expect(job.script).toEqual(expect.arrayContaining([expect.stringMatching(/^harbor-push /)]))
    const project = 'gitlab-project'
    // GitLab runs the script lines in one bash, stopping at the first failure.
    const ran = await bash(['-c', ['set -eo pipefail', ...job.script].join('\n')], {
      ...machine,
      ...job.variables,
      CI: 'true',
      GITLAB_CI: 'true',
      CI_COMMIT_TAG: TAG,
      // The Harbor integration's variables; its HARBOR_HOST may be a URL.
      HARBOR_HOST: registry.url,
      HARBOR_PROJECT: project,
      HARBOR_USERNAME: USER,
      HARBOR_PASSWORD: PASSWORD
    })
    expect(ran).toMatchObject({ code: 0 })
    await expectPushed(project)
    expect(ran.output).toContain(
      `warning: HARBOR_HOST: registry "${registry.url}": dropped the scheme "https://"`
    )
    expect(ran.output).toContain(
      `From the Harbor variables: registry ${registry.host}/${project} (HARBOR_HOST, HARBOR_PROJECT); username ${USER} (HARBOR_USERNAME)`
    )
    expect(ran.output).not.toContain(PASSWORD)
  })
})

interface GitLabJob {
  variables?: Record<string, string>
  before_script: string[]
  script: string[]
}

/** One `sh '...'` step of a Jenkinsfile, and whether it runs inside withCredentials. */
interface ShStep {
  script: string
  withCredentials: boolean
}

/**
 * The `sh` steps of a declarative Jenkinsfile, in order. Only the form the
 * example uses is read (`sh '<script>'` on a line of its own); any other `sh`
 * line fails the test rather than being left out.
 */
function shSteps(jenkinsfile: string): ShStep[] {
  const steps: ShStep[] = []
  let depth = 0
  let credentialsDepth: number | undefined
  for (const line of jenkinsfile.split('\n')) {
    const code = line.replace(/^\s*\/\/.*$/, '')
    if (/^\s*sh\b/.test(code)) {
      const step = /^\s*sh '([^'\\]*)'\s*$/.exec(code)
      if (!step) throw new Error(`an sh step this test cannot read: ${line.trim()}`)
      steps.push({ script: step[1], withCredentials: credentialsDepth !== undefined })
    }
    if (/\bwithCredentials\(/.test(code)) credentialsDepth = depth
    depth += (code.match(/{/g) ?? []).length - (code.match(/}/g) ?? []).length
    if (credentialsDepth !== undefined && depth <= credentialsDepth) credentialsDepth = undefined
  }
  return steps
}

describe('Jenkins: examples/Jenkinsfile', () => {
  test('the sh steps, with the environment and withCredentials variables, push both tags', async () => {
    const jenkinsfile = example('Jenkinsfile')
    const environment = /environment \{([^}]*)\}/.exec(jenkinsfile)?.[1] ?? ''
    const declared = [...environment.matchAll(/^\s*(\w+) = '[^']*'$/gm)].map(match => match[1])
    expect(declared.sort()).toEqual(['HARBOR_HOST', 'HARBOR_PROJECT'])
    const binding = /usernamePassword\(([^)]*)\)/.exec(jenkinsfile)?.[1] ?? ''
    const usernameVariable = /usernameVariable: '(\w+)'/.exec(binding)?.[1] ?? ''
    const passwordVariable = /passwordVariable: '(\w+)'/.exec(binding)?.[1] ?? ''
    expect([usernameVariable, passwordVariable]).toEqual(['HARBOR_USERNAME', 'HARBOR_PASSWORD'])

    const steps = shSteps(jenkinsfile)
    expect(steps.map(step => [step.script.split(' ')[0], step.withCredentials])).toEqual([
      ['podman', false],
      ['harbor-push', true]
    ])
    const project = 'jenkins-project'
    for (const step of steps) {
      // Jenkins runs each sh step in a shell of its own with -xe; the environment block's
      // values point at this registry, and withCredentials adds its variables inside the block.
      const ran = await bash(['-xe', '-c', step.script], {
        ...machine,
        JENKINS_URL: 'http://127.0.0.1:8080/',
        TAG_NAME: TAG,
        HARBOR_HOST: registry.host,
        HARBOR_PROJECT: project,
        ...(step.withCredentials ? { [usernameVariable]: USER, [passwordVariable]: PASSWORD } : {})
      })
      expect(ran).toMatchObject({ code: 0 })
      expect(ran.output).not.toContain(PASSWORD)
    }
    await expectPushed(project)
  })
})
