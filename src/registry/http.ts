import fs from 'node:fs'
import { rootCertificates } from 'node:tls'
import { Agent, type Dispatcher, fetch } from 'undici'
import type { TlsOptions } from '../tools/container-tool.js'

/** Every request to a registry gives up after this long. */
export const REQUEST_TIMEOUT_MS = 30_000

const agents = new Map<string, Dispatcher>()

/**
 * The connection pool for the TLS settings asked for: the registry's CA from
 * `ca-file` (trusted on top of the system's), or no verification at all.
 * Node's global fetch cannot take a CA, so undici's own fetch is used.
 */
export function dispatcherFor(tls: TlsOptions): Dispatcher {
  const key = `${tls.tlsVerify}:${tls.caFile}`
  let agent = agents.get(key)
  if (!agent) {
    const ca = tls.caFile ? fs.readFileSync(tls.caFile, 'utf8') : undefined
    agent = new Agent({
      connect: {
        rejectUnauthorized: tls.tlsVerify,
        ...(ca ? { ca: [...rootCertificates, ca] } : {})
      },
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS
    })
    agents.set(key, agent)
  }
  return agent
}

export interface RegistryRequest {
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  timeoutMs?: number
}

/** One HTTP request to a registry with the step's TLS settings and a timeout. */
export async function registryFetch(
  url: string,
  tls: TlsOptions,
  request: RegistryRequest = {}
): ReturnType<typeof fetch> {
  return fetch(url, {
    method: request.method ?? 'GET',
    headers: request.headers,
    body: request.body,
    redirect: 'follow',
    dispatcher: dispatcherFor(tls),
    signal: AbortSignal.timeout(request.timeoutMs ?? REQUEST_TIMEOUT_MS)
  })
}

/** The innermost cause of a fetch failure ("fetch failed" says nothing). */
export function networkCause(error: unknown): string {
  let current: unknown = error
  while (current instanceof Error && current.cause instanceof Error) current = current.cause
  if (current instanceof Error) {
    const code = (current as NodeJS.ErrnoException).code
    return code && !current.message.includes(code) ? `${code}: ${current.message}` : current.message
  }
  return String(current)
}
