import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import {
  type ChartResult,
  type ImageResult,
  type Report,
  countLine,
  subjectChecksumsOf,
  subjectChecksumsText
} from '../../src/push/results.js'
import { refsOf, setOutputs } from '../../src/runner/outputs.js'

const imagesOnly = (images: ImageResult[]): Report => ({ images, charts: [] })

const HOST = 'registry-oci.example.com/proj'
const digest = (byte: string): string => `sha256:${byte.repeat(32)}`

const results: ImageResult[] = [
  {
    source: 'apim/a:v1',
    destination: `${HOST}/a:v1`,
    digest: digest('aa'),
    status: 'pushed',
    seconds: 1.2
  },
  {
    source: 'apim/a:v1',
    destination: `${HOST}/a:latest`,
    digest: digest('aa'),
    status: 'unchanged',
    seconds: 0.1
  },
  {
    source: 'apim/b:v1',
    destination: `${HOST}/b:v1`,
    digest: digest('bb'),
    status: 'skipped',
    seconds: 0
  },
  {
    source: 'apim/c:v1',
    destination: `${HOST}/c:v1`,
    digest: '',
    status: 'failed',
    error: 'user "u" may pull but not push to project "proj"',
    seconds: 3.4
  }
]

describe('refsOf', () => {
  test('<destination>@<digest> of what this step put (or found) in the registry; skipped and failed left out', () => {
    expect(refsOf(imagesOnly(results))).toEqual([
      `${HOST}/a:v1@${digest('aa')}`,
      `${HOST}/a:latest@${digest('aa')}`
    ])
  })

  test('a failed entry is left out even if it carries a digest', () => {
    const failed: ImageResult = { ...results[0], status: 'failed', error: 'confirm failed' }
    expect(refsOf(imagesOnly([failed]))).toEqual([])
  })

  test('nothing pushed, no refs', () => {
    expect(refsOf(imagesOnly([]))).toEqual([])
  })
})

describe('subjectChecksumsOf', () => {
  const hex = (byte: string): string => byte.repeat(32)
  const chart = (overrides: Partial<ChartResult>): ChartResult => ({
    chart: 'app',
    version: '1.2.3+build.7',
    reference: 'oci://127.0.0.1:5000/proj/app:1.2.3_build.7',
    digest: digest('cc'),
    status: 'pushed',
    seconds: 0.5,
    ...overrides
  })

  test('one "<hex>  <registry>/<repository>" line per repository and digest; skipped and failed left out', () => {
    expect(subjectChecksumsOf(imagesOnly(results))).toEqual([`${hex('aa')}  ${HOST}/a`])
  })

  test('charts are named <registry>/<project>/<chart>, without oci:// and the version', () => {
    const report: Report = {
      images: [],
      charts: [
        chart({}),
        chart({
          version: '1.2.4',
          reference: 'oci://127.0.0.1:5000/proj/app:1.2.4',
          digest: digest('dd'),
          status: 'unchanged'
        }),
        chart({ chart: 'lib', reference: 'oci://127.0.0.1:5000/proj/lib:0.1.0', status: 'skipped' })
      ]
    }
    expect(subjectChecksumsOf(report)).toEqual([
      `${hex('cc')}  127.0.0.1:5000/proj/app`,
      `${hex('dd')}  127.0.0.1:5000/proj/app`
    ])
  })

  test('a port stays; the same digest in two repositories is two lines; images before charts', () => {
    const at = (destination: string, byte: string): ImageResult => ({
      ...results[0],
      destination,
      digest: digest(byte)
    })
    const report: Report = {
      images: [
        at('127.0.0.1:5000/p/x:v1', 'ee'),
        at('127.0.0.1:5000/p/x:stable', 'ee'),
        at('127.0.0.1:5000/p/y:v1', 'ee'),
        at('127.0.0.1:5000/p/x:v2', 'ff')
      ],
      charts: [chart({})]
    }
    expect(subjectChecksumsOf(report)).toEqual([
      `${hex('ee')}  127.0.0.1:5000/p/x`,
      `${hex('ee')}  127.0.0.1:5000/p/y`,
      `${hex('ff')}  127.0.0.1:5000/p/x`,
      `${hex('cc')}  127.0.0.1:5000/proj/app`
    ])
  })

  test('every line is what sha256sum writes and actions/attest parses', () => {
    for (const line of subjectChecksumsOf({ images: results, charts: [chart({})] })) {
      expect(line).toMatch(/^[0-9a-f]{64} {2}\S+$/)
    }
  })

  test('the file text ends each line with the end of line actions/attest splits on', () => {
    expect(subjectChecksumsText(['a  x', 'b  y'])).toBe(`a  x${os.EOL}b  y${os.EOL}`)
    expect(subjectChecksumsText([])).toBe('')
  })

  test('nothing in the registry, no lines', () => {
    expect(subjectChecksumsOf(imagesOnly([results[2], results[3]]))).toEqual([])
  })
})

