/**
 * OCI archives read in place, and checked as hostile: archives crafted
 * byte by byte (rig/tgz.ts) with links, `..` and absolute names, sizes
 * beyond the file, a name given twice, a blob whose bytes are not its
 * digest, and index.json entries that do not name one image.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import { type CraftedEntry, tarOf } from '../../rig/tgz.js'
import { InputError } from '../../src/errors.js'
import { ContentError } from '../../src/registry/content.js'
import { ociArchiveSource } from '../../src/sources/oci-archive.js'
import { ociLayoutSource } from '../../src/sources/oci-layout.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-oci-archive-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const digestOf = (bytes: Buffer): string =>
  `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`
const blobName = (digest: string): string => `blobs/sha256/${digest.slice(7)}`

/** An image: a config, a layer of random bytes, the manifest; index.json naming it `refs`. */
function image(refs: string[] = ['v1']): {
  entries: CraftedEntry[]
  manifest: Buffer
  layer: Buffer
} {
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}')
  const layer = crypto.randomBytes(3000)
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digestOf(config),
        size: config.length
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: digestOf(layer),
          size: layer.length
        }
      ]
    })
  )
  const index = {
    schemaVersion: 2,
    manifests: refs.map(ref => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: digestOf(manifest),
      size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': ref }
    }))
  }
  return {
    manifest,
    layer,
    entries: [
      { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' },
      { name: 'index.json', body: JSON.stringify(index) },
      { name: './blobs/', type: '5' },
      { name: blobName(digestOf(config)), body: config },
      { name: blobName(digestOf(layer)), body: layer },
      { name: blobName(digestOf(manifest)), body: manifest }
    ]
  }
}

let count = 0
function archiveOf(tar: Buffer): string {
  const file = path.join(dir, `archive-${++count}.tar`)
  fs.writeFileSync(file, tar)
  return file
}

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}

