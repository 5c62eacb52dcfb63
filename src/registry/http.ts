import fs from 'node:fs'
import { Readable } from 'node:stream'
import { rootCertificates } from 'node:tls'
import { Agent, Dispatcher, ProxyAgent, Response, fetch, request as undiciRequest } from 'undici'
import { backoffDelay, retryAfterMs, sleep } from '../backoff.js'
import type { TlsOptions } from '../settings/tls.js'
import { proxyFor } from './proxy.js'

/** Every request to a registry gives up after this long. */
export const REQUEST_TIMEOUT_MS = 30_000

const dispatchers = new Map<string, Dispatcher>()

/**
 * The connection pool for the TLS settings asked for: the registry's CA from
 * `ca-file` (trusted on top of the system's), or no verification at all.
 * Node's global fetch cannot take a CA, so undici's own fetch is used. Each
 * request goes through the proxy that podman, helm and docker would use for
 * its URL (see proxy.ts), with the same TLS settings towards the registry
 * through the proxy's tunnel; a redirect to another host picks its own.
 */
export function dispatcherFor(tls: TlsOptions): Dispatcher {
  const key = `${tls.tlsVerify}:${tls.caFile}`
  let dispatcher = dispatchers.get(key)
  if (!dispatcher) {
    const ca = tls.caFile ? fs.readFileSync(tls.caFile, 'utf8') : undefined
    const registryTls = {
      rejectUnauthorized: tls.tlsVerify,
      ...(ca ? { ca: [...rootCertificates, ca] } : {})
    }
    const timeouts = { headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS }
    const direct = new Agent({ connect: registryTls, ...timeouts })
    const proxied = new Map<string, Dispatcher>()
    dispatcher = new ByOrigin(origin => {
      const proxy = proxyFor(origin)
      if (!proxy) return direct
      const proxyUrl = new URL(proxy)
      if (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') {
        // Go's clients also take socks5://; undici has no SOCKS support.
        proxyUrl.username = ''
        proxyUrl.password = ''
        const variable = origin.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY'
        throw new Error(
          `the proxy "${proxyUrl.href}" (${variable}) is not an http:// or https:// proxy, the only kinds harbor-push's own registry requests can use: give an HTTP proxy, or list "${origin.hostname}" in NO_PROXY`
        )
      }
      let agent = proxied.get(proxy)
      if (!agent) {
        agent = new ProxyAgent({
          uri: proxy,
          requestTls: registryTls,
          // Plain-HTTP registries get absolute-URI requests, as Go's clients send them,
          // rather than a CONNECT tunnel that many proxies allow to port 443 only.
          proxyTunnel: false,
          ...timeouts
        })
        proxied.set(proxy, agent)
      }
      return agent
    })
    dispatchers.set(key, dispatcher)
  }
  return dispatcher
}

/** Hands each request to the dispatcher chosen for its origin. */
class ByOrigin extends Dispatcher {
  constructor(private readonly choose: (origin: URL) => Dispatcher) {
    super()
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandlers
  ): boolean {
    return this.choose(new URL(String(options.origin))).dispatch(options, handler)
  }
}

/** Extra attempts for transient failures, and the first backoff. */
export interface RetryPolicy {
  retries: number
  baseDelayMs?: number
  /** Told about each attempt that failed and will be retried. */
  onRetry?: (attempt: number, cause: string, delayMs: number) => void
}

export interface RegistryRequest {
  method?: string
  headers?: Record<string, string>
  /**
   * A stream (an upload) is sent once: it cannot be read again, so it is
   * never retried here; its caller starts the upload over instead.
   */
  body?: string | Uint8Array | AsyncIterable<Uint8Array>
  /** Infinity: no overall limit (an upload, whose caller watches it for stalls). */
  timeoutMs?: number
  retry?: RetryPolicy
  /** Gives up the request and any retry still to come. */
  signal?: AbortSignal
}

/** Statuses worth another attempt: rate limits and gateways or registries that are briefly down. */
export const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504])

/**
 * Network failures worth another attempt. Narrow on purpose: a TLS protocol
 * or certificate error will not go away, and probing HTTPS on a plain-HTTP
 * registry must fail at once.
 */
const TRANSIENT_NETWORK =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|other side closed|TimeoutError|timeout/i

/**
 * One HTTP request to a registry with the step's TLS settings and a timeout.
 * Transient failures (network, 429, 5xx) are retried with backoff as the
 * policy allows, honouring `Retry-After`; the last answer or error is
 * returned or thrown as it came.
 */
