import { describe, expect, it } from '@jest/globals'
import { tagState } from '../../src/push/tag-state.js'

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
