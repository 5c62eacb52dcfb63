import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import {
  type InspectedChart,
  chartReference,
  inspectCharts,
  ociTag,
  packageCharts
} from '../../src/charts/prepare.js'
import { resolveCharts } from '../../src/charts/resolve.js'
import { InputError } from '../../src/errors.js'
import type { Settings } from '../../src/settings/settings.js'
import { makeChartFolder, packChart } from './chart-fixtures.js'
import { toolError } from './fake-runner.js'
import { type CraftedEntry, chartYaml, hugeChartTgz, tgzOf } from '../../rig/tgz.js'
import { collectingLog as collectingIndented } from './collecting-log.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-charts-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

let count = 0
/** A fresh workspace folder for one test. */
function workspace(): string {
  return fs.mkdtempSync(path.join(root, `ws${++count}-`))
}

const collectingLog = (): ReturnType<typeof collectingIndented> => collectingIndented('')

type ChartSettings = Pick<Settings, 'charts' | 'chartVersion' | 'chartAppVersion' | 'registry'>

function settings(charts: string[], extra: Partial<ChartSettings> = {}): ChartSettings {
  return {
    charts,
    chartVersion: '',
    chartAppVersion: '',
    registry: { host: 'harbor.example.com', path: 'proj', prefix: 'harbor.example.com/proj' },
    ...extra
  }
}

async function inspectError(charts: string[], extra: Partial<ChartSettings> = {}): Promise<string> {
  const error = await inspectCharts(settings(charts, extra), collectingLog()).catch(
    (caught: unknown) => caught
  )
  expect(error).toBeInstanceOf(InputError)
  return (error as Error).message
}

describe('resolveCharts', () => {
  test('folders and .tgz files, by path and by glob, each once, in the order given', async () => {
    const ws = workspace()
    makeChartFolder(path.join(ws, 'charts/b'))
    makeChartFolder(path.join(ws, 'charts/a'))
    fs.writeFileSync(path.join(ws, 'charts/README.md'), 'not a chart')
    fs.mkdirSync(path.join(ws, 'charts/docs'))
    packChart(makeChartFolder(path.join(ws, 'src/lib')), path.join(ws, 'dist/lib-1.0.0.tgz'))
    const sources = await resolveCharts(['dist/lib-1.0.0.tgz', 'charts/*', './charts/a'], ws)
    expect(
      sources.map(source => [source.kind, path.relative(ws, source.path), source.entry])
    ).toEqual([
      ['tgz', 'dist/lib-1.0.0.tgz', 'dist/lib-1.0.0.tgz'],
      ['dir', 'charts/a', 'charts/*'],
      ['dir', 'charts/b', 'charts/*']
    ])
  })

  test('"!pattern" excludes; subcharts and vendored packages under a matched chart are not charts of their own', async () => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'charts/app'))
    makeChartFolder(path.join(app, 'charts/sub'))
    packChart(makeChartFolder(path.join(ws, 'tmp/dep')), path.join(app, 'charts/dep-1.0.0.tgz'))
    makeChartFolder(path.join(ws, 'charts/internal'))
    const sources = await resolveCharts(['charts/**', '!charts/internal'], ws)
    expect(sources.map(source => path.relative(ws, source.path))).toEqual(['charts/app'])
  })

  test.each([
    [
      ['charts/nope'],
      /^chart "charts\/nope" not found: no such folder or \.tgz file \(relative paths start at /
    ],
    [
      ['charts/*.tgz'],
      /^charts pattern "charts\/\*\.tgz" matches no chart folder \(with Chart\.yaml\) and no \.tgz file/
    ],
    [
      ['charts/docs'],
      /^chart folder "charts\/docs" has no Chart\.yaml; give the folder that holds Chart\.yaml/
    ],
    [
      ['charts/README.md'],
      /^chart "charts\/README\.md" is neither a chart folder nor a packaged chart/
    ],
    [['charts/*', '!charts/a'], /^charts pattern "charts\/\*" matches no chart folder/]
  ])('%j is refused', async (entries, message) => {
    const ws = workspace()
    makeChartFolder(path.join(ws, 'charts/a'))
    fs.mkdirSync(path.join(ws, 'charts/docs'))
    fs.writeFileSync(path.join(ws, 'charts/README.md'), 'not a chart')
    const error = await resolveCharts(entries, ws).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(message)
  })
})

