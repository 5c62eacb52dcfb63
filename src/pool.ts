/**
 * Maps `items` through `work` with at most `limit` running at once, keeping
 * the order of results. `work` must not throw: a failure is a result too.
 */
export function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  return mapAfter(items, limit, () => [], work)
}

/**
 * mapWithLimit where item `i` starts only once every item of `after(i)` has
 * finished (all earlier than `i`, so nothing waits forever); a free slot goes
 * to the first item that may start.
 */
export function mapAfter<T, R>(
  items: readonly T[],
  limit: number,
  after: (index: number) => number[],
  work: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  return new Promise((resolve, reject) => {
    const results = new Array<R>(items.length)
    const state = items.map((): 'waiting' | 'running' | 'done' => 'waiting')
    let running = 0
    let finished = 0
    const startWhatMay = (): void => {
      if (finished === items.length) return resolve(results)
      for (let index = 0; index < items.length && running < limit; index++) {
        if (state[index] !== 'waiting' || after(index).some(other => state[other] !== 'done')) {
          continue
        }
        state[index] = 'running'
        running++
        work(items[index], index).then(result => {
          results[index] = result
          state[index] = 'done'
          running--
          finished++
          startWhatMay()
        }, reject)
      }
    }
    startWhatMay()
  })
}
