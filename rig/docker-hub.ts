/**
 * A stand-in for Docker Hub on loopback, for clients that honour HTTPS_PROXY
 * (the action's own registry client, Go's clients): a TLS front whose
 * certificate names `registry-1.docker.io`, passing every request on to a rig
 * registry, and a forward proxy that tunnels `registry-1.docker.io:443` to
 * that front and refuses every other destination. There is no DNS and no
 * network here: the name reaches the front only through the proxy, and each
 * destination a client asks the proxy for is recorded, so a request to
 * `docker.io` (where Docker Hub's API is not) shows, and fails.
 *
 * Not squid (rig/http-proxy.ts): the front listens on a free port, and
 * squid's hosts file can change a name's address but not its port (443).
 */
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { forward } from './forward.js'
import type { Registry } from './registry.js'
import { selfSigned } from './tls.js'

export const DOCKER_HUB_API_HOST = 'registry-1.docker.io'

export interface DockerHubStandIn {
  /** `http://127.0.0.1:<port>`: the value for HTTPS_PROXY / HTTP_PROXY. */
  proxyUrl: string
  /** The front's self-signed certificate (PEM file), for ca-file. */
  certFile: string
  /** What clients asked the proxy for, oldest first: `CONNECT host:port` or `GET http://host/path`. */
  asked: string[]
  /** What the front passed on to the registry, oldest first: `METHOD /path`. */
  served: string[]
  stop(): Promise<void>
}

/** Starts the front (in front of `upstream`, a plain-HTTP rig registry) and the proxy. */
export async function startDockerHubStandIn(
  upstream: Pick<Registry, 'host'>
): Promise<DockerHubStandIn> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-hub-'))
  const tls = await selfSigned(dir, 'hub', [DOCKER_HUB_API_HOST])
  const asked: string[] = []
  const served: string[] = []

  const front = https.createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
    served.push(`${request.method ?? ''} ${request.url ?? ''}`)
    // The registry writes upload locations with the scheme it is told was used.
    forward(request, response, upstream.host, { 'X-Forwarded-Proto': 'https' })
  })
  const frontPort = await listen(front)

  const sockets = new Set<net.Socket>()
  const proxy = http.createServer((request, response) => {
    // Plain HTTP (the scheme probe asks it too): refused, Docker Hub's API is HTTPS only.
    asked.push(`${request.method ?? ''} ${request.url ?? ''}`)
    response.writeHead(403).end()
  })
  proxy.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  proxy.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = request.url ?? ''
    asked.push(`CONNECT ${target}`)
    if (target !== `${DOCKER_HUB_API_HOST}:443`) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      return
    }
    const tunnel = net.connect(frontPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      tunnel.write(head)
      tunnel.pipe(client)
      client.pipe(tunnel)
    })
    sockets.add(tunnel)
    tunnel.on('close', () => sockets.delete(tunnel))
    tunnel.on('error', () => client.destroy())
    client.on('error', () => tunnel.destroy())
  })
  const proxyPort = await listen(proxy)

  return {
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    certFile: tls.certFile,
    asked,
    served,
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      front.closeAllConnections()
      await Promise.all([close(proxy), close(front)])
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

function listen(server: net.Server): Promise<number> {
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))
  )
}

function close(server: net.Server): Promise<void> {
  return new Promise(resolve => server.close(() => resolve()))
}
