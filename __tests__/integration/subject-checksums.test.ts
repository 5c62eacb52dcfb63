/**
 * The `subject-checksums` output end to end: the bundled action pushes two
 * images under two tags each and a chart to a real registry with real podman
 * and helm; the file it names is what actions/attest-build-provenance reads,
 * and every digest in it is the one the registry serves.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import {
  RunnerJob,
  SUBJECT_CHECKSUMS_FILE,
  expectExit,
  filesContaining,
  imagesOutput,
  tempLeftovers
} from '../../rig/action.js'
import { helmBinary, helmPackage, pathWithHelm, writeChart } from '../../rig/helm.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'

const USER = 'robot$catalog-apps-org-proj+ci'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const AUTH = { username: USER, password: PASSWORD }
const SECRET_FORMS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]
const SOURCE_PATH = `localhost/hp-subjects-${crypto.randomBytes(4).toString('hex')}`
const PROJECT = 'catalog-apps-org-proj'
const IMAGES = ['apim-le-cache', 'apim-le-toolkit']
const TAGS = ['v6.0.0', 'stable']

let registry: Registry
let ws: string
let helmPath: string
let chartTgz: string
let job: RunnerJob

beforeAll(async () => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-subjects-'))
  const helm = helmBinary(3)
  helmPath = pathWithHelm(helm, path.join(ws, 'bin'))
  // A packaged chart: the same bytes on the second run, so it is unchanged there.
  chartTgz = await helmPackage(
    helm,
    writeChart(path.join(ws, 'charts/app'), { name: 'app', version: '1.2.3' }),
    path.join(ws, 'dist')
  )
  registry = await startRegistry({ users: { [USER]: PASSWORD } })
  for (const image of IMAGES) await makeImage('podman', `${SOURCE_PATH}/${image}:v6.0.0`)
})

afterAll(async () => {
  for (const image of IMAGES) await removeImage('podman', `${SOURCE_PATH}/${image}:v6.0.0`)
  await registry?.stop()
  job?.dispose()
  if (ws) fs.rmSync(ws, { recursive: true, force: true })
})

function inputs(): Record<string, string> {
  return {
    registry: `${registry.host}/${PROJECT}`,
    username: USER,
    password: PASSWORD,
    'container-tool': 'podman',
    'source-path': SOURCE_PATH,
    'source-tag': 'v6.0.0',
    'destination-tag': TAGS.join(' '),
    images: IMAGES.join(' '),
    charts: chartTgz,
    'tls-verify': 'false'
  }
}

/** The file's lines, each checked against the `sha256sum` format: `<64 hex>  <name>`. */
function subjectLines(file: string): { hex: string; name: string }[] {
  const text = fs.readFileSync(file, 'utf8')
  expect(text.endsWith('\n')).toBe(true)
  return text
    .slice(0, -1)
    .split('\n')
    .map(line => {
      expect(line).toMatch(/^[0-9a-f]{64} {2}\S+$/)
      const [hex, name] = line.split('  ')
      return { hex, name }
    })
}

/** Every line's digest is what the registry serves for each tag of that repository. */
async function expectServedByRegistry(lines: { hex: string; name: string }[]): Promise<void> {
  const prefix = `${registry.host}/${PROJECT}`
  expect(lines.map(line => line.name)).toEqual([
    ...IMAGES.map(image => `${prefix}/${image}`),
    `${prefix}/app`
  ])
  for (const { hex, name } of lines) {
    const repository = name.slice(`${registry.host}/`.length)
    const tags = name.endsWith('/app') ? ['1.2.3'] : TAGS
    for (const tag of tags) {
      expect((await getManifest(registry, repository, tag, AUTH))?.digest).toBe(`sha256:${hex}`)
    }
  }
}

test('one attest step covers every image and chart: the file names each repository once with the digest the registry serves', async () => {
  job = new RunnerJob({ PATH: helmPath })
  const first = await job.main(inputs())
  expectExit(first, 0)
  expect(first.stdout).toContain('5 pushed, 0 unchanged, 0 skipped, 0 failed')
  expect(imagesOutput(first.outputs)).toHaveLength(4)

  // The step has ended and the file is still there, in RUNNER_TEMP, for the attest step.
  const file = first.outputs['subject-checksums']
  expect(path.dirname(file)).toBe(job.runnerTemp)
  expect(path.basename(file)).toMatch(SUBJECT_CHECKSUMS_FILE)
  expect(fs.existsSync(file)).toBe(true)
  // Two tags of one image are one subject: two images and a chart, three lines.
  const lines = subjectLines(file)
  expect(lines).toHaveLength(3)
  await expectServedByRegistry(lines)
  // The same digests as the refs output, which names each tag.
  expect(
    first.outputs.refs
      .split('\n')
      .map(ref => ref.split('@sha256:')[1])
      .filter((hex, index, all) => all.indexOf(hex) === index)
  ).toEqual(lines.map(line => line.hex))

  // The private login is gone; the subject file holds no secret, nor does anything else.
  expect(tempLeftovers(job.runnerTemp)).toEqual([])
  expect(filesContaining(job.root, SECRET_FORMS)).toEqual([])

  // A second step of the same job: everything unchanged, still listed, in a file of its own.
  const second = await job.main(inputs())
  expectExit(second, 0)
  expect(second.stdout).toContain('0 pushed, 5 unchanged, 0 skipped, 0 failed')
  const again = second.outputs['subject-checksums']
  expect(again).not.toBe(file)
  expect(path.dirname(again)).toBe(job.runnerTemp)
  expect(subjectLines(again)).toEqual(lines)
  await expectServedByRegistry(subjectLines(again))
  // The first step's file is left as it was.
  expect(subjectLines(file)).toEqual(lines)
  expect(fs.readdirSync(job.runnerTemp).sort()).toEqual(
    [path.basename(file), path.basename(again)].sort()
  )
  expect(filesContaining(job.root, SECRET_FORMS)).toEqual([])
})
