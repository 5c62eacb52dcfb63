/**
 * Docker Hub's names (settings/docker-hub.ts): an image named docker.io/alpine
 * is read from registry-1.docker.io as library/alpine, as docker, podman,
 * skopeo and crane read it, while logs and reports keep what was written.
 * No network here: the API host is seen where the requests go (a recording
 * proxy in front of everything), the API path on a local registry stand-in.
 */
import http from 'node:http'
import net from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals'
import { checkRegistrySources } from '../../src/push/registry-sources.js'
import { RegistrySession } from '../../src/push/session.js'
import { RegistryClient } from '../../src/registry/client.js'
import {
  isDockerHub,
  isRegistryHost,
  registryApiHost,
  registryApiRepository
} from '../../src/settings/docker-hub.js'
import { parseSettings } from '../../src/settings/parse.js'
import { type RegistrySource, registryReference } from '../../src/settings/settings.js'
import { RegistryContentSource } from '../../src/sources/registry.js'
import { collectingLog } from './collecting-log.js'

const DIGEST = `sha256:${'cd'.repeat(32)}`

describe('the names', () => {
  test.each([
    // entry, API host, API repository; the entry's own host and repository stay as written
    ['docker://docker.io/alpine:3.20', 'registry-1.docker.io', 'library/alpine'],
    ['docker://docker.io/library/alpine:3.20', 'registry-1.docker.io', 'library/alpine'],
    ['docker://index.docker.io/alpine:3.20', 'registry-1.docker.io', 'library/alpine'],
    ['docker://Docker.IO/bitnami/redis:7', 'registry-1.docker.io', 'bitnami/redis'],
    // The API host itself is no familiar name: distribution adds library/ for docker.io only.
    ['docker://registry-1.docker.io/library/alpine:3.20', 'registry-1.docker.io', 'library/alpine'],
    ['docker://docker.io:5000/alpine:3.20', 'docker.io:5000', 'alpine'],
    ['docker://harbor.example.com/alpine:3.20', 'harbor.example.com', 'alpine'],
    ['docker://localhost:5000/alpine:3.20', 'localhost:5000', 'alpine']
  ])('%s: API %s, %s', (images, apiHost, apiRepository) => {
    const settings = parseSettings({ registry: 'harbor.example.com/p', images }, () => undefined)
    const source = settings.images[0].registry as RegistrySource
    expect(`docker://${source.host}/${source.repository}:${source.tag}`).toBe(images)
    expect(registryReference(source)).toBe(images)
    expect(registryApiHost(source.host)).toBe(apiHost)
    expect(registryApiRepository(source.host, source.repository)).toBe(apiRepository)
  })

  test.each([
    ['docker.io', true],
    ['index.docker.io', true],
    ['registry-1.docker.io', true],
    ['DOCKER.IO', true],
    ['docker.io:443', false],
    ['hub.docker.com', false],
    ['mydocker.io', false]
  ])('isDockerHub(%s): %s', (host, expected) => {
    expect(isDockerHub(host)).toBe(expected)
  })

  test.each([
    // distribution/reference splitDockerDomain: "." or ":" or localhost or upper case
    ['harbor.example.com', true],
    ['registry:5000', true],
    ['localhost', true],
    ['[::1]:5000', true],
    ['Harbor', true],
    ['alpine', false],
    ['myorg', false],
    ['library', false]
  ])('isRegistryHost(%s): %s', (segment, expected) => {
    expect(isRegistryHost(segment)).toBe(expected)
  })
})

