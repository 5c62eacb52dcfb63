import { describe, expect, test } from '@jest/globals'
import { uploadOrder } from '../../src/push/pipeline.js'

const LAYER = (byte: string): string => `sha256:${byte.repeat(32)}`
const BASE = LAYER('00')

/** One image (its targets share a source) with these layers; `push` says whether its tags need a push. */
const image = (
  layers: string[],
  push = true,
  tags = 1
): { local: { id: string; layers: string[] }; push: boolean }[] =>
  Array.from({ length: tags }, () => ({ local: { id: LAYER('ff'), layers }, push }))

const order = (groups: ReturnType<typeof image>[]): number[][] =>
  uploadOrder(
    groups,
    target => target.push,
    target => target.local.layers
  )

describe('uploadOrder', () => {
  test('images on one base wait for the first, which uploads it', () => {
    expect(
      order([image([BASE, LAYER('01')]), image([BASE, LAYER('02')]), image([BASE, LAYER('03')])])
    ).toEqual([[], [0], [0]])
  })

  test('images that share nothing wait for nobody', () => {
    expect(order([image([LAYER('01')]), image([LAYER('02')]), image([])])).toEqual([[], [], []])
  })

  test('an image waits for the first uploader of each layer it shares', () => {
    const second = LAYER('22')
    expect(
      order([image([BASE, LAYER('01')]), image([second]), image([BASE, second, LAYER('03')])])
    ).toEqual([[], [], [0, 1]])
  })

  test('an image with nothing to push uploads nothing: the next one uploads the base', () => {
    expect(
      order([image([BASE, LAYER('01')], false), image([BASE, LAYER('02')]), image([BASE])])
    ).toEqual([[], [], [1]])
  })

  test('the same layer twice in one image is no reason to wait for itself', () => {
    expect(order([image([BASE, BASE], true, 2)])).toEqual([[]])
  })
})