describe('an OCI archive read in place', () => {
  test('the image its REF names: the manifest as stored, each blob as its byte range', async () => {
    const { entries, manifest, layer } = image(['v1', 'v2'])
    const source = ociArchiveSource(archiveOf(tarOf(entries)), 'v2')
    const root = await source.root()
    expect(root).toEqual({
      digest: digestOf(manifest),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      bytes: manifest
    })
    const blob = await source.blob({ mediaType: '', digest: digestOf(layer), size: layer.length })
    expect(blob.size).toBe(layer.length)
    expect(await bytesOf(blob.body)).toEqual(layer)
  })

  test.each([
    [
      'a symbolic link',
      { name: 'blobs/sha256/link', type: '2', linkName: '/etc/passwd' },
      /a symbolic link/
    ],
    [
      'a hard link',
      { name: 'blobs/sha256/hard', type: '1', linkName: 'index.json' },
      /a hard link/
    ],
    ['a device', { name: 'blobs/sha256/dev', type: '3' }, /a special file/],
    ['a name with ..', { name: 'blobs/../../evil', body: 'x' }, /a path outside the archive/],
    ['an absolute name', { name: '/etc/cron.d/evil', body: 'x' }, /a path outside the archive/],
    [
      'a name given twice',
      { name: './index.json', body: '{"manifests":[]}' },
      /holds "index.json" twice/
    ]
  ] as [string, CraftedEntry, RegExp][])(
    '%s is refused before anything is read',
    async (_what, bad, words) => {
      const file = archiveOf(tarOf([...image().entries, bad]))
      const source = ociArchiveSource(file, 'v1')
      const failure = source.root()
      await expect(failure).rejects.toThrow(InputError)
      await expect(failure).rejects.toThrow(words)
      await expect(failure).rejects.toThrow(file)
    }
  )

  test('an entry claiming more bytes than the file holds is refused', async () => {
    const { entries } = image()
    const tar = tarOf([...entries, { name: 'blobs/sha256/big', body: 'x', size: 1 << 30 }], false)
    const file = archiveOf(tar)
    await expect(ociArchiveSource(file, 'v1').root()).rejects.toThrow(
      /is not a readable OCI archive \(the tar archive ends in the middle of a file\)/
    )
  })

  test('a blob whose bytes are not its digest fails on the way, naming the archive, its last bytes held back', async () => {
    const { entries, layer } = image()
    const tampered = entries.map(entry =>
      entry.name === blobName(digestOf(layer))
        ? { ...entry, body: crypto.randomBytes(layer.length) }
        : entry
    )
    const file = archiveOf(tarOf(tampered))
    const blob = await ociArchiveSource(file, 'v1').blob({
      mediaType: '',
      digest: digestOf(layer),
      size: layer.length
    })
    let delivered = 0
    const reading = (async () => {
      for await (const chunk of blob.body) delivered += chunk.length
    })()
    await expect(reading).rejects.toThrow(ContentError)
    await expect(reading).rejects.toThrow(
      new RegExp(`oci-archive:${file}:v1: blob "${digestOf(layer)}" has the sha256`)
    )
    expect(delivered).toBeLessThan(layer.length)
  })

  test('a manifest whose bytes are not its digest is refused', async () => {
    const { entries, manifest } = image()
    const forged = Buffer.from(manifest.toString('utf8').replace('"size":3000', '"size":3001'))
    expect(forged).not.toEqual(manifest)
    const swapped = entries.map(entry =>
      entry.name === blobName(digestOf(manifest)) ? { ...entry, body: forged } : entry
    )
    const file = archiveOf(tarOf(swapped))
    const root = ociArchiveSource(file, 'v1').root()
    await expect(root).rejects.toThrow(ContentError)
    await expect(root).rejects.toThrow(
      `oci-archive:${file}:v1: manifest "${digestOf(manifest)}" has the sha256 "${digestOf(forged)}"`
    )
  })

  test.each([
    [
      'no REF, two images',
      ['a', 'b'],
      '',
      /holds 2 images, not one \(it holds "a", "b"\): name one/
    ],
    ['a REF it does not hold', ['a', 'b'], 'c', /holds no image named "c" \(it holds "a", "b"\)/],
    [
      // A hostile or careless archive's names go into the error, the log and the summary: a few say enough.
      'a REF it does not hold among 500 long names',
      Array.from({ length: 500 }, (_, index) => `${'n'.repeat(1000)}${index}`),
      'c',
      new RegExp(
        `holds no image named "c" \\(it holds "${'n'.repeat(80)}…", .*, and 495 more\\)\\. Nothing was pushed\\.$`
      )
    ]
  ])('%s: an input error saying what it holds', async (_what, refs, ref, words) => {
    const source = ociArchiveSource(archiveOf(tarOf(image(refs).entries)), ref)
    await expect(source.root()).rejects.toThrow(InputError)
    await expect(source.root()).rejects.toThrow(words)
  })

  test('a digest in index.json that is no sha256 digest never becomes a path', async () => {
    const { entries } = image()
    const evil = entries.map(entry =>
      entry.name === 'index.json'
        ? {
            ...entry,
            body: JSON.stringify({
              manifests: [{ mediaType: '', digest: 'sha256:../../../../etc/passwd', size: 10 }]
            })
          }
        : entry
    )
    await expect(ociArchiveSource(archiveOf(tarOf(evil)), '').root()).rejects.toThrow(
      /names the digest "sha256:..\/..\/..\/..\/etc\/passwd", not a sha256 digest/
    )
  })

  test('not a tar archive at all, or no such file: input errors naming it', async () => {
    const garbage = archiveOf(crypto.randomBytes(4096))
    await expect(ociArchiveSource(garbage, '').root()).rejects.toThrow(
      new RegExp(`"oci-archive:${garbage}" is not a readable OCI archive`)
    )
    const missing = path.join(dir, 'missing.tar')
    await expect(ociArchiveSource(missing, '').root()).rejects.toThrow(
      new RegExp(`"oci-archive:${missing}" cannot be opened`)
    )
  })
})

describe('inspect: what an archive holds, checked before anything is pushed', () => {
  test('the digest, the config digest and every blob, without reading a layer', async () => {
    const { entries, manifest, layer } = image()
    const held = await ociArchiveSource(archiveOf(tarOf(entries)), 'v1').inspect()
    expect(held.digest).toBe(digestOf(manifest))
    expect(held.configDigest).toMatch(/^sha256:/)
    expect(held.platforms).toBeUndefined()
    expect(held.blobs.map(blob => blob.digest)).toEqual([held.configDigest, digestOf(layer)])
  })

  test.each([
    [
      'a layer left out',
      (entries: CraftedEntry[], layer: string) => entries.filter(entry => entry.name !== layer),
      /blob "sha256:[0-9a-f]+" is missing from the layout/
    ],
    [
      'a layer cut short',
      (entries: CraftedEntry[], layer: string) =>
        entries.map(entry =>
          entry.name === layer ? { ...entry, body: Buffer.from('short') } : entry
        ),
      /is 5 bytes where its descriptor says 3000: the source is corrupt/
    ]
  ])('%s: an input error naming the archive', async (_what, change, words) => {
    const { entries, layer } = image()
    const file = archiveOf(tarOf(change(entries, blobName(digestOf(layer)))))
    const inspected = ociArchiveSource(file, 'v1').inspect()
    await expect(inspected).rejects.toThrow(InputError)
    await expect(inspected).rejects.toThrow(words)
    await expect(inspected).rejects.toThrow(`oci-archive:${file}:v1`)
    await expect(inspected).rejects.toThrow('Nothing was pushed.')
  })
})

