import { describe, expect, it } from '@jest/globals'
import type { RegistryClient } from '../../src/registry/client.js'
import { readTag, tagState } from '../../src/push/tag-state.js'

const config = `sha256:${'c'.repeat(64)}`
const manifest = `sha256:${'a'.repeat(64)}`
const index = `sha256:${'b'.repeat(64)}`

describe('tagState for a local image', () => {
  it('is the same when the tag holds the image whose config digest is the local ID (classic docker store, podman)', () => {
    const held = {
      digest: manifest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      configDigest: config,
      layers: []
    }
    expect(tagState(held, { configDigest: config })).toEqual({ kind: 'same', digest: manifest })
  })

  it("is the same when the local ID is the tag's manifest or index digest (docker's containerd image store)", () => {
    const held = {
      digest: index,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      layers: [],
      children: [manifest],
      platformConfigs: [config]
    }
    expect(tagState(held, { configDigest: index })).toEqual({ kind: 'same', digest: index })
  })

  it('says the platforms of an index that is the same, as the registry lists them', () => {
    const held = {
      digest: index,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      layers: [],
      children: [manifest, config],
      platforms: ['linux/amd64', 'linux/arm64']
    }
    expect(tagState(held, { configDigest: index })).toEqual({
      kind: 'same',
      digest: index,
      platforms: ['linux/amd64', 'linux/arm64']
    })
  })

  it('is different when neither the config nor the manifest digest is the local ID', () => {
    const held = {
      digest: manifest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      configDigest: config,
      layers: []
    }
    expect(tagState(held, { configDigest: index })).toEqual({ kind: 'different', digest: manifest })
  })
})

describe('readTag', () => {
  const target = { host: '127.0.0.1:5000', repository: 'p/app', tag: 'v1' }
  const info = {
    digest: manifest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    configDigest: config,
    layers: []
  }
  /** A registry whose tag p/app:v1 holds `manifest`; records the manifest HEADs and GETs. */
  function registry(): { client: RegistryClient; heads: string[]; gets: string[] } {
    const heads: string[] = []
    const gets: string[] = []
    const client = {
      tagDigest: (_repository: string, reference: string) => {
        heads.push(reference)
        return Promise.resolve(manifest)
      },
      manifest: (_repository: string, reference: string) => {
        gets.push(reference)
        return Promise.resolve(info)
      }
    } as unknown as RegistryClient
    return { client, heads, gets }
  }

  it('needs no manifest GET for a digest the engine recorded in this repository', async () => {
    const { client, heads, gets } = registry()
    const held = await readTag(
      client,
      target,
      Promise.resolve([`127.0.0.1:5000/p/app@${manifest}`])
    )
    expect(held).toEqual({ digest: manifest, recorded: true })
    expect(tagState(held, { configDigest: config })).toEqual({ kind: 'same', digest: manifest })
    expect(heads).toEqual(['v1'])
    expect(gets).toEqual([])
  })

  it('reads the manifest after the HEAD when the digest of this repository is another', async () => {
    const { client, heads, gets } = registry()
    const held = await readTag(client, target, Promise.resolve([`127.0.0.1:5000/p/app@${index}`]))
    expect(held).toEqual(info)
    expect(heads).toEqual(['v1'])
    expect(gets).toEqual(['v1'])
  })

  it.each([
    ['another repository', `127.0.0.1:5000/p/other@${manifest}`],
    ['another registry', `127.0.0.2:5000/p/app@${manifest}`]
  ])(
    'reads the manifest at once, with no HEAD, when the only record names %s',
    async (_label, name) => {
      const { client, heads, gets } = registry()
      const held = await readTag(client, target, Promise.resolve([name]))
      expect(held).toEqual(info)
      expect(heads).toEqual([])
      expect(gets).toEqual(['v1'])
    }
  )

  it('reads the manifest at once when nothing was recorded: a HEAD first would only add a round trip', async () => {
    const { client, heads, gets } = registry()
    expect(await readTag(client, target, Promise.resolve(undefined))).toEqual(info)
    expect(await readTag(client, target)).toEqual(info)
    expect(heads).toEqual([])
    expect(gets).toEqual(['v1', 'v1'])
  })

  it('asks with a HEAD first where told to (Docker Hub, where a GET counts against the pull rate limit)', async () => {
    const { client, heads, gets } = registry()
    expect(await readTag(client, target, undefined, true)).toEqual(info)
    expect(heads).toEqual(['v1'])
    expect(gets).toEqual(['v1'])
  })
})
