import { setTimeout } from 'node:timers/promises'

/**
 * How long to wait before attempt `attempt + 1`: exponential from `baseMs`,
 * with jitter (x0.5 to x1.5) so parallel pushes that failed together do not
 * come back together.
 */
export function backoffDelay(attempt: number, baseMs: number): number {
  return Math.round(baseMs * 2 ** (attempt - 1) * (0.5 + Math.random()))
}

/** A `Retry-After` header (seconds or an HTTP date) in milliseconds, capped; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, capMs = 60_000): number | undefined {
  if (!header) return undefined
  const seconds = Number(header)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now()
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), capMs) : undefined
}

/** Waits `ms`; rejects at once when `signal` aborts (then no timer keeps the process alive). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  setTimeout(ms, undefined, { signal })

export interface RetryLoop {
  /** Extra attempts after the first. */
  retries: number
  /** First backoff in milliseconds; doubled each time, with jitter. */
  baseDelayMs?: number
  /** Whether another attempt may cure this failure. */
  retryable: (error: unknown) => boolean
  /** Told about each failed attempt that will be retried. */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void
  /** Stops the retries: the failure in hand is thrown. */
  signal?: AbortSignal
}

/**
 * Runs `attempt` until it succeeds, fails with what `retryable` refuses, or
 * runs out of retries, with `backoffDelay` between attempts; the last
 * failure is thrown as it came.
 */
export async function retrying<T>(attempt: () => Promise<T>, loop: RetryLoop): Promise<T> {
  const base = loop.baseDelayMs ?? 1000
  for (let number = 1; ; number++) {
    try {
      return await attempt()
    } catch (error) {
      if (number > loop.retries || loop.signal?.aborted || !loop.retryable(error)) throw error
      const delay = backoffDelay(number, base)
      loop.onRetry?.(number, error, delay)
      await sleep(delay)
    }
  }
}
