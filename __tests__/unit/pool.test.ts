import { describe, expect, test } from '@jest/globals'
import { mapAfter, mapWithLimit } from '../../src/pool.js'

interface Deferred<T> {
  promise: Promise<T>
  resolve: (value: T) => void
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined
  const promise = new Promise<T>(done => {
    resolve = done
  })
  return { promise, resolve }
}

/** Lets every pending promise callback run. */
const settle = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

/**
 * Work whose every item waits until the test releases it, recording which
 * items have started and how many ran at once.
 */
function gatedWork(): {
  work: (item: string, index: number) => Promise<string>
  started: number[]
  release: (index: number) => void
  peak: () => number
} {
  const gates = new Map<number, Deferred<void>>()
  const started: number[] = []
  let active = 0
  let peak = 0
  const work = async (item: string, index: number): Promise<string> => {
    started.push(index)
    active++
    peak = Math.max(peak, active)
    const gate = deferred<void>()
    gates.set(index, gate)
    await gate.promise
    active--
    return `${item}!`
  }
  const release = (index: number): void => {
    const gate = gates.get(index)
    if (!gate) throw new Error(`item ${index} has not started`)
    gate.resolve()
  }
  return { work, started, release, peak: () => peak }
}

describe('mapWithLimit', () => {
  test('never runs more than `limit` at once, and starts the next as one ends', async () => {
    const { work, started, release, peak } = gatedWork()
    const result = mapWithLimit(['a', 'b', 'c', 'd', 'e'], 2, work)
    await settle()
    expect(started).toEqual([0, 1])

    release(1)
    await settle()
    expect(started).toEqual([0, 1, 2])

    release(0)
    await settle()
    expect(started).toEqual([0, 1, 2, 3])

    release(3)
    release(2)
    await settle()
    expect(started).toEqual([0, 1, 2, 3, 4])
    release(4)

    await expect(result).resolves.toEqual(['a!', 'b!', 'c!', 'd!', 'e!'])
    expect(peak()).toBe(2)
  })

  test('keeps the order of the items whatever order the work ends in', async () => {
    const { work, release } = gatedWork()
    const result = mapWithLimit(['x', 'y', 'z'], 3, work)
    await settle()
    release(2)
    await settle()
    release(0)
    await settle()
    release(1)
    await expect(result).resolves.toEqual(['x!', 'y!', 'z!'])
  })

  test('a limit larger than the items starts them all at once', async () => {
    const { work, started, release, peak } = gatedWork()
    const result = mapWithLimit(['a', 'b', 'c'], 10, work)
    await settle()
    expect(started).toEqual([0, 1, 2])
    for (const index of [0, 1, 2]) release(index)
    await expect(result).resolves.toEqual(['a!', 'b!', 'c!'])
    expect(peak()).toBe(3)
  })

  test('a limit of one runs the items one after another', async () => {
    const { work, started, release, peak } = gatedWork()
    const result = mapWithLimit(['a', 'b'], 1, work)
    await settle()
    expect(started).toEqual([0])
    release(0)
    await settle()
    expect(started).toEqual([0, 1])
    release(1)
    await expect(result).resolves.toEqual(['a!', 'b!'])
    expect(peak()).toBe(1)
  })

  test('empty input gives an empty result without calling the work', async () => {
    let called = 0
    const work = async (): Promise<number> => {
      called++
      return Promise.resolve(1)
    }
    await expect(mapWithLimit([], 3, work)).resolves.toEqual([])
    expect(called).toBe(0)
  })

  test('each item is worked on once, with its index', async () => {
    const seen: [string, number][] = []
    const result = await mapWithLimit(['p', 'q', 'r', 's'], 3, async (item, index) => {
      seen.push([item, index])
      await settle()
      return index * 10
    })
    expect(result).toEqual([0, 10, 20, 30])
    expect([...seen].sort(([a], [b]) => a.localeCompare(b))).toEqual([
      ['p', 0],
      ['q', 1],
      ['r', 2],
      ['s', 3]
    ])
  })
})

describe('mapAfter', () => {
  test('an item waits for the items it comes after; free slots go to the next that may start', async () => {
    const { work, started, release, peak } = gatedWork()
    // 1 and 2 come after 0 (they share its base layer); 3 shares nothing.
    const after = [[], [0], [0], []]
    const result = mapAfter(['a', 'b', 'c', 'd'], 3, index => after[index], work)
    await settle()
    expect(started).toEqual([0, 3])

    release(3)
    await settle()
    expect(started).toEqual([0, 3])

    release(0)
    await settle()
    expect(started).toEqual([0, 3, 1, 2])
    release(2)
    release(1)
    await expect(result).resolves.toEqual(['a!', 'b!', 'c!', 'd!'])
    expect(peak()).toBe(2)
  })

  test('the limit still holds when many become free at once', async () => {
    const { work, started, release, peak } = gatedWork()
    const result = mapAfter(['a', 'b', 'c', 'd'], 2, index => (index === 0 ? [] : [0]), work)
    await settle()
    expect(started).toEqual([0])
    release(0)
    await settle()
    expect(started).toEqual([0, 1, 2])
    release(1)
    await settle()
    expect(started).toEqual([0, 1, 2, 3])
    release(2)
    release(3)
    await expect(result).resolves.toEqual(['a!', 'b!', 'c!', 'd!'])
    expect(peak()).toBe(2)
  })
})
