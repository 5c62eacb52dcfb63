import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import type { PreparedChart } from '../../src/charts/prepare.js'
import { InputError, PushError } from '../../src/errors.js'
import type { Log } from '../../src/log.js'
import { chartBatch } from '../../src/push/adapters/chart.js'
import {
  type PipelineOptions,
  type PipelineSettings,
  preparePush
} from '../../src/push/pipeline.js'
import { findCharts } from '../../src/push/push-charts.js'
import type { Credentials, Settings } from '../../src/settings/settings.js'
import type { Helm, HelmPushResult } from '../../src/tools/helm.js'
import type { HelmLocation } from '../../src/tools/helm-install.js'
import { makeChartFolder } from './chart-fixtures.js'
import { collectingLog } from './collecting-log.js'
import { FakeRunner, toolError } from './fake-runner.js'

const HOST = 'registry-oci.example.com'
const PROJECT = 'catalog-apps-org-proj'
const PREFIX = `${HOST}/${PROJECT}`
const CREDENTIALS: Credentials = { username: 'robot$proj+ci', password: 'cli-secret-77' }
const digest = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-push-charts-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

type PushSettings = PipelineSettings

/** The charts through the push pipeline, with nothing known of their tags (as without registry access). */
async function pushCharts(
  settings: PushSettings,
  helm: Pick<Helm, 'login' | 'push'>,
  charts: PreparedChart[],
  log: Log,
  options: PipelineOptions = {}
) {
  const push = await preparePush(
    [chartBatch(charts, settings.registry, helm)],
    settings,
    log,
    options
  )
  const report = await push.push({ states: charts.map(() => ({ kind: 'unknown' })) })
  return report.charts
}

function settings(extra: Partial<PushSettings> = {}): PushSettings {
  return {
    registry: { host: HOST, path: PROJECT, prefix: PREFIX },
    credentials: CREDENTIALS,
    parallel: 2,
    retries: 2,
    dryRun: false,
    ifExists: 'overwrite',
    ...extra
  }
}

/** A packaged chart: its .tgz exists (the pipeline reads its digest), with made-up bytes. */
function chart(name: string, version: string): PreparedChart {
  const file = path.join(root, `${name}-${version}.tgz`)
  fs.writeFileSync(file, `${name} ${version}`)
  return {
    name,
    version,
    file,
    dependencies: 'none',
    source: { kind: 'tgz', path: file, entry: '*.tgz' }
  }
}

/** A helm whose push answers from `reply`; records logins and pushes, and the most at once. */
function fakeHelm(reply: (file: string, attempt: number) => HelmPushResult | Error) {
  const calls: string[] = []
  const attempts = new Map<string, number>()
  let running = 0
  let most = 0
  return {
    calls,
    most: () => most,
    login: (host: string, credentials: Credentials) => {
      calls.push(`login ${host} ${credentials.username}`)
      return Promise.resolve()
    },
    push: async (file: string, prefix: string) => {
      calls.push(`push ${file} ${prefix}`)
      const attempt = (attempts.get(file) ?? 0) + 1
      attempts.set(file, attempt)
      running++
      most = Math.max(most, running)
      await new Promise(resolve => setTimeout(resolve, 5))
      running--
      const answer = reply(file, attempt)
      if (answer instanceof Error) throw answer
      return answer
    }
  }
}

const pushedAs = (file: string, n: number): HelmPushResult => {
  const [, name, version] = /\/([a-z-]+)-(\d[^/]*)\.tgz$/.exec(file) ?? []
  return { pushed: `${PREFIX}/${name}:${version.replace(/\+/g, '_')}`, digest: digest(n) }
}