describe('inspect: an index the copier would refuse is refused before anything is pushed', () => {
  /** A blob of every such archive: JSON that says it is a web page. */
  const html = Buffer.from(JSON.stringify({ mediaType: 'text/html', config: {} }))

  /** An archive whose index.json names an index listing `entries` (made from the one image's manifest). */
  function indexArchive(entries: (manifest: Buffer) => object[]): string {
    const { entries: files, manifest } = image()
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: entries(manifest)
      })
    )
    const top = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          digest: digestOf(index),
          size: index.length,
          annotations: { 'org.opencontainers.image.ref.name': 'v1' }
        }
      ]
    }
    return archiveOf(
      tarOf([
        ...files.map(file =>
          file.name === 'index.json' ? { ...file, body: JSON.stringify(top) } : file
        ),
        { name: blobName(digestOf(index)), body: index },
        { name: blobName(digestOf(html)), body: html }
      ])
    )
  }

  const entry = (manifest: Buffer, size = manifest.length): object => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: digestOf(manifest),
    size,
    platform: { os: 'linux', architecture: 'amd64' }
  })

  test.each([
    [
      "an entry whose size is not its manifest's",
      (manifest: Buffer) => [entry(manifest, 10)],
      /manifest "sha256:[0-9a-f]+" is \d+ bytes where the index says 10: the source is corrupt/
    ],
    [
      'an entry whose manifest is no image manifest',
      () => [{ mediaType: 'text/html', digest: digestOf(html), size: html.length }],
      /has the media type "text\/html", not one of an image manifest or index/
    ],
    [
      'more than 1000 entries',
      (manifest: Buffer) => Array.from({ length: 1001 }, () => entry(manifest)),
      /the index lists more than 1000 manifests/
    ]
  ])('%s: an input error', async (_what, entries, words) => {
    const inspected = ociArchiveSource(indexArchive(entries), 'v1').inspect()
    await expect(inspected).rejects.toThrow(InputError)
    await expect(inspected).rejects.toThrow(words)
  })
})

describe('inspect: an index that lists an index', () => {
  test('the manifests below the second index are checked too: a layer left out there is an input error', async () => {
    // The image spec lets an index list indexes; the copier copies the whole tree, so inspect checks it all.
    const { entries, manifest, layer } = image()
    const inner = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: digestOf(manifest),
            size: manifest.length,
            platform: { os: 'linux', architecture: 'amd64' }
          }
        ]
      })
    )
    const outer = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            digest: digestOf(inner),
            size: inner.length
          }
        ]
      })
    )
    const top = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          digest: digestOf(outer),
          size: outer.length,
          annotations: { 'org.opencontainers.image.ref.name': 'v1' }
        }
      ]
    }
    const file = archiveOf(
      tarOf([
        ...entries
          .filter(entry => entry.name !== blobName(digestOf(layer)))
          .map(entry =>
            entry.name === 'index.json' ? { ...entry, body: JSON.stringify(top) } : entry
          ),
        { name: blobName(digestOf(inner)), body: inner },
        { name: blobName(digestOf(outer)), body: outer }
      ])
    )
    const inspected = ociArchiveSource(file, 'v1').inspect()
    await expect(inspected).rejects.toThrow(InputError)
    await expect(inspected).rejects.toThrow(`blob "${digestOf(layer)}" is missing from the layout`)
  })
})

describe('an OCI layout folder', () => {
  test('read in place; a folder without index.json is an input error', async () => {
    const { entries, manifest } = image()
    const folder = path.join(dir, 'layout')
    for (const entry of entries) {
      if (entry.type === '5') continue
      fs.mkdirSync(path.dirname(path.join(folder, entry.name)), { recursive: true })
      fs.writeFileSync(path.join(folder, entry.name), entry.body ?? '')
    }
    expect((await ociLayoutSource(folder, '').root()).bytes).toEqual(manifest)
    await expect(ociLayoutSource(dir, '').root()).rejects.toThrow(/holds no index.json/)
  })
})