describe('inspectCharts', () => {
  test('name and version from Chart.yaml; chart-version overrides folders only', async () => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'app'), { version: '0.1.0' })
    const lib = packChart(
      makeChartFolder(path.join(ws, 'src/lib'), { version: '2.0.0' }),
      path.join(ws, 'lib-2.0.0.tgz')
    )
    const log = collectingLog()
    const charts = await inspectCharts(settings([app, lib], { chartVersion: '3.0.0-rc.1' }), log)
    expect(
      charts.map(chart => [chart.name, chart.version, chart.source.kind, chart.dependencies])
    ).toEqual([
      ['app', '3.0.0-rc.1', 'dir', 'none'],
      ['lib', '2.0.0', 'tgz', 'none']
    ])
    expect(log.warnings).toEqual([
      expect.stringMatching(
        /chart-version and chart-app-version apply when packaging chart folders only; packaged chart ".*lib-2\.0\.0\.tgz" \(2\.0\.0\) is pushed as packaged/
      )
    ])
  })

  test('a Chart.yaml without version is fine when chart-version gives one', async () => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'app'), { version: '' })
    const [chart] = await inspectCharts(settings([app], { chartVersion: '1.0.0' }), collectingLog())
    expect(chart.version).toBe('1.0.0')
  })

  test('YAML numbers are read as written: "version: 1.10.0" stays "1.10.0"', async () => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'app'), {
      version: '1.10.0',
      extra: 'appVersion: 1.10'
    })
    expect((await inspectCharts(settings([app]), collectingLog()))[0].version).toBe('1.10.0')
  })

  test('a registry without project path is warned about: Harbor would take the chart name for the project', async () => {
    const ws = workspace()
    const log = collectingLog()
    await inspectCharts(
      settings([makeChartFolder(path.join(ws, 'app'))], {
        registry: { host: 'harbor.example.com', path: '', prefix: 'harbor.example.com' }
      }),
      log
    )
    expect(log.warnings).toEqual([
      'registry "harbor.example.com" has no project path: charts go to oci://harbor.example.com/<chart name>, which Harbor reads as a project named after the chart; give the registry as harbor.example.com/<project>'
    ])
  })

  test.each([
    [
      'a version that is not SemVer 2',
      { version: '1.0' },
      /^chart folder ".*app": version "1\.0" in Chart\.yaml is not valid: it is not SemVer 2 .*; fix Chart\.yaml or set chart-version$/
    ],
    [
      'a leading v',
      { version: 'v1.0.0' },
      /version "v1\.0\.0" in Chart\.yaml is not valid: drop the leading "v"/
    ],
    [
      'no version',
      { version: '' },
      /^chart folder ".*app": Chart\.yaml has no "version"; add one, or set chart-version$/
    ],
    ['no name', { name: '' }, /Chart\.yaml" has no "name"$/],
    [
      'a name no registry takes',
      { name: 'My_App' },
      /chart name "My_App" cannot name an OCI repository/
    ],
    [
      'apiVersion v3',
      { apiVersion: 'v3' },
      /apiVersion "v3" is not a Helm chart apiVersion; use "v2"/
    ],
    ['broken YAML', { extra: 'description: [unclosed' }, /Chart\.yaml" is not valid YAML: /],
    [
      'dependencies that are no list',
      { extra: 'dependencies: common' },
      /"dependencies" is not a list/
    ]
  ])('a chart folder with %s is refused', async (_label, spec, message) => {
    const ws = workspace()
    expect(await inspectError([makeChartFolder(path.join(ws, 'app'), spec)])).toMatch(message)
  })

  test.each([
    [
      'not gzip',
      (file: string) => fs.writeFileSync(file, 'PK zip'),
      /^packaged chart ".*bad\.tgz" cannot be read as a packaged chart \(incorrect header check\); give a \.tgz made by helm package$/
    ],
    [
      'without Chart.yaml',
      (file: string) =>
        packChart(makeChartFolder(path.join(path.dirname(file), 'x'), { noChartYaml: true }), file),
      /^packaged chart ".*bad\.tgz" holds no <chart>\/Chart\.yaml: it is not a packaged chart/
    ],
    [
      'with a bad version',
      (file: string) =>
        packChart(makeChartFolder(path.join(path.dirname(file), 'x'), { version: 'latest' }), file),
      /^packaged chart ".*bad\.tgz": version "latest" in Chart\.yaml is not valid: .*; package it again$/
    ]
  ])('a .tgz %s is refused', async (_label, write, message) => {
    const file = path.join(workspace(), 'bad.tgz')
    write(file)
    expect(await inspectError([file])).toMatch(message)
  })

  // Helm reads a packaged chart by taking the first path segment of every entry as the chart
  // folder and dropping it: whatever helm would read differently from these checks is refused.
  test.each<[string, CraftedEntry[], RegExp]>([
    [
      'two top-level folders (helm would push the last Chart.yaml: "victim")',
      [
        { name: 'aaa/Chart.yaml', body: chartYaml('aaa') },
        { name: 'bbb/Chart.yaml', body: chartYaml('victim', '9.9.9') }
      ],
      /holds two top-level folders, "aaa" and "bbb": helm would read them as one chart/
    ],
    [
      'a file beside the chart folder',
      [
        { name: 'app/Chart.yaml', body: chartYaml('app') },
        { name: 'README.md', body: 'hello' }
      ],
      /entry "README\.md" is outside the chart folder/
    ],
    [
      'a ../ entry',
      [
        { name: 'app/Chart.yaml', body: chartYaml('app') },
        { name: '../../x', body: 'x' }
      ],
      /entry "\.\.\/\.\.\/x" reaches outside the chart \(helm: "chart illegally references parent directory"\)/
    ],
    [
      'a ../ inside the chart folder',
      [
        { name: 'app/Chart.yaml', body: chartYaml('app') },
        { name: 'app/templates/../../../x', body: 'x' }
      ],
      /entry "app\/templates\/\.\.\/\.\.\/\.\.\/x" reaches outside the chart/
    ],
    [
      'an absolute path',
      [
        { name: 'app/Chart.yaml', body: chartYaml('app') },
        { name: '/etc/x', body: 'x' }
      ],
      /entry "\/etc\/x" is an absolute path/
    ],
    [
      'a Windows path into another folder',
      [
        { name: 'aaa/Chart.yaml', body: chartYaml('aaa') },
        { name: 'bbb\\Chart.yaml', body: chartYaml('victim', '9.9.9') }
      ],
      /two top-level folders, "aaa" and "bbb"/
    ],
    [
      'a symbolic link',
      [
        { name: 'app/Chart.yaml', body: chartYaml('app') },
        { name: 'app/values.yaml', type: '2', linkName: '/etc/passwd' }
      ],
      /entry "app\/values\.yaml" is a symbolic link: helm would read it as an empty file/
    ],
    [
      'a hard link',
      [
        { name: 'app/Chart.yaml', body: chartYaml('app') },
        { name: 'app/values.yaml', type: '1', linkName: 'app/Chart.yaml' }
      ],
      /entry "app\/values\.yaml" is a hard link/
    ],
    [
      'Chart.yaml twice (helm keeps the last)',
      [
        { name: 'app/Chart.yaml', body: chartYaml('app') },
        { name: 'app/./Chart.yaml', body: chartYaml('victim', '9.9.9') }
      ],
      /holds "app\/Chart\.yaml" twice: helm would keep the last one/
    ]
  ])('a .tgz with %s is refused', async (_label, entries, message) => {
    const file = path.join(workspace(), 'crafted.tgz')
    fs.writeFileSync(file, tgzOf(entries))
    expect(await inspectError([file])).toMatch(
      new RegExp(
        `^packaged chart ".*crafted\\.tgz" cannot be read as a packaged chart \\(.*${message.source}.*\\); give a \\.tgz made by helm package$`
      )
    )
  })

  test('a .tgz whose Chart.yaml is huge is refused within seconds, unparsed', async () => {
    const file = path.join(workspace(), 'huge.tgz')
    fs.writeFileSync(file, hugeChartTgz('huge', 200))
    const started = Date.now()
    expect(await inspectError([file])).toMatch(
      /^packaged chart ".*huge\.tgz" cannot be read as a packaged chart \(it unpacks to more than 128 MiB; helm reads at most 100 MiB of files\)/
    )
    expect(Date.now() - started).toBeLessThan(5000)
  })

  test.each([
    [
      'a Chart.yaml over 1 MiB',
      2,
      /\("huge\/Chart\.yaml" is 2097\d{3} bytes: a Chart\.yaml of more than 1 MiB is not read; keep it to a few KB, long text belongs in README\.md\)/
    ],
    [
      'a file over 5 MiB',
      6,
      /\(entry "huge\/Chart\.yaml" unpacks to 6291\d{3} bytes: helm reads no file over 5 MiB\)/
    ]
  ])('a .tgz with %s is refused', async (_label, mebibytes, message) => {
    const file = path.join(workspace(), 'huge.tgz')
    fs.writeFileSync(file, hugeChartTgz('huge', mebibytes))
    expect(await inspectError([file])).toMatch(message)
  })

  test('a chart folder whose Chart.yaml is over 1 MiB is refused unparsed', async () => {
    const app = makeChartFolder(path.join(workspace(), 'app'), {
      extra: `description: ${'a'.repeat(2 * 1024 * 1024)}`
    })
    expect(await inspectError([app])).toMatch(
      /^".*app\/Chart\.yaml" is 2097\d{3} bytes: a Chart\.yaml of more than 1 MiB is not read/
    )
  })

  test('two charts with the same name and version are refused, naming both', async () => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'app'), { version: '1.0.0' })
    const tgz = packChart(
      makeChartFolder(path.join(ws, 'copy/app'), { version: '1.0.0' }),
      path.join(ws, 'app-1.0.0.tgz')
    )
    expect(await inspectError([app, tgz])).toMatch(
      /^chart folder ".*app" and packaged chart ".*app-1\.0\.0\.tgz" are both chart "app" version "1\.0\.0" and would be pushed to the same reference; keep one of them$/
    )
  })

  test('chart-version can make two folders collide, and the message says so', async () => {
    const ws = workspace()
    const one = makeChartFolder(path.join(ws, 'one'), { name: 'app', version: '1.0.0' })
    const two = makeChartFolder(path.join(ws, 'two'), { name: 'app', version: '2.0.0' })
    expect(await inspectError([one, two], { chartVersion: '3.0.0' })).toMatch(
      /are both chart "app" version "3\.0\.0" .*\(chart-version gives every chart folder the same version\)$/
    )
  })
})

