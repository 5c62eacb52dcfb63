import { backoffDelay, sleep } from '../backoff.js'
import { PushError } from '../errors.js'

export interface RetryOptions {
  /** Extra attempts after the first. */
  retries: number
  /** First backoff in milliseconds; doubled each time, with jitter. */
  baseDelayMs?: number
  /** Told about each failed attempt that will be retried. */
  onRetry?: (attempt: number, error: PushError, delayMs: number) => void
}

/**
 * Runs `attempt` until it succeeds, fails for good, or runs out of retries.
 * Only transient failures (network, 5xx, 429, timeouts) are retried: another
 * try cannot fix a wrong secret or an immutable tag, it only hides them.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  translate: (error: unknown) => PushError,
  options: RetryOptions
): Promise<T> {
  const base = options.baseDelayMs ?? 1000
  for (let number = 1; ; number++) {
    try {
      return await attempt()
    } catch (error) {
      const failure = translate(error)
      if (!failure.transient) throw failure
      if (number > options.retries) {
        throw new PushError(
          number > 1 ? `gave up after ${number} attempts: ${failure.message}` : failure.message,
          true
        )
      }
      const delay = backoffDelay(number, base)
      options.onRetry?.(number, failure, delay)
      await sleep(delay)
    }
  }
}
