import { describe, expect, test } from '@jest/globals'
import { ToolError } from '../../src/errors.js'
import {
  inspectLocalImages,
  normaliseImageId,
  parseLocalImage
} from '../../src/tools/container-tool.js'

const ID = (byte: string): string => `sha256:${byte.repeat(32)}`

describe('inspectLocalImages', () => {
  test('all present: one call for all, IDs in order', async () => {
    const calls: string[][] = []
    const ids = await inspectLocalImages(
      refs => {
        calls.push(refs)
        return Promise.resolve(
          `${'aa'.repeat(32)} [${ID('01')}]\n${ID('bb')} [${ID('01')} ${ID('02')}]\n`
        )
      },
      () => Promise.reject(new Error('not called')),
      ['a:1', 'b:1']
    )
    expect(ids).toEqual([
      { id: ID('aa'), layers: [ID('01')] },
      { id: ID('bb'), layers: [ID('01'), ID('02')] }
    ])
    expect(calls).toEqual([['a:1', 'b:1']])
  })

  test('some missing: the tool fails the batch, so each is asked alone', async () => {
    const ids = await inspectLocalImages(
      () =>
        Promise.reject(
          new ToolError('failed', 'podman image inspect', 125, 'b:1: image not known')
        ),
      ref => Promise.resolve(ref === 'a:1' ? { id: ID('aa'), layers: [] } : undefined),
      ['a:1', 'b:1']
    )
    expect(ids).toEqual([{ id: ID('aa'), layers: [] }, undefined])
  })

  test('anything but a tool failure is not hidden', async () => {
    await expect(
      inspectLocalImages(
        () => Promise.reject(new Error('spawn failed')),
        () => Promise.resolve({ id: ID('aa'), layers: [] }),
        ['a:1']
      )
    ).rejects.toThrow('spawn failed')
  })

  test('no images, no call', async () => {
    expect(
      await inspectLocalImages(
        () => Promise.reject(new Error('not called')),
        () => Promise.reject(new Error('not called')),
        []
      )
    ).toEqual([])
  })

  test.each([
    ['ab'.repeat(32), ID('ab')],
    [` ${ID('ab')}\n`, ID('ab')]
  ])('normaliseImageId(%j)', (raw, id) => {
    expect(normaliseImageId(raw)).toBe(id)
  })

  test.each([
    // docker and podman print a Go slice; podman leaves the algorithm off the ID.
    [`${ID('ab')} [${ID('01')} ${ID('02')}]`, { id: ID('ab'), layers: [ID('01'), ID('02')] }],
    [`${'ab'.repeat(32)} [${ID('01')}]\n`, { id: ID('ab'), layers: [ID('01')] }],
    [`${ID('ab')} []`, { id: ID('ab'), layers: [] }],
    [`${ID('ab')}`, { id: ID('ab'), layers: [] }],
    // {{json .RepoDigests}} as docker and podman print it, podman's null for none.
    [
      `${ID('ab')} [${ID('01')}] ["127.0.0.1:5000/p/app@${ID('d1')}","p/app@${ID('d2')}"]`,
      {
        id: ID('ab'),
        layers: [ID('01')],
        recorded: [`127.0.0.1:5000/p/app@${ID('d1')}`, `p/app@${ID('d2')}`]
      }
    ],
    [`${ID('ab')} [${ID('01')}] []`, { id: ID('ab'), layers: [ID('01')] }],
    [`${'ab'.repeat(32)} [${ID('01')}] null`, { id: ID('ab'), layers: [ID('01')] }],
    [`${ID('ab')} [${ID('01')}] map[]`, { id: ID('ab'), layers: [ID('01')] }]
  ])('parseLocalImage(%j)', (line, image) => {
    expect(parseLocalImage(line)).toEqual(image)
  })
})