describe('dependencies', () => {
  const deps = (...lines: string[]): string => ['dependencies:', ...lines].join('\n')

  test.each([
    ['vendored in charts/ as a folder', 'dir', 'none'],
    ['vendored in charts/ as a .tgz', 'tgz', 'none'],
    ['from file:// and not built yet', '', 'build']
  ])('%s: %s', async (_label, vendored, steps) => {
    const ws = workspace()
    makeChartFolder(path.join(ws, 'common'))
    const app = makeChartFolder(path.join(ws, 'app'), {
      extra: deps('  - name: common', '    version: 1.0.0', '    repository: file://../common')
    })
    if (vendored === 'dir') makeChartFolder(path.join(app, 'charts/common'))
    if (vendored === 'tgz') {
      packChart(
        makeChartFolder(path.join(ws, 'pack/common')),
        path.join(app, 'charts/common-1.0.0.tgz')
      )
    }
    expect((await inspectCharts(settings([app]), collectingLog()))[0].dependencies).toBe(steps)
  })

  test('apiVersion v1 charts declare them in requirements.yaml', async () => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'app'), { apiVersion: 'v1' })
    fs.writeFileSync(
      path.join(app, 'requirements.yaml'),
      deps('  - name: redis', '    version: 17.0.0', '    repository: https://charts.example.com')
    )
    expect(await inspectError([app])).toMatch(
      /depends on "redis" from "https:\/\/charts\.example\.com"/
    )
  })

  test.each([
    [
      'a remote dependency missing from charts/',
      [['redis', 'https://charts.example.com']],
      /^chart folder ".*app" depends on "redis" from "https:\/\/charts\.example\.com", which is not in its charts\/ folder; harbor-push builds only file:\/\/ dependencies: run "helm dependency build" before this step so that charts\/ holds it$/
    ],
    [
      'an OCI dependency',
      [['redis', 'oci://registry-1.docker.io/bitnamicharts']],
      /depends on "redis" from "oci:\/\/registry-1\.docker\.io\/bitnamicharts"/
    ],
    [
      'a dependency without repository',
      [['common', '']],
      /depends on "common" from "\(no repository\)"/
    ],
    [
      'a file:// dependency whose folder is missing',
      [['common', 'file://../nowhere']],
      /^chart folder ".*app": dependency "common" points to "file:\/\/\.\.\/nowhere", but .*nowhere holds no Chart\.yaml; fix the repository path in Chart\.yaml$/
    ]
  ])('%s is refused', async (_label, list, message) => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'app'), {
      extra: deps(
        ...list.flatMap(([name, repository]) => [
          `  - name: ${name}`,
          `    version: 1.0.0`,
          `    repository: "${repository}"`
        ])
      )
    })
    expect(await inspectError([app])).toMatch(message)
  })

  test('file:// dependencies are not built when a remote one would be fetched too', async () => {
    const ws = workspace()
    makeChartFolder(path.join(ws, 'common'))
    const app = makeChartFolder(path.join(ws, 'app'), {
      extra: deps(
        '  - name: common',
        '    repository: file://../common',
        '  - name: redis',
        '    repository: https://charts.example.com'
      )
    })
    makeChartFolder(path.join(app, 'charts/redis'))
    expect(await inspectError([app])).toMatch(
      /its file:\/\/ dependency "common" is not built, and "helm dependency build" would also fetch "redis" from "https:\/\/charts\.example\.com"/
    )
  })
})

