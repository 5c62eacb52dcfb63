/** No process the tests start takes this long; one that does is stuck. */
export const PROCESS_LIMIT_MS = 120_000

/**
 * `exited`, unless it takes longer than `limitMs`: then `kill` runs and the
 * test fails with `log()` (the output so far), so a hang (a tool waiting on
 * a lock, a request that never ends) shows where it stopped instead of
 * holding the suite until the test timeout.
 */
export async function exitWithin<T>(
  exited: Promise<T>,
  kill: () => unknown,
  log: () => string,
  limitMs = PROCESS_LIMIT_MS
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>(resolve => (timer = setTimeout(() => resolve('late'), limitMs)))
  const result = await Promise.race([exited, late])
  clearTimeout(timer)
  if (result !== 'late') return result
  await kill()
  throw new Error(
    `still running after ${limitMs / 1000} s, so killed; its output so far:\n${log()}`
  )
}