export async function registryFetch(
  url: string,
  tls: TlsOptions,
  request: RegistryRequest = {}
): ReturnType<typeof fetch> {
  const streamed = request.body !== undefined && isStream(request.body)
  const retries = streamed ? 0 : (request.retry?.retries ?? 0)
  const base = request.retry?.baseDelayMs ?? 1000
  if (streamed) return sendStream(url, tls, request, request.body as AsyncIterable<Uint8Array>)
  for (let attempt = 1; ; attempt++) {
    let cause: string
    let delay: number
    try {
      const response = await fetch(url, {
        method: request.method ?? 'GET',
        headers: request.headers,
        body: request.body as string | Uint8Array | undefined,
        redirect: 'follow',
        dispatcher: dispatcherFor(tls),
        signal: withTimeout(request.signal, request.timeoutMs ?? REQUEST_TIMEOUT_MS)
      })
      if (!TRANSIENT_STATUS.has(response.status) || attempt > retries) return response
      cause = `HTTP ${response.status}`
      delay = retryAfterMs(response.headers.get('retry-after')) ?? backoffDelay(attempt, base)
      await discardBody(response).catch(() => undefined)
    } catch (error) {
      cause =
        error instanceof Error && error.name === 'TimeoutError'
          ? 'TimeoutError'
          : networkCause(error)
      if (attempt > retries || !TRANSIENT_NETWORK.test(cause) || request.signal?.aborted) {
        throw error
      }
      delay = backoffDelay(attempt, base)
    }
    request.retry?.onRetry?.(attempt, `${cause} from ${url}`, delay)
    await sleep(delay, request.signal)
  }
}

/**
 * An upload, sent once through undici's request API and answered as fetch
 * answers. fetch passes a request body through a web stream that copies
 * every chunk: measured with seven 64 MiB uploads at once to a loopback
 * sink, 555-644 MiB peak RSS with fetch, 173 MiB with this. The agent's
 * header and body timeouts still apply (undici renews the header timeout
 * with every chunk written, so a slow link is not cut, a stalled one is).
 * No redirect is followed: the body cannot be sent twice.
 */
async function sendStream(
  url: string,
  tls: TlsOptions,
  request: RegistryRequest,
  body: AsyncIterable<Uint8Array>
): Promise<Response> {
  const answer = await undiciRequest(url, {
    method: (request.method ?? 'PUT') as Dispatcher.HttpMethod,
    headers: request.headers,
    body: Readable.from(body, { objectMode: false }),
    dispatcher: dispatcherFor(tls),
    signal: request.signal
  })
  const headers = new Headers()
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of Array.isArray(value) ? value : [value ?? '']) headers.append(name, one)
  }
  const empty = [204, 205, 304].includes(answer.statusCode)
  if (empty) answer.body.destroy()
  // The body stays a stream: whoever reads it reads what it needs (bounded), not all of it.
  const answered = empty ? null : (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>)
  return new Response(answered, { status: answer.statusCode, headers })
}

/**
 * The first `maxBytes` of a body, and whether there was more: the rest is
 * never read (the stream is cancelled), so a registry that answers with an
 * endless or huge body costs at most `maxBytes` of memory. `Content-Length`
 * is not trusted for this: a chunked answer has none.
 */
export async function readBounded(
  response: Response,
  maxBytes: number
): Promise<{ bytes: Buffer; more: boolean }> {
  const chunks: Buffer[] = []
  let size = 0
  // Leaving the loop early cancels the stream: the rest is never read.
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    const room = maxBytes - size
    if (chunk.length > room) {
      chunks.push(Buffer.from(chunk.subarray(0, room)))
      return { bytes: Buffer.concat(chunks), more: true }
    }
    chunks.push(Buffer.from(chunk))
    size += chunk.length
  }
  return { bytes: Buffer.concat(chunks), more: false }
}

/** How much of an answer is read when only its words are wanted (an error, `/v2/`). */
const WORDS_BYTES = 64 * 1024

/** The start of a body read for its words (an error's `errors`, an HTML title); the rest is left unread. */
export async function bodyWords(response: Response): Promise<string> {
  return (await readBounded(response, WORDS_BYTES)).bytes.toString('utf8')
}

/**
 * Lets an answer go whose body is not wanted: a small one is read to its
 * end (so its connection serves the next request), a large or endless one
 * (a broken proxy, a hostile registry) is cut after WORDS_BYTES.
 */
export async function discardBody(response: Response): Promise<void> {
  await readBounded(response, WORDS_BYTES)
}

/** Whether a request that threw `error` may succeed another time (a network failure registryFetch would retry). */
export function isTransientNetworkFailure(error: unknown): boolean {
  if (error instanceof Error && error.name === 'TimeoutError') return true
  return TRANSIENT_NETWORK.test(networkCause(error))
}

/** A body that is a stream (an upload): sent once, never retried or resent. */
export function isStream(
  body: NonNullable<RegistryRequest['body']>
): body is AsyncIterable<Uint8Array> {
  return typeof body !== 'string' && !(body instanceof Uint8Array)
}

function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal | undefined {
  if (ms === Infinity) return signal
  const timeout = AbortSignal.timeout(ms)
  return signal ? AbortSignal.any([signal, timeout]) : timeout
}

/** The innermost cause of a fetch failure ("fetch failed" says nothing). */
export function networkCause(error: unknown): string {
  // Duck-typed: undici's errors may come from another realm (a test VM), where instanceof fails.
  let current = asError(error)
  for (let cause = asError(current?.cause); cause; cause = asError(cause.cause)) current = cause
  if (!current) return String(error)
  const code = current.code
  return code && !current.message.includes(code) ? `${code}: ${current.message}` : current.message
}

function asError(value: unknown): { message: string; code?: string; cause?: unknown } | undefined {
  return typeof value === 'object' && value !== null && 'message' in value
    ? (value as { message: string; code?: string; cause?: unknown })
    : undefined
}