describe('packageCharts', () => {
  test('folders are packaged into the work folder with the overrides; .tgz files pass through', async () => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'app'))
    const lib = packChart(makeChartFolder(path.join(ws, 'src/lib')), path.join(ws, 'lib-1.0.0.tgz'))
    const charts = await inspectCharts(settings([app, lib]), collectingLog())
    const calls: unknown[][] = []
    const helm = {
      dependencyBuild: (folder: string) => Promise.resolve(void calls.push(['build', folder])),
      showChart: (file: string) => {
        calls.push(['show', path.relative(ws, file)])
        return Promise.resolve('apiVersion: v2\nname: lib\nversion: 1.0.0\n')
      },
      package: (folder: string, destination: string, options: object) => {
        calls.push(['package', folder, path.relative(ws, destination).split(path.sep)[0], options])
        const file = path.join(destination, 'app-9.9.9.tgz')
        fs.writeFileSync(file, '')
        return Promise.resolve(file)
      }
    }
    const log = collectingLog()
    const prepared = await packageCharts(
      charts,
      helm,
      path.join(ws, 'work'),
      { chartVersion: '9.9.9', chartAppVersion: '6.0' },
      log
    )
    expect(calls).toEqual([
      ['package', app, 'work', { version: '9.9.9', appVersion: '6.0' }],
      ['show', 'lib-1.0.0.tgz']
    ])
    expect(prepared.map(chart => path.relative(ws, chart.file))).toEqual([
      expect.stringMatching(/^work\/app-\w+\/package\/app-9\.9\.9\.tgz$/),
      'lib-1.0.0.tgz'
    ])
    expect(log.lines).toEqual([
      expect.stringMatching(/^Packaged chart folder ".*app" as app-9\.9\.9\.tgz$/)
    ])
  })

  test('dependencies are built, and the chart folder is left exactly as it was found', async () => {
    const ws = workspace()
    makeChartFolder(path.join(ws, 'common'))
    const app = makeChartFolder(path.join(ws, 'app'), {
      extra: 'dependencies:\n  - name: common\n    repository: file://../common'
    })
    fs.mkdirSync(path.join(app, 'charts'))
    fs.writeFileSync(path.join(app, 'charts/keep.txt'), 'mine')
    const before = snapshot(app)
    const charts = await inspectCharts(settings([app]), collectingLog())
    const order: string[] = []
    const helm = {
      showChart: () => Promise.reject(new Error('only for packaged charts')),
      // What helm dependency build does to a chart folder.
      dependencyBuild: (folder: string) => {
        order.push('build')
        fs.rmSync(path.join(folder, 'charts/keep.txt'))
        fs.writeFileSync(path.join(folder, 'charts/common-1.0.0.tgz'), 'built')
        fs.writeFileSync(path.join(folder, 'Chart.lock'), 'lock')
        return Promise.resolve()
      },
      package: (folder: string, destination: string) => {
        order.push(`package with ${fs.readdirSync(path.join(folder, 'charts')).join(',')}`)
        const file = path.join(destination, 'app-1.0.0.tgz')
        fs.writeFileSync(file, '')
        return Promise.resolve(file)
      }
    }
    await packageCharts(charts, helm, path.join(ws, 'work'), settings([]), collectingLog())
    expect(order).toEqual(['build', 'package with common-1.0.0.tgz'])
    expect(snapshot(app)).toEqual(before)
  })

  test("a chart helm cannot package is an input error with helm's words; the folder is restored", async () => {
    const ws = workspace()
    const app = makeChartFolder(path.join(ws, 'app'))
    const before = snapshot(app)
    const charts = await inspectCharts(settings([app]), collectingLog())
    const helm = {
      dependencyBuild: () => Promise.resolve(),
      showChart: () => Promise.reject(new Error('only for packaged charts')),
      package: () =>
        Promise.reject(
          toolError(
            'helm',
            ['package'],
            'Error: templates/x.yaml: parse error at (app/templates/x.yaml:3): unexpected "}"\n',
            1
          )
        )
    }
    const error = await packageCharts(
      charts,
      helm,
      path.join(ws, 'work'),
      settings([]),
      collectingLog()
    ).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(
      /^helm cannot package chart folder ".*app": templates\/x\.yaml: parse error at \(app\/templates\/x\.yaml:3\): unexpected "}"$/
    )
    expect(snapshot(app)).toEqual(before)
  })
})

