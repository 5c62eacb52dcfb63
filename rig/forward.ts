/** Passing HTTP requests on to a registry behind one of the rig's loopback fronts. */
import http from 'node:http'

/**
 * Streams a request to `upstream` (`host:port`) and its answer back. When the
 * upstream is down (a test killed it), the client's connection is dropped, as
 * it would be by a registry that is gone.
 */
export function forward(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  upstream: string,
  extraHeaders: Record<string, string> = {}
): void {
  const [hostname, port] = upstream.split(':')
  const proxied = http.request(
    {
      hostname,
      port: Number(port),
      method: request.method,
      path: request.url,
      headers: { ...request.headers, ...extraHeaders }
    },
    answer => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    }
  )
  proxied.on('error', () => request.socket.destroy())
  request.pipe(proxied)
}
