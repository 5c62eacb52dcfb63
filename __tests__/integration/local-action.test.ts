/**
 * Running the action locally, as the README says: `npm run local-action`
 * (@github/local-action running src/main.ts) with a .env made from
 * .env.example, against a real registry with podman.
 */
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { INPUT_NAMES } from '../../src/runner/inputs.js'
import { tempLeftovers } from '../../rig/action.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'

const root = path.resolve(import.meta.dirname, '../..')
const USER = 'robot$catalog-apps-org-proj+local'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const SOURCE_PATH = `localhost/hp-local-${crypto.randomBytes(4).toString('hex')}`
const IMAGES = ['apim-le-cache', 'apim-le-toolkit']

const example = fs.readFileSync(path.join(root, '.env.example'), 'utf8')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-local-action-'))
let registry: Registry

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER]: PASSWORD } })
  for (const image of IMAGES) await makeImage('podman', `${SOURCE_PATH}/${image}:v6.0.0`)
})

afterAll(async () => {
  for (const image of IMAGES) await removeImage('podman', `${SOURCE_PATH}/${image}:v6.0.0`)
  await registry?.stop()
  fs.rmSync(dir, { recursive: true, force: true })
})

test('.env.example sets only inputs that action.yml declares', () => {
  const named = [...example.matchAll(/^#? ?INPUT_([A-Z-]+)=/gm)].map(match =>
    match[1].toLowerCase()
  )
  expect(named.length).toBeGreaterThan(5)
  expect(named.filter(name => !(INPUT_NAMES as readonly string[]).includes(name))).toEqual([])
})

test('npm run local-action pushes with the inputs of a .env made from .env.example', async () => {
  const runnerTemp = path.join(dir, 'runner-temp')
  fs.mkdirSync(runnerTemp)
  const values: Record<string, string> = {
    INPUT_REGISTRY: `${registry.host}/local-action`,
    INPUT_USERNAME: USER,
    INPUT_PASSWORD: PASSWORD,
    'INPUT_CONTAINER-TOOL': 'podman',
    'INPUT_SOURCE-PATH': SOURCE_PATH,
    '# INPUT_TLS-VERIFY': 'INPUT_TLS-VERIFY',
    RUNNER_TEMP: runnerTemp
  }
  let env = example
  for (const [key, value] of Object.entries(values)) {
    const line = new RegExp(`^${key.replace(/[$]/g, '\\$&')}=.*$`, 'm')
    expect(env).toMatch(line)
    env = env.replace(line, key.startsWith('#') ? `${value}=false` : `${key}=${value}`)
  }
  const envFile = path.join(dir, '.env')
  fs.writeFileSync(envFile, env)

  // The npm script's own command line, with this .env.
  const script = (
    JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
  ).scripts['local-action']
  expect(script).toBe('local-action run . src/main.ts .env')
  const [bin, ...args] = script.replace(/\.env$/, envFile).split(' ')
  const { stdout } = await promisify(execFile)(path.join(root, 'node_modules/.bin', bin), args, {
    cwd: root,
    env: { ...process.env, GITHUB_ACTIONS: '', NO_COLOR: '1' },
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024
  })
  expect(stdout).toContain('2 pushed, 0 unchanged, 0 skipped, 0 failed')
  const images = /::set-output name=images::(.*)$/m.exec(stdout)?.[1] ?? '[]'
  const pushed = JSON.parse(images) as { destination: string; digest: string }[]
  expect(pushed).toHaveLength(2)
  for (const image of pushed) {
    const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
    const manifest = await getManifest(registry, repo, tag, { username: USER, password: PASSWORD })
    expect(manifest?.digest).toBe(image.digest)
  }
  expect(stdout).not.toContain(PASSWORD)
  expect(tempLeftovers(runnerTemp)).toEqual([])
})
