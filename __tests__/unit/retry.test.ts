import { afterEach, describe, expect, jest, test } from '@jest/globals'
import { PushError } from '../../src/errors.js'
import { withRetries } from '../../src/push/retry.js'
import { type FailureContext, translateFailure } from '../../src/push/translate.js'
import { toolError } from './fake-runner.js'

const HOST = 'registry-oci.example.com'
const context: FailureContext = {
  action: 'push',
  tool: 'podman',
  host: HOST,
  project: 'proj',
  username: 'robot$proj+ci',
  reference: `${HOST}/proj/app:v1`
}
const translate = (error: unknown): PushError => translateFailure(error, context)

const REFUSED = `Error: pinging container registry ${HOST}: dial tcp 10.0.0.5:443: connect: connection refused`
const UNAVAILABLE = 'received unexpected HTTP status: 503 Service Unavailable'
const TIMEOUT = `Error: Patch "https://${HOST}/v2/proj/app/blobs/uploads/x": dial tcp 10.0.0.5:443: i/o timeout`
const REJECTED = `Error: logging into "${HOST}": invalid username/password`

/** An attempt that fails with these stderr texts in turn, then succeeds; counts its calls. */
function scripted(
  failures: string[],
  value = 'done'
): { attempt: () => Promise<string>; calls: () => number } {
  let calls = 0
  const attempt = async (): Promise<string> => {
    const stderr = failures[calls++]
    await Promise.resolve()
    if (stderr !== undefined) throw toolError('podman', ['push'], stderr)
    return value
  }
  return { attempt, calls: () => calls }
}

async function failureOf(promise: Promise<unknown>): Promise<PushError> {
  const error = await promise.catch((caught: unknown) => caught)
  expect(error).toBeInstanceOf(PushError)
  return error as PushError
}

afterEach(() => {
  jest.restoreAllMocks()
  jest.useRealTimers()
})

describe('transient failures', () => {
  test('are retried until the attempt succeeds', async () => {
    const { attempt, calls } = scripted([REFUSED, UNAVAILABLE])
    await expect(withRetries(attempt, translate, { retries: 2, baseDelayMs: 1 })).resolves.toBe(
      'done'
    )
    expect(calls()).toBe(3)
  })

  test('are retried at most `retries` times, then give up with the last cause', async () => {
    const { attempt, calls } = scripted([REFUSED, UNAVAILABLE, TIMEOUT, REFUSED])
    const failure = await failureOf(withRetries(attempt, translate, { retries: 2, baseDelayMs: 1 }))
    expect(calls()).toBe(3)
    expect(failure.message).toMatch(
      /^gave up after 3 attempts: "registry-oci\.example\.com" could not be reached or failed temporarily \(.*i\/o timeout\)$/
    )
    expect(failure.message).not.toContain('503')
    expect(failure.transient).toBe(true)
  })

  test('retries: 0 means one attempt, and no "gave up" wording', async () => {
    const { attempt, calls } = scripted([UNAVAILABLE])
    const failure = await failureOf(withRetries(attempt, translate, { retries: 0, baseDelayMs: 1 }))
    expect(calls()).toBe(1)
    expect(failure.message).not.toMatch(/gave up/)
    expect(failure.message).toMatch(/could not be reached or failed temporarily \(.*503/)
  })

  test('a permanent failure after a transient one stops at once, with its own advice', async () => {
    const { attempt, calls } = scripted([
      UNAVAILABLE,
      'denied: requested access to the resource is denied'
    ])
    const failure = await failureOf(withRetries(attempt, translate, { retries: 5, baseDelayMs: 1 }))
    expect(calls()).toBe(2)
    expect(failure.message).toMatch(/^user "robot\$proj\+ci" may pull but not push/)
    expect(failure.message).not.toMatch(/gave up/)
  })
})

describe('permanent failures', () => {
  test.each([
    ['a rejected login (401)', REJECTED, { ...context, action: 'login' as const }],
    ['a missing push right (403)', 'denied: requested access to the resource is denied', context],
    ['an immutable tag (412)', 'received unexpected HTTP status: 412 Precondition Failed', context],
    [
      'a missing project (404)',
      'unauthorized: project proj not found: project proj not found',
      context
    ],
    ['an unknown failure', 'Error: something nobody has seen before', context]
  ])('%s gets exactly one attempt', async (_label, stderr, failureContext) => {
    const { attempt, calls } = scripted([stderr, stderr, stderr])
    const onRetry = jest.fn()
    const failure = await failureOf(
      withRetries(attempt, error => translateFailure(error, failureContext), {
        retries: 5,
        baseDelayMs: 1,
        onRetry
      })
    )
    expect(calls()).toBe(1)
    expect(onRetry).not.toHaveBeenCalled()
    expect(failure.transient).toBe(false)
    expect(failure.message).not.toMatch(/gave up/)
  })

  test('the translated error itself is thrown', async () => {
    const { attempt } = scripted([REJECTED])
    const failure = await failureOf(
      withRetries(attempt, error => translateFailure(error, { ...context, action: 'login' }), {
        retries: 2,
        baseDelayMs: 1
      })
    )
    expect(failure.message).toMatch(/^login to "registry-oci\.example\.com" rejected/)
  })
})

describe('onRetry and backoff', () => {
  test('is told each retried attempt, with the translated failure and doubling delays', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5)
    const { attempt } = scripted([REFUSED, UNAVAILABLE, TIMEOUT])
    const seen: [number, string, number][] = []
    await withRetries(attempt, translate, {
      retries: 3,
      baseDelayMs: 1,
      onRetry: (number, error, delay) => seen.push([number, error.message, delay])
    })
    expect(seen.map(([number]) => number)).toEqual([1, 2, 3])
    expect(seen.map(([, , delay]) => delay)).toEqual([1, 2, 4])
    expect(seen[0][1]).toMatch(/could not be reached.*connection refused/)
    expect(seen[1][1]).toMatch(/could not be reached.*503 Service Unavailable/)
  })

  test('jitter keeps each delay between half and one and a half times the step', async () => {
    const delays = async (random: number): Promise<number[]> => {
      jest.spyOn(Math, 'random').mockReturnValue(random)
      const found: number[] = []
      const { attempt } = scripted([REFUSED, REFUSED, REFUSED])
      await withRetries(attempt, translate, {
        retries: 3,
        baseDelayMs: 2,
        onRetry: (_number, _error, delay) => found.push(delay)
      })
      return found
    }
    await expect(delays(0)).resolves.toEqual([1, 2, 4])
    await expect(delays(0.999)).resolves.toEqual([3, 6, 12])
  })

  test('no onRetry call on the last, given-up attempt', async () => {
    const { attempt } = scripted([REFUSED, REFUSED, REFUSED])
    const onRetry = jest.fn()
    await failureOf(withRetries(attempt, translate, { retries: 2, baseDelayMs: 1, onRetry }))
    expect(onRetry).toHaveBeenCalledTimes(2)
  })

  test('the first delay defaults to a second, and the retry waits for it', async () => {
    jest.useFakeTimers()
    jest.spyOn(Math, 'random').mockReturnValue(0.5)
    const { attempt, calls } = scripted([REFUSED])
    const delays: number[] = []
    const result = withRetries(attempt, translate, {
      retries: 1,
      onRetry: (_number, _error, delay) => delays.push(delay)
    })
    await jest.advanceTimersByTimeAsync(999)
    expect(delays).toEqual([1000])
    expect(calls()).toBe(1)
    await jest.advanceTimersByTimeAsync(1)
    await expect(result).resolves.toBe('done')
    expect(calls()).toBe(2)
  })
})
