/**
 * A loopback HTTP proxy of our own in front of a real registry that injects
 * faults: error answers (503 with Retry-After, 403...), connections reset
 * before any answer, answers held back for a while. A rule decides per
 * request; every request is recorded, so tests can count attempts.
 */
import http from 'node:http'
import { forward } from './forward.js'

/** What to do with one request. */
export type Fault =
  | 'pass'
  | 'reset'
  /** An answer of the proxy's own; with `location`, a redirect (a blob served from object storage). */
  | { status: number; body?: string; retryAfter?: number; location?: string }
  | { stallMs: number }

export interface ProxiedRequest {
  method: string
  path: string
  authorization: boolean
  /** What the rule decided. */
  fault: string
}

export interface FaultProxy {
  host: string
  url: string
  requests: ProxiedRequest[]
  /** The rule for the requests from now on; `index` counts requests seen by the rule. */
  setRule(rule: (request: http.IncomingMessage, index: number) => Fault): void
  stop(): Promise<void>
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const requests: ProxiedRequest[] = []
  let rule: (request: http.IncomingMessage, index: number) => Fault = () => 'pass'
  let seen = 0
  const stalled = new Set<NodeJS.Timeout>()

  const server = http.createServer((request, response) => {
    const fault = rule(request, seen++)
    requests.push({
      method: request.method ?? 'GET',
      path: (request.url ?? '/').split('?')[0],
      authorization: request.headers.authorization !== undefined,
      fault: typeof fault === 'string' ? fault : JSON.stringify(fault)
    })
    if (fault === 'reset') {
      request.socket.destroy()
      return
    }
    if (typeof fault === 'object' && 'status' in fault) {
      request.resume()
      response.writeHead(fault.status, {
        'Content-Type': 'application/json',
        ...(fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {}),
        ...(fault.location !== undefined ? { Location: fault.location } : {})
      })
      response.end(
        fault.body ??
          JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected fault' }] })
      )
      return
    }
    const delay = typeof fault === 'object' ? fault.stallMs : 0
    const timer = setTimeout(() => {
      stalled.delete(timer)
      // A client that gave up waiting is gone: nothing to forward.
      if (!request.socket.destroyed) forward(request, response, upstream)
    }, delay)
    stalled.add(timer)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('the fault proxy has no port')
  const host = `127.0.0.1:${address.port}`
  return {
    host,
    url: `http://${host}`,
    requests,
    setRule: next => {
      rule = next
      seen = 0
    },
    stop: async () => {
      for (const timer of stalled) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise(resolve => server.close(resolve))
    }
  }
}
