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
