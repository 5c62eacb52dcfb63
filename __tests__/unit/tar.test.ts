import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, describe, expect, test } from '@jest/globals'
import { readFromTgz } from '../../src/charts/tar.js'
import { makeChartFolder, packChart } from './chart-fixtures.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-tar-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const chartYaml = (entry: string): boolean => /^[^/]+\/Chart\.yaml$/.test(entry)

describe('readFromTgz', () => {
  // ustar splits long paths into prefix + name; GNU writes ././@LongLink
  // records; pax writes a path record. A long chart name exercises all three.
  test.each(['ustar', 'gnu', 'posix'])('finds <chart>/Chart.yaml in a %s archive', format => {
    const name = `chart-${'x'.repeat(90)}`
    const folder = makeChartFolder(path.join(root, format, name), { name: 'long' })
    const file = packChart(folder, path.join(root, `${format}.tgz`), [`--format=${format}`])
    expect(readFromTgz(file, chartYaml)?.toString('utf8')).toContain('name: long')
    expect(readFromTgz(file, entry => entry.endsWith('values.yaml'))?.toString()).toBe(
      'replicas: 1\n'
    )
  })

  test('a missing entry is undefined; subcharts do not count as the top Chart.yaml', () => {
    const folder = makeChartFolder(path.join(root, 'nested', 'parent'), { noChartYaml: true })
    makeChartFolder(path.join(folder, 'charts', 'sub'))
    const file = packChart(folder, path.join(root, 'nested.tgz'))
    expect(readFromTgz(file, chartYaml)).toBeUndefined()
  })

  test('not gzip, and gzip that is not tar, are errors', () => {
    const text = path.join(root, 'text.tgz')
    fs.writeFileSync(text, 'hello')
    expect(() => readFromTgz(text, chartYaml)).toThrow(/incorrect header check/)
    const gzipped = path.join(root, 'gzipped.tgz')
    fs.writeFileSync(gzipped, zlib.gzipSync(Buffer.alloc(1024, 'a')))
    expect(() => readFromTgz(gzipped, chartYaml)).toThrow(/not a tar archive/)
  })

  test('a truncated archive is an error', () => {
    const folder = makeChartFolder(path.join(root, 'cut', 'app'))
    fs.writeFileSync(path.join(folder, 'big.bin'), Buffer.alloc(4096, 1))
    const file = packChart(folder, path.join(root, 'whole.tgz'))
    const tar = zlib.gunzipSync(fs.readFileSync(file))
    const header = tar.indexOf('app/big.bin')
    const cut = path.join(root, 'cut.tgz')
    fs.writeFileSync(cut, zlib.gzipSync(tar.subarray(0, header + 512 + 100)))
    expect(() => readFromTgz(cut, entry => entry.endsWith('never'))).toThrow(
      'the tar archive ends in the middle of a file'
    )
    const inHeader = path.join(root, 'in-header.tgz')
    fs.writeFileSync(inHeader, zlib.gzipSync(tar.subarray(0, header + 100)))
    expect(() => readFromTgz(inHeader, entry => entry.endsWith('never'))).toThrow(
      'the tar archive ends in the middle of a header'
    )
  })
})
