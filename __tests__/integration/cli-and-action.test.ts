/**
 * One core, two front ends: the bundled action (as a runner runs it) and the
 * bundled command, given the same inputs (the command's long flags are the
 * action's input names), make the same tool calls and report the same JSON.
 * Each pushes to its own project of one registry, so neither sees the
 * other's tags as "unchanged".
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { RunnerJob, expectExit, imagesOutput } from '../../rig/action.js'
import { CommandJob, expectStatus, jsonReport } from '../../rig/cli.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { type Shims, makeShims } from '../../rig/shims.js'

const USER = 'robot$catalog-apps-org-proj+same'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const SOURCE_PATH = `localhost/hp-same-${crypto.randomBytes(4).toString('hex')}`
const REFS = ['apim-le-cache:v6.0.0', 'apim-le-toolkit:v6.0.0', 'apim-le-configui:v6.1.0']

let registry: Registry
let shims: Shims
let defaultsFile: string
const cleanup: { dispose(): void }[] = []

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER]: PASSWORD } })
  for (const ref of REFS) await makeImage('podman', `${SOURCE_PATH}/${ref}`)
  shims = makeShims(['podman'])
  cleanup.push(shims)
  const dir = fs.mkdtempSync(path.join(path.dirname(shims.dir), 'hp-same-'))
  cleanup.push({ dispose: () => fs.rmSync(dir, { recursive: true, force: true }) })
  defaultsFile = path.join(dir, 'product.env')
  fs.writeFileSync(
    defaultsFile,
    `IMAGES=(apim-le-cache apim-le-toolkit)\nSOURCE_PATH=${SOURCE_PATH}\nSOURCE_TAG=v6.0.0\nCONTAINER_TOOL=docker\n`
  )
})

afterAll(async () => {
  for (const ref of REFS) await removeImage('podman', `${SOURCE_PATH}/${ref}`)
  await registry?.stop()
  for (const item of cleanup) item.dispose()
})

/** The same inputs for both, but the project. */
function inputs(project: string): Record<string, string> {
  return {
    registry: `${registry.host}/${project}`,
    'container-tool': 'podman',
    'defaults-file': defaultsFile,
    images: 'apim-le-cache apim-le-toolkit\napim-le-configui:v6.1.0',
    'destination-tag': 'v6.0.0, stable',
    'tls-verify': 'false',
    parallel: '2',
    retries: '1',
    username: USER
  }
}

/** Tool calls with what differs by nature (the private folder, the project, the order) written the same. */
function normalised(calls: string[], project: string): string[] {
  return calls
    .map(call =>
      call
        .replace(/\S*\/harbor-push-[A-Za-z0-9]+/g, '<private>')
        // Numbered in the order pushes start, which parallel pushes do not fix.
        .replace(/digest-\d+/g, 'digest-<n>')
        .split(project)
        .join('<project>')
    )
    .sort()
}

test('the action and the command push the same, and say the same', async () => {
  const callsBefore = shims.calls().length
  const runner = new RunnerJob({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
  cleanup.push(runner)
  const action = await runner.main({ ...inputs('same-action'), password: PASSWORD })
  expectExit(action, 0)
  const actionCalls = shims.calls().slice(callsBefore)

  const command = new CommandJob({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
  cleanup.push(command)
  const flags = Object.entries(inputs('same-command')).flatMap(([name, value]) => [
    `--${name}`,
    value
  ])
  const subjectsFile = path.join(command.root, 'subjects.sha256')
  const result = await command.run(
    [...flags, '--password-stdin', '--json', '--subject-checksums', subjectsFile],
    { stdin: PASSWORD }
  )
  expectStatus(result, 0)
  const commandCalls = shims.calls().slice(callsBefore + actionCalls.length)

  // The same pushes: every podman call, argv for argv.
  expect(actionCalls.filter(call => call.startsWith('podman push'))).toHaveLength(6)
  expect(normalised(commandCalls, 'same-command')).toEqual(normalised(actionCalls, 'same-action'))

  // The same JSON: the command's images/charts/refs are the action's outputs.
  const report = jsonReport(result)
  const actionImages = imagesOutput(action.outputs)
  expect(actionImages).toHaveLength(6)
  expect(
    JSON.parse(JSON.stringify(report.images).split('same-command').join('same-action'))
  ).toEqual(actionImages)
  expect(report.charts).toEqual(JSON.parse(action.outputs.charts))
  expect(report.refs.map(ref => ref.split('same-command').join('same-action'))).toEqual(
    action.outputs.refs.split('\n')
  )
  expect(report.counts).toEqual({ pushed: 6, unchanged: 0, skipped: 0, failed: 0 })
  // The same attestation subjects: --subject-checksums FILE holds what the action's file holds.
  const actionSubjects = fs.readFileSync(action.outputs['subject-checksums'], 'utf8')
  expect(actionSubjects.split('\n')).toHaveLength(4)
  expect(fs.readFileSync(subjectsFile, 'utf8').split('same-command').join('same-action')).toBe(
    actionSubjects
  )
  expect(report.subjectChecksums.map(line => `${line}\n`).join('')).toBe(
    fs.readFileSync(subjectsFile, 'utf8')
  )

  // And what they say is what the registry holds.
  for (const image of report.images) {
    const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
    const manifest = await getManifest(registry, repo, tag, { username: USER, password: PASSWORD })
    expect(manifest?.digest).toBe(image.digest)
  }
  // Both took the defaults file the same way.
  const note = `Defaults from ${defaultsFile}: source-path, source-tag; given explicitly: images, container-tool`
  expect(action.stdout).toContain(note)
  expect(result.stderr).toContain(note)
})