describe('pushCharts', () => {
  test('logs in once, pushes every chart with bounded parallelism, keeps the order', async () => {
    const helm = fakeHelm(file => pushedAs(file, file.length % 10))
    const charts = [chart('a', '1.0.0'), chart('b', '2.0.0'), chart('c', '3.0.0+build.1')]
    const log = collectingLog()
    const results = await pushCharts(settings(), helm, charts, log)
    expect(helm.calls[0]).toBe(`login ${HOST} robot$proj+ci`)
    expect(helm.calls.filter(call => call.startsWith('login'))).toHaveLength(1)
    expect(helm.most()).toBe(2)
    expect(
      results.map(({ chart, version, reference, status }) => [chart, version, reference, status])
    ).toEqual([
      ['a', '1.0.0', `oci://${PREFIX}/a:1.0.0`, 'pushed'],
      ['b', '2.0.0', `oci://${PREFIX}/b:2.0.0`, 'pushed'],
      ['c', '3.0.0+build.1', `oci://${PREFIX}/c:3.0.0_build.1`, 'pushed']
    ])
    expect(results.every(result => /^sha256:\d{64}$/.test(result.digest))).toBe(true)
    expect(log.lines).toContain(
      `Logged in to ${HOST} as robot$proj+ci (helm, private registry config)`
    )
    expect(log.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pushed chart oci:\/\/.*\/a:1\.0\.0 \(\d\/3, [\d.]+s\)$/)
      ])
    )
  })

  test('without credentials: no login, and the log says whose login is used', async () => {
    const helm = fakeHelm(file => pushedAs(file, 1))
    const log = collectingLog()
    await pushCharts(settings({ credentials: undefined }), helm, [chart('a', '1.0.0')], log)
    expect(helm.calls).toEqual([`push ${root}/a-1.0.0.tgz ${PREFIX}`])
    expect(log.lines).toContain(
      `No username/password given: relying on the existing helm login for ${HOST}`
    )
  })

  test('a rejected login throws the Harbor advice and pushes nothing', async () => {
    const helm = {
      ...fakeHelm(file => pushedAs(file, 1)),
      login: () =>
        Promise.reject(
          toolError(
            'helm',
            ['registry', 'login'],
            'Error: login attempt to https://h/v2/ failed with status: 401 Unauthorized\n',
            1
          )
        )
    }
    const error = await pushCharts(settings(), helm, [chart('a', '1.0.0')], collectingLog()).catch(
      (caught: unknown) => caught
    )
    expect(error).toBeInstanceOf(PushError)
    expect((error as Error).message).toMatch(
      /^login to "registry-oci\.example\.com" rejected for user "robot\$proj\+ci": use the CLI secret/
    )
    expect(helm.calls).toEqual([])
  })

  test('a transient failure is retried; a denied push fails alone and the others go on', async () => {
    const helm = fakeHelm((file, attempt) => {
      if (file.includes('/flaky-') && attempt === 1) {
        return toolError(
          'helm',
          ['push'],
          'Error: failed to do request: Head "https://h/v2/": dial tcp: connection refused\n',
          1
        )
      }
      if (file.includes('/denied-')) {
        return toolError(
          'helm',
          ['push'],
          'Error: unexpected status from HEAD request: 403 Forbidden: denied: requested access to the resource is denied\n',
          1
        )
      }
      return pushedAs(file, 3)
    })
    const log = collectingLog()
    const results = await pushCharts(
      settings(),
      helm,
      [chart('flaky', '1.0.0'), chart('denied', '1.0.0'), chart('fine', '1.0.0')],
      log,
      { retryBaseDelayMs: 1 }
    )
    expect(results.map(result => result.status)).toEqual(['pushed', 'failed', 'pushed'])
    expect(results[1]).toMatchObject({
      digest: '',
      reference: `oci://${PREFIX}/denied:1.0.0`,
      error: expect.stringMatching(
        /^user "robot\$proj\+ci" may pull but not push to project "catalog-apps-org-proj"/
      )
    })
    expect(helm.calls.filter(call => call.includes('/flaky-'))).toHaveLength(2)
    expect(helm.calls.filter(call => call.includes('/denied-'))).toHaveLength(1)
    expect(log.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ {2}attempt 1 failed, retried after \d+ ms: "registry-oci\.example\.com" could not be reached/
        )
      ])
    )
  })

  test('an immutable chart version (412) is explained, not retried', async () => {
    const helm = fakeHelm(() =>
      toolError(
        'helm',
        ['push'],
        'Error: failed to push: PUT "https://h/v2/p/a/manifests/1.0.0": response status code 412: Precondition Failed\n',
        1
      )
    )
    const [result] = await pushCharts(settings(), helm, [chart('a', '1.0.0')], collectingLog(), {
      retryBaseDelayMs: 1
    })
    expect(result.error).toMatch(
      /^tag "oci:\/\/registry-oci\.example\.com\/catalog-apps-org-proj\/a:1\.0\.0" is immutable in Harbor/
    )
    expect(helm.calls).toHaveLength(2)
  })

  test('the reference helm reports is the one in the result', async () => {
    const helm = fakeHelm(() => ({ pushed: `${PREFIX}/other:1.0.0`, digest: digest(4) }))
    const log = collectingLog()
    const [result] = await pushCharts(settings(), helm, [chart('a', '1.0.0')], log)
    expect(result.reference).toBe(`oci://${PREFIX}/other:1.0.0`)
    expect(log.lines).toContain(`  helm reported ${PREFIX}/other:1.0.0, not ${PREFIX}/a:1.0.0`)
  })

  test('a dry run logs in, pushes nothing and says what it would push', async () => {
    const helm = fakeHelm(file => pushedAs(file, 1))
    const log = collectingLog()
    const results = await pushCharts(settings({ dryRun: true }), helm, [chart('a', '1.0.0')], log)
    expect(helm.calls).toEqual([`login ${HOST} robot$proj+ci`])
    expect(results).toEqual([
      {
        chart: 'a',
        version: '1.0.0',
        reference: `oci://${PREFIX}/a:1.0.0`,
        digest: '',
        status: 'skipped',
        error: 'dry run: would push',
        seconds: 0
      }
    ])
    expect(log.lines).toContain('Dry run: the plan for 1 chart; nothing is pushed')
  })
})

