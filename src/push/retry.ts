import { retrying } from '../backoff.js'
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
  let attempts = 0
  try {
    return await retrying(
      async () => {
        attempts++
        return await attempt().catch((error: unknown) => {
          throw translate(error)
        })
      },
      {
        retries: options.retries,
        baseDelayMs: options.baseDelayMs,
        retryable: failure => (failure as PushError).transient,
        onRetry: (number, failure, delay) => options.onRetry?.(number, failure as PushError, delay)
      }
    )
  } catch (error) {
    const failure = error as PushError
    if (!failure.transient || attempts === 1) throw failure
    throw new PushError(`gave up after ${attempts} attempts: ${failure.message}`, true)
  }
}
