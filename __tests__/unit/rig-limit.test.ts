import { expect, test } from '@jest/globals'
import { exitWithin } from '../../rig/limit.js'

test('a process that exits in time gives its result; nothing is killed', async () => {
  let killed = false
  const result = await exitWithin(
    Promise.resolve(0),
    () => (killed = true),
    () => 'log',
    1000
  )
  expect(result).toBe(0)
  expect(killed).toBe(false)
})

test('a stuck process is killed and the test fails with its output so far', async () => {
  let killed = false
  const never = new Promise<number>(() => undefined)
  await expect(
    exitWithin(
      never,
      () => (killed = true),
      () => 'pushing apim-le-cache...',
      50
    )
  ).rejects.toThrow(
    'still running after 0.05 s, so killed; its output so far:\npushing apim-le-cache...'
  )
  expect(killed).toBe(true)
})