describe('findCharts', () => {
  function fullSettings(charts: string[], extra: Partial<Settings> = {}): Settings {
    return {
      registry: { host: HOST, path: PROJECT, prefix: PREFIX },
      credentials: CREDENTIALS,
      containerTool: 'podman',
      images: [],
      sourcePath: '',
      destinationTags: [],
      tlsVerify: false,
      caFile: '',
      ifExists: 'overwrite',
      dryRun: false,
      parallel: 3,
      retries: 0,
      summary: true,
      charts,
      chartVersion: '',
      chartAppVersion: '',
      helmVersion: 'v3.17.3',
      helmDownloadUrl: 'https://get.helm.sh',
      ...extra
    }
  }

  test('a bad chart stops everything before helm is even looked for', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'harbor-push-'))
    const good = makeChartFolder(path.join(dir, 'ws/good'))
    const bad = makeChartFolder(path.join(dir, 'ws/bad'), { version: 'one' })
    const located: string[] = []
    const runner = new FakeRunner()
    const error = await findCharts(
      fullSettings([good, bad]),
      runner.run,
      { dir, isolated: true },
      collectingLog(),
      () => {
        located.push('helm')
        return Promise.resolve({ binary: '/usr/bin/helm', from: 'PATH' } as HelmLocation)
      }
    ).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    expect(located).toEqual([])
    expect(runner.calls).toEqual([])
  })

  test('says which helm runs and where it came from', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'harbor-push-'))
    const log = collectingLog()
    const runner = new FakeRunner(call => (call.args[0] === 'version' ? 'v4.1.4' : ''))
    const located = makeChartFolder(path.join(dir, 'ws/app'))
    await findCharts(fullSettings([located]), runner.run, { dir, isolated: true }, log, () =>
      Promise.resolve({ binary: '/usr/local/bin/helm', from: 'PATH' })
    )
    expect(log.lines).toContain(
      'Using helm v4.1.4 from PATH (/usr/local/bin/helm); helm-version v3.17.3 is installed only when helm is not on PATH'
    )
  })
})
