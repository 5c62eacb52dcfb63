/**
 * The command with charts and real helm: the actions toolkit behind charts
 * (glob, tool-cache) prints `::debug::` workflow commands on stdout, which
 * must never reach the command's stdout (the --json report) nor, outside
 * GitHub Actions, its terminal.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { CommandJob, expectStatus, jsonReport } from '../../rig/cli.js'
import { helmBinary, pathWithHelm, writeChart } from '../../rig/helm.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { chartYaml, hugeChartTgz, tgzOf } from '../../rig/tgz.js'

const USER = 'robot$catalog-apps-org-proj+charts'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`

let registry: Registry
let job: CommandJob

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER]: PASSWORD } })
  job = new CommandJob()
  job.env.PATH = pathWithHelm(helmBinary(3), path.join(job.root, 'helm-bin'))
})

afterAll(async () => {
  await registry?.stop()
  job?.dispose()
})

test('charts from a glob: the JSON report alone on stdout, no workflow commands anywhere', async () => {
  const charts = path.join(job.root, 'charts')
  writeChart(path.join(charts, 'gateway'), { name: 'gateway', version: '6.0.0' })
  writeChart(path.join(charts, 'portal'), { name: 'portal', version: '6.0.0' })
  const result = await job.run(
    [
      '-r',
      `${registry.host}/charts-cli`,
      '-t',
      '--charts',
      `${charts}/*`,
      '-u',
      USER,
      '--password-stdin',
      '--json'
    ],
    { stdin: PASSWORD }
  )
  expectStatus(result, 0)
  const report = jsonReport(result)
  expect(report.images).toEqual([])
  expect(report.charts).toEqual(
    ['gateway', 'portal'].map(name =>
      expect.objectContaining({
        chart: name,
        version: '6.0.0',
        reference: `oci://${registry.host}/charts-cli/${name}:6.0.0`,
        status: 'pushed'
      })
    )
  )
  for (const chart of report.charts as { chart: string; digest: string }[]) {
    const manifest = await getManifest(registry, `charts-cli/${chart.chart}`, '6.0.0', {
      username: USER,
      password: PASSWORD
    })
    expect(manifest?.digest).toBe(chart.digest)
  }
  expect(result.stdout + result.stderr).not.toMatch(/^::/m)
  expect(result.stdout + result.stderr).not.toContain(PASSWORD)
  expect(fs.readdirSync(job.tmp)).toEqual([])
})

test.each([
  [
    'a ../ entry',
    () =>
      tgzOf([
        { name: 'dotdot/Chart.yaml', body: chartYaml('dotdot') },
        { name: '../../x', body: 'x' }
      ]),
    /entry "\.\.\/\.\.\/x" reaches outside the chart \(helm: "chart illegally references parent directory"\)/
  ],
  [
    'a 200 MiB Chart.yaml',
    () => hugeChartTgz('dotdot', 200),
    /it unpacks to more than 128 MiB; helm reads at most 100 MiB of files/
  ]
])(
  'a packaged chart with %s is an input error (exit 2) within seconds; nothing pushed or left behind',
  async (_label, archive, message) => {
    const file = path.join(job.root, 'dotdot-1.0.0.tgz')
    fs.writeFileSync(file, archive())
    const started = Date.now()
    const result = await job.run(
      ['-r', `${registry.host}/charts-bad`, '-t', '--charts', file, '-u', USER, '--password-stdin'],
      { stdin: PASSWORD }
    )
    expectStatus(result, 2)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(result.stderr).toMatch(message)
    expect(
      await listTags(registry, 'charts-bad/dotdot', { username: USER, password: PASSWORD })
    ).toEqual([])
    expect(fs.readdirSync(job.tmp)).toEqual([])
  }
)
