import { describe, expect, test } from '@jest/globals'
import { ToolError } from '../../src/errors.js'
import { inspectImageIds, normaliseImageId } from '../../src/tools/container-tool.js'

const ID = (byte: string): string => `sha256:${byte.repeat(32)}`

describe('inspectImageIds', () => {
  test('all present: one call for all, IDs in order', async () => {
    const calls: string[][] = []
    const ids = await inspectImageIds(
      refs => {
        calls.push(refs)
        return Promise.resolve(`${'aa'.repeat(32)}\n${ID('bb')}\n`)
      },
      () => Promise.reject(new Error('not called')),
      ['a:1', 'b:1']
    )
    expect(ids).toEqual([ID('aa'), ID('bb')])
    expect(calls).toEqual([['a:1', 'b:1']])
  })

  test('some missing: the tool fails the batch, so each is asked alone', async () => {
    const ids = await inspectImageIds(
      () =>
        Promise.reject(
          new ToolError('failed', 'podman image inspect', 125, 'b:1: image not known')
        ),
      ref => Promise.resolve(ref === 'a:1' ? ID('aa') : undefined),
      ['a:1', 'b:1']
    )
    expect(ids).toEqual([ID('aa'), undefined])
  })

  test('anything but a tool failure is not hidden', async () => {
    await expect(
      inspectImageIds(
        () => Promise.reject(new Error('spawn failed')),
        () => Promise.resolve(ID('aa')),
        ['a:1']
      )
    ).rejects.toThrow('spawn failed')
  })

  test('no images, no call', async () => {
    expect(
      await inspectImageIds(
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
})