describe('a docker.io source is read as library/<name>', () => {
  let server: http.Server
  let baseUrl: string
  const seen: string[] = []

  beforeAll(async () => {
    // Stands in for registry-1.docker.io: a registry that knows the image only under library/.
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      if (req.url === '/v2/') {
        res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' }).end()
      } else if (req.url === '/v2/library/alpine/manifests/3.20') {
        res.writeHead(200, { 'Docker-Content-Digest': DIGEST, 'Content-Length': '0' }).end()
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[]}')
      }
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    baseUrl = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
  })
  afterAll(() => new Promise(resolve => server.close(resolve)))

  test('the API path has library/, the label keeps docker.io/alpine, blobs mount from registry-1.docker.io', async () => {
    const client = new RegistryClient(baseUrl, { tlsVerify: true, caFile: '' })
    const source = new RegistryContentSource(client, {
      host: 'docker.io',
      repository: 'alpine',
      tag: '3.20',
      digest: ''
    })
    expect(await source.resolve()).toEqual({ kind: 'found', digest: DIGEST })
    expect(seen).toContain('HEAD /v2/library/alpine/manifests/3.20')
    expect(seen.filter(line => line.includes('/v2/alpine/'))).toEqual([])
    expect(source.label).toBe('docker://docker.io/alpine:3.20')
    expect(source.mountFrom).toEqual({ host: 'registry-1.docker.io', repository: 'library/alpine' })
  })
})

/**
 * A forward proxy that answers nothing but records where each request was
 * going: `CONNECT host:port` for HTTPS, the absolute URL for plain HTTP.
 */
function startRecordingProxy(): Promise<{
  url: string
  targets: string[]
  close(): Promise<void>
}> {
  const targets: string[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.once('data', chunk => {
      const [method, target] = chunk.toString('latin1').split(' ')
      targets.push(`${method} ${target}`)
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    })
  })
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        targets,
        close: () => {
          for (const socket of sockets) socket.destroy()
          return new Promise<void>(done => server.close(() => done()))
        }
      })
    )
  )
}

describe('Docker Hub requests go to registry-1.docker.io, never to docker.io', () => {
  const saved: Record<string, string | undefined> = {}
  const NAMES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>

  beforeEach(async () => {
    proxy = await startRecordingProxy()
    for (const name of NAMES) {
      saved[name] = process.env[name]
      delete process.env[name]
    }
    process.env.HTTPS_PROXY = proxy.url
    process.env.HTTP_PROXY = proxy.url
  })
  afterEach(async () => {
    for (const name of NAMES) {
      if (saved[name] === undefined) delete process.env[name]
      else process.env[name] = saved[name]
    }
    await proxy.close()
  })

  const hosts = (): string[] =>
    proxy.targets.map(target => {
      const where = target.split(' ')[1]
      return where.startsWith('http://') ? new URL(where).host : where
    })

  test.each(['docker.io', 'index.docker.io'])(
    'the preflight of docker://%s/alpine:3.20 probes registry-1.docker.io',
    async host => {
      const settings = parseSettings(
        { registry: 'harbor.example.com/p', images: `docker://${host}/alpine:3.20`, retries: '0' },
        () => undefined
      )
      const log = collectingLog()
      const failure = await checkRegistrySources(
        [settings.images[0].registry as RegistrySource],
        settings,
        log
      ).catch((error: unknown) => error as Error)
      // Nothing answers here; what matters is where it was asked, and that the source is named as written.
      expect(failure).toBeInstanceOf(Error)
      expect((failure as Error).message).toContain(`docker://${host}/alpine:3.20`)
      expect(proxy.targets).toContain('CONNECT registry-1.docker.io:443')
      expect(new Set(hosts())).toEqual(
        new Set(['registry-1.docker.io:443', 'registry-1.docker.io'])
      )
    }
  )

  test('registry: docker.io/myorg: the session probes registry-1.docker.io', async () => {
    const settings = parseSettings(
      { registry: 'docker.io/myorg', images: 'app', 'source-tag': 'v1', retries: '0' },
      () => undefined
    )
    await RegistrySession.open(
      settings,
      { tlsVerify: true, caFile: '' },
      ['docker'],
      collectingLog()
    ).catch(() => undefined)
    expect(proxy.targets).toContain('CONNECT registry-1.docker.io:443')
    expect(hosts().filter(host => !host.startsWith('registry-1.docker.io'))).toEqual([])
  })
})
