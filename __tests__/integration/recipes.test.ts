/**
 * The scripts of the README's matrix recipe (examples/workflows/matrix.yml),
 * each run as a runner runs a `run:` step (bash -eo pipefail), on what the
 * real action hands them: the plan job's split of a long image list, each
 * leg's hand-on of its `images` and `refs` outputs (two legs of the bundled
 * action pushing to a real registry), and the combine job's merge.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { parse } from 'yaml'
import { RunnerJob, expectExit, imagesOutput, type ImageOutput } from '../../rig/action.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type RunResult, requireTool, run } from '../../rig/tools.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const SOURCE_PATH = `localhost/hp-recipes-${crypto.randomBytes(4).toString('hex')}`
const RECIPE = path.join(import.meta.dirname, '../../examples/workflows/matrix.yml')

interface Step {
  id?: string
  name?: string
  run?: string
  env?: Record<string, string>
}
type Workflow = { jobs: Record<string, { steps: Step[] }> }

let registry: Registry
let work: string
const jobs: RunnerJob[] = []

beforeAll(async () => {
  requireTool('jq', 'apt-get install -y jq')
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-recipes-'))
  registry = await startRegistry({ users: { [USER]: PASSWORD } })
  for (const image of ['alpha', 'beta']) await makeImage('podman', `${SOURCE_PATH}/${image}:v1`)
}, 120_000)

afterAll(async () => {
  for (const image of ['alpha', 'beta']) await removeImage('podman', `${SOURCE_PATH}/${image}:v1`)
  await registry?.stop()
  for (const job of jobs) job.dispose()
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

/** A step of the recipe, found by a piece of its script. */
function recipeStep(job: string, scriptPart: string): Step & { run: string } {
  const workflow = parse(fs.readFileSync(RECIPE, 'utf8')) as Workflow
  const step = workflow.jobs[job].steps.find(candidate => candidate.run?.includes(scriptPart))
  if (!step?.run) throw new Error(`matrix.yml: job ${job} has no step running "${scriptPart}"`)
  return { ...step, run: step.run }
}

/** Runs a recipe script in `cwd` the way a runner's bash step does. */
function runScript(script: string, cwd: string, env: Record<string, string>): Promise<RunResult> {
  return run(
    'bash',
    ['--noprofile', '--norc', '-eo', 'pipefail', '-c', `cd "$0" && ${script}`, cwd],
    {
      env,
      allowFailure: true
    }
  )
}

test('plan: 85 names (and blank lines) are 3 groups of at most 40, in order, as matrix entries', async () => {
  const plan = recipeStep('plan', 'release/images.txt')
  const dir = fs.mkdtempSync(path.join(work, 'plan-'))
  const names = Array.from({ length: 85 }, (_, index) => `apim-image-${index}`)
  fs.mkdirSync(path.join(dir, 'release'))
  fs.writeFileSync(path.join(dir, 'release/images.txt'), `${names.join('\n')}\n\n  \n`)
  const output = path.join(dir, 'output')
  fs.writeFileSync(output, '')
  const result = await runScript(plan.run, dir, { GITHUB_OUTPUT: output })
  expect(result).toMatchObject({ code: 0, stderr: '' })
  const line = fs.readFileSync(output, 'utf8').trim()
  expect(line.startsWith('groups=')).toBe(true)
  const groups = JSON.parse(line.slice('groups='.length)) as { group: number; images: string }[]
  expect(groups.map(group => group.group)).toEqual([0, 1, 2])
  expect(groups.map(group => group.images.split(' ').length)).toEqual([40, 40, 5])
  expect(groups.flatMap(group => group.images.split(' '))).toEqual(names)
})

