import fs from 'node:fs'
import { rootCertificates } from 'node:tls'
import { Agent, Dispatcher, ProxyAgent, fetch } from 'undici'
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
  body?: string | Uint8Array
  timeoutMs?: number
  /**
   * The body is streamed (a blob of any size): `timeoutMs` bounds the wait
   * for the answer's headers only, and the connection pool's idle timeout
   * (REQUEST_TIMEOUT_MS without a byte) guards the body, however long it is.
   */
  streamBody?: boolean
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
  const retries = request.retry?.retries ?? 0
  const base = request.retry?.baseDelayMs ?? 1000
  for (let attempt = 1; ; attempt++) {
    let cause: string
    let delay: number
    const timeout: { signal: AbortSignal; clear?: () => void } = request.streamBody
      ? headersTimeout(request.signal, request.timeoutMs ?? REQUEST_TIMEOUT_MS)
      : { signal: withTimeout(request.signal, request.timeoutMs ?? REQUEST_TIMEOUT_MS) }
    try {
      // A redirect (a blob served from object storage) is followed; fetch
      // drops the Authorization header when it leads to another origin, so
      // the registry's credentials never reach the storage host.
      const response = await fetch(url, {
        method: request.method ?? 'GET',
        headers: request.headers,
        body: request.body,
        redirect: 'follow',
        dispatcher: dispatcherFor(tls),
        signal: timeout.signal
      }).finally(() => timeout.clear?.())
      if (!TRANSIENT_STATUS.has(response.status) || attempt > retries) return response
      cause = `HTTP ${response.status}`
      delay = retryAfterMs(response.headers.get('retry-after')) ?? backoffDelay(attempt, base)
      await response.arrayBuffer().catch(() => undefined)
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

/** A signal that gives up when the headers take longer than `ms`; `clear` once they came. */
function headersTimeout(
  signal: AbortSignal | undefined,
  ms: number
): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
    ms
  )
  return {
    signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
    clear: () => clearTimeout(timer)
  }
}

function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
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