describe('packaged charts are read by helm before anything is pushed', () => {
  const packaged = async (): Promise<InspectedChart[]> => {
    const ws = workspace()
    const file = packChart(makeChartFolder(path.join(ws, 'src/app')), path.join(ws, 'app.tgz'))
    return inspectCharts(settings([file]), collectingLog())
  }
  const prepare = async (charts: InspectedChart[], showChart: () => Promise<string>) =>
    packageCharts(
      charts,
      { showChart, dependencyBuild: () => Promise.resolve(), package: () => Promise.resolve('') },
      path.join(root, 'work'),
      settings([]),
      collectingLog()
    ).catch((caught: unknown) => caught)

  test("a chart helm refuses is an input error with helm's words", async () => {
    const error = await prepare(await packaged(), () =>
      Promise.reject(
        toolError(
          'helm',
          ['show', 'chart'],
          'Error: cannot load values.yaml: error converting YAML to JSON\n',
          1
        )
      )
    )
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(
      /^helm cannot read packaged chart ".*app\.tgz": cannot load values\.yaml: error converting YAML to JSON; give a \.tgz made by helm package$/
    )
  })

  test('a chart helm reads as another name or version is an input error', async () => {
    const error = await prepare(await packaged(), () =>
      Promise.resolve('apiVersion: v2\nname: victim\nversion: 9.9.9\n')
    )
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(
      /^helm reads packaged chart ".*app\.tgz" as chart "victim" version "9\.9\.9", not "app" version "1\.0\.0" as its Chart\.yaml says/
    )
  })
})

describe('references', () => {
  test.each([
    ['1.0.0', '1.0.0'],
    ['1.0.0-rc.1+build.7', '1.0.0-rc.1_build.7'],
    ['2.0.0+a+b', '2.0.0_a_b']
  ])('version %s is the OCI tag %s', (version, tag) => {
    expect(ociTag(version)).toBe(tag)
    expect(chartReference('h.example.com/proj', { name: 'app', version })).toBe(
      `oci://h.example.com/proj/app:${tag}`
    )
  })
})

/** Every file below `folder` with its content. */
function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name)
      files[path.relative(folder, file)] = fs.readFileSync(file, 'utf8')
    }
  }
  return files
}
