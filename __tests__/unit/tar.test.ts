import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, describe, expect, test } from '@jest/globals'
import { readChartArchive } from '../../src/charts/archive.js'
import { readTar } from '../../src/tar.js'
import { makeChartFolder, packChart } from './chart-fixtures.js'
import { chartYaml, paxRecord, tarOf } from '../../rig/tgz.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-tar-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const names = (tar: Buffer): string[] => readTar(tar).map(entry => `${entry.kind} ${entry.name}`)

describe('readChartArchive', () => {
  // ustar splits long paths into prefix + name; GNU writes ././@LongLink
  // records; pax writes a path record. A long chart name exercises all three.
  test.each(['ustar', 'gnu', 'posix'])('reads a %s archive made by tar', format => {
    const name = `chart-${'x'.repeat(90)}`
    const folder = makeChartFolder(path.join(root, format, name), { name: 'long' })
    const file = packChart(folder, path.join(root, `${format}.tgz`), [`--format=${format}`])
    const archive = readChartArchive(file)
    expect(archive.folder).toBe(name)
    expect([...archive.files.keys()].sort()).toEqual(['Chart.yaml', 'values.yaml'])
    expect(archive.files.get('Chart.yaml')?.toString()).toContain('name: long')
  })

  test('not gzip, gzip that is not tar, and an archive without files are errors', () => {
    const text = path.join(root, 'text.tgz')
    fs.writeFileSync(text, 'hello')
    expect(() => readChartArchive(text)).toThrow(/incorrect header check/)
    const gzipped = path.join(root, 'gzipped.tgz')
    fs.writeFileSync(gzipped, zlib.gzipSync(Buffer.alloc(1024, 'a')))
    expect(() => readChartArchive(gzipped)).toThrow(/not a tar archive/)
    const empty = path.join(root, 'empty.tgz')
    fs.writeFileSync(empty, zlib.gzipSync(tarOf([{ name: 'app/', type: '5' }])))
    expect(() => readChartArchive(empty)).toThrow('it holds no files')
    const large = path.join(root, 'large.tgz')
    fs.writeFileSync(large, '')
    fs.truncateSync(large, 129 * 1024 * 1024)
    expect(() => readChartArchive(large)).toThrow(
      'it is larger than 128 MiB; helm reads at most 100 MiB of files'
    )
  })
})

describe('readTar reads what Go (helm) reads', () => {
  test('a truncated archive is an error', () => {
    const tar = tarOf([{ name: 'app/big.bin', body: Buffer.alloc(4096, 1) }])
    expect(() => readTar(tar.subarray(0, 512 + 100))).toThrow(
      'the tar archive ends in the middle of a file'
    )
    expect(() => readTar(tar.subarray(0, 100))).toThrow(
      'the tar archive ends in the middle of a header'
    )
  })

  test('entries hidden after the end marker are refused: Go stops there, or fails', () => {
    const hidden = tarOf([{ name: 'bbb/Chart.yaml', body: chartYaml('victim') }])
    const tar = Buffer.concat([
      tarOf([{ name: 'app/Chart.yaml' }], false),
      Buffer.alloc(512),
      hidden
    ])
    expect(() => readTar(tar)).toThrow(/the tar archive goes on after its end marker/)
  })

  test('a pax size decides where the next header is, as in Go', () => {
    // The header says 0 bytes, pax says 512: the "entry" in those 512 bytes is content.
    const inner = tarOf([{ name: 'bbb/Chart.yaml' }], false)
    const tar = tarOf([
      { name: 'PaxHeader', type: 'x', body: paxRecord('size', '512') },
      { name: 'app/values.yaml', body: inner, size: 0 }
    ])
    expect(names(tar)).toEqual(['file app/values.yaml'])
    expect(readTar(tar)[0].body).toEqual(inner)
  })

  test('pax and GNU long names; two for one entry are ambiguous', () => {
    const pax = { name: 'PaxHeader', type: 'x', body: paxRecord('path', 'app/long.yaml') }
    const gnu = { name: '././@LongLink', type: 'L', body: 'app/gnu.yaml\0' }
    expect(names(tarOf([pax, { name: 'short' }, gnu, { name: 'short' }]))).toEqual([
      'file app/long.yaml',
      'file app/gnu.yaml'
    ])
    expect(() => readTar(tarOf([pax, gnu, { name: 'short' }]))).toThrow(
      'the tar archive has two extended headers for one entry'
    )
    expect(() => readTar(tarOf([pax, pax, { name: 'short' }]))).toThrow(/two extended headers/)
    // Go drops a pending pax path at a global header; the entry after it keeps its own name there.
    const global = { name: 'GlobalHead', type: 'g', body: paxRecord('comment', 'x') }
    expect(names(tarOf([global, { name: 'app/a' }]))).toEqual(['file app/a'])
    expect(() => readTar(tarOf([pax, global, { name: 'short' }]))).toThrow(
      'the tar archive has an extended header before a global one'
    )
  })

  test('the kind comes from the type and the mode bits; links, devices and sparse files are "other" kinds', () => {
    const tar = tarOf([
      { name: 'app/a', type: '\0' },
      { name: 'app/b/', type: '\0' },
      { name: 'app/c', mode: 0o100644 },
      { name: 'app/d', mode: 0o040755 },
      { name: 'app/e', mode: 0o120777 },
      { name: 'app/f', type: '2', linkName: '/etc/passwd' },
      { name: 'app/g', type: '1', linkName: 'app/a' },
      { name: 'app/h', type: '3' },
      { name: 'app/i', type: 'S' },
      { name: 'PaxHeader', type: 'x', body: paxRecord('GNU.sparse.major', '1') },
      { name: 'app/j' },
      { name: 'app/k', type: 'Z' }
    ])
    expect(names(tar)).toEqual([
      'file app/a',
      'folder app/b/',
      'file app/c',
      'other app/d',
      'other app/e',
      'symbolic link app/f',
      'hard link app/g',
      'other app/h',
      'other app/i',
      'other app/j',
      'other app/k'
    ])
  })

  test('a folder or link has no content, whatever its size field says, as in Go', () => {
    const inner = tarOf([{ name: 'app/hidden.yaml', body: 'x' }], false)
    const lying = Buffer.concat([
      tarOf([{ name: 'app/dir/', type: '5', size: 1024 }], false),
      inner,
      Buffer.alloc(1024)
    ])
    expect(names(lying)).toEqual(['folder app/dir/', 'file app/hidden.yaml'])
    // Checked with helm: behind a folder like this, a second Chart.yaml is what helm pushes.
    const file = path.join(root, 'lying.tgz')
    const victim = tarOf([{ name: 'app/Chart.yaml', body: chartYaml('victim') }], false)
    fs.writeFileSync(
      file,
      zlib.gzipSync(
        Buffer.concat([
          tarOf([{ name: 'app/Chart.yaml', body: chartYaml('app') }], false),
          tarOf([{ name: 'app/dir/', type: '5', size: 1024 }], false),
          victim,
          Buffer.alloc(1024)
        ])
      )
    )
    expect(() => readChartArchive(file)).toThrow(
      'it holds "app/Chart.yaml" twice: helm would keep the last one'
    )
  })
})