describe('countLine', () => {
  test('counts every status', () => {
    expect(countLine(results)).toBe('1 pushed, 1 unchanged, 1 skipped, 1 failed')
    expect(countLine([results[0], results[0], results[3]])).toBe(
      '2 pushed, 0 unchanged, 0 skipped, 1 failed'
    )
  })

  test('empty', () => {
    expect(countLine([])).toBe('0 pushed, 0 unchanged, 0 skipped, 0 failed')
  })
})

describe('setOutputs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-outputs-'))
  const file = path.join(dir, 'github_output')
  const saved = process.env.GITHUB_OUTPUT
  const savedTemp = process.env.RUNNER_TEMP
  let runnerTemp = ''

  beforeEach(() => {
    fs.writeFileSync(file, '')
    process.env.GITHUB_OUTPUT = file
    // The subject-checksums file goes here, not into the machine's temporary folder.
    runnerTemp = fs.mkdtempSync(path.join(dir, 'runner-temp-'))
    process.env.RUNNER_TEMP = runnerTemp
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
  })

  afterEach(() => {
    jest.restoreAllMocks()
    if (saved === undefined) delete process.env.GITHUB_OUTPUT
    else process.env.GITHUB_OUTPUT = saved
    if (savedTemp === undefined) delete process.env.RUNNER_TEMP
    else process.env.RUNNER_TEMP = savedTemp
  })

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  /** Reads the `name<<delimiter` blocks the runner would read. */
  function readOutputs(): Map<string, string> {
    const outputs = new Map<string, string>()
    const lines = fs.readFileSync(file, 'utf8').split(os.EOL)
    for (let index = 0; index < lines.length; index++) {
      const start = /^([^<]+)<<(.+)$/.exec(lines[index])
      if (!start) continue
      const [, name, delimiter] = start
      const end = lines.indexOf(delimiter, index + 1)
      expect(end).toBeGreaterThan(index)
      outputs.set(name, lines.slice(index + 1, end).join('\n'))
      index = end
    }
    return outputs
  }

  test('writes exactly the images, charts, refs and subject-checksums outputs', () => {
    setOutputs(imagesOnly(results))
    expect([...readOutputs().keys()]).toEqual(['images', 'charts', 'refs', 'subject-checksums'])
  })

  test('subject-checksums is the path of a file of its own in RUNNER_TEMP holding the lines', () => {
    setOutputs(imagesOnly(results))
    const first = readOutputs().get('subject-checksums') ?? ''
    expect(path.dirname(first)).toBe(runnerTemp)
    expect(fs.readFileSync(first, 'utf8')).toBe(
      subjectChecksumsText(subjectChecksumsOf(imagesOnly(results)))
    )
    // A second step of the job gets a file of its own.
    fs.writeFileSync(file, '')
    setOutputs(imagesOnly(results))
    const second = readOutputs().get('subject-checksums') ?? ''
    expect(second).not.toBe(first)
    expect(fs.readdirSync(runnerTemp).sort()).toEqual(
      [path.basename(first), path.basename(second)].sort()
    )
  })

  test('images is JSON with exactly source, destination, digest and status', () => {
    setOutputs(imagesOnly(results))
    const images = JSON.parse(readOutputs().get('images') ?? '') as Record<string, unknown>[]
    expect(images).toEqual(
      results.map(({ source, destination, digest, status }) => ({
        source,
        destination,
        digest,
        status
      }))
    )
    for (const image of images) {
      expect(Object.keys(image).sort()).toEqual(['destination', 'digest', 'source', 'status'])
    }
  })

  test('charts is an empty JSON array while charts are not pushed', () => {
    setOutputs(imagesOnly(results))
    expect(JSON.parse(readOutputs().get('charts') ?? '')).toEqual([])
  })

  test('refs is newline-separated', () => {
    setOutputs(imagesOnly(results))
    expect(readOutputs().get('refs')?.split('\n')).toEqual(refsOf(imagesOnly(results)))
  })

  test('no results: empty arrays and no refs', () => {
    setOutputs(imagesOnly([]))
    const outputs = readOutputs()
    expect(JSON.parse(outputs.get('images') ?? '')).toEqual([])
    expect(outputs.get('refs')).toBe('')
    expect(outputs.get('subject-checksums')).toBe('')
  })
})