test('two legs hand their outputs on, and combine merges them: one images list, one refs list, one count', async () => {
  const handOn = recipeStep('push', 'out/images-')
  expect(handOn.env).toEqual({
    IMAGES: '${{ steps.push.outputs.images }}',
    REFS: '${{ steps.push.outputs.refs }}',
    GROUP: '${{ matrix.group }}'
  })
  const combine = recipeStep('combine', "jq -s 'add")
  // The plan job's output, as the plan script writes it for these two legs.
  expect(combine.env).toEqual({ PLAN: '${{ needs.plan.outputs.groups }}' })
  const plan = {
    PLAN: JSON.stringify([
      { group: 0, images: 'alpha' },
      { group: 1, images: 'beta' }
    ])
  }
  // download-artifact with merge-multiple: every leg's files in one folder.
  const merged = path.join(work, 'combine')
  fs.mkdirSync(path.join(merged, 'out'), { recursive: true })
  const legs: ImageOutput[][] = []
  const refs: string[] = []
  for (const [group, image] of ['alpha', 'beta'].entries()) {
    const job = new RunnerJob()
    jobs.push(job)
    const result = await job.main({
      registry: `${registry.host}/proj`,
      username: USER,
      password: PASSWORD,
      'container-tool': 'podman',
      'source-path': SOURCE_PATH,
      'source-tag': 'v1',
      images: image,
      'tls-verify': 'false'
    })
    expectExit(result, 0)
    legs.push(imagesOutput(result.outputs))
    refs.push(...result.outputs.refs.split('\n'))
    const leg = fs.mkdtempSync(path.join(work, `leg-${group}-`))
    const handed = await runScript(handOn.run, leg, {
      IMAGES: result.outputs.images,
      REFS: result.outputs.refs,
      GROUP: `${group}`
    })
    expect(handed).toMatchObject({ code: 0, stderr: '' })
    for (const file of fs.readdirSync(path.join(leg, 'out'))) {
      fs.copyFileSync(path.join(leg, 'out', file), path.join(merged, 'out', file))
    }
  }
  expect(fs.readdirSync(path.join(merged, 'out')).sort()).toEqual([
    'images-0.json',
    'images-1.json',
    'refs-0.txt',
    'refs-1.txt'
  ])

  const combined = await runScript(combine.run, merged, plan)
  expect(combined).toMatchObject({ code: 0, stderr: '' })
  expect(combined.stdout).toBe('2 pushed\n2 of 2 groups reported\n')
  expect(JSON.parse(fs.readFileSync(path.join(merged, 'images.json'), 'utf8'))).toEqual(legs.flat())
  expect(fs.readFileSync(path.join(merged, 'refs.txt'), 'utf8')).toBe(
    `${[...refs].sort().join('\n')}\n`
  )

  // A leg with a failed push: the combine job fails and names it.
  const failed = legs[1].map(entry => ({ ...entry, status: 'failed', digest: '' }))
  fs.writeFileSync(path.join(merged, 'out/images-1.json'), `${JSON.stringify(failed)}\n`)
  const failing = await runScript(combine.run, merged, plan)
  expect(failing.code).toBe(1)
  expect(failing.stdout).toBe(
    `1 failed, 1 pushed\n2 of 2 groups reported\n${failed[0].destination}\n`
  )

  // A leg whose step failed before pushing (bad input, a rejected login) hands
  // nothing on: the combine job fails and names the group, rather than
  // passing with half a release in images.json and refs.txt.
  for (const file of ['images-1.json', 'refs-1.txt']) fs.rmSync(path.join(merged, 'out', file))
  const short = await runScript(combine.run, merged, plan)
  expect(short).toMatchObject({ code: 1, stderr: '' })
  expect(short.stdout).toBe('1 pushed\n1 of 2 groups reported; nothing from group 1\n')

  // No leg handed anything on: the same words, not a jq error about a glob.
  fs.rmSync(path.join(merged, 'out'), { recursive: true })
  fs.mkdirSync(path.join(merged, 'out'))
  const none = await runScript(combine.run, merged, plan)
  expect(none).toMatchObject({ code: 1, stderr: '' })
  expect(none.stdout).toBe('\n0 of 2 groups reported; nothing from group 0 1\n')
})
