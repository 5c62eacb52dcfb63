/**
 * A `docker://` source on a hostile or broken registry, read with the
 * project's own client: a small HTTP server of our own plays the registry
 * for what no real registry does (an endless manifest, a token service
 * answering junk, a token realm over plain http). Each case says which
 * real behaviour it stands for.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, test } from '@jest/globals'
import { selfSigned } from '../../rig/tls.js'
import { RegistryClient } from '../../src/registry/client.js'
import { copyImage } from '../../src/registry/copy.js'
import { InputError } from '../../src/errors.js'
import { ociLayoutSource } from '../../src/sources/oci-layout.js'
import { translateFailure } from '../../src/push/translate.js'
import { RegistryContentSource } from '../../src/sources/registry.js'

const USER = { username: 'reader', password: 'source-secret-4711' }
const TLS = { tlsVerify: false, caFile: '' }
const DIGEST = `sha256:${'a'.repeat(64)}`
/** An image manifest with no layers, as a source's index lists it. */
const EMPTY_IMAGE = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: DIGEST, size: 2 },
  layers: []
}

/** The digest a registry gives these bytes. */
function sha256Of(bytes: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`
}

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void

const servers: http.Server[] = []
const dirs: string[] = []

/** A loopback server answering with `handler` (over https with `tls`); stopped after each test. */
async function serve(handler: Handler, tls?: { cert: string; key: string }): Promise<string> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler)
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
})

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

function sourceOn(host: string, scheme = 'http', digest = ''): RegistryContentSource {
  const client = new RegistryClient(`${scheme}://${host}`, TLS, USER)
  return new RegistryContentSource(client, {
    host,
    repository: 'staging/app',
    tag: digest ? '' : 'v1',
    digest
  })
}

/** A destination that has nothing and records what it is asked (but its ping), and a client of it. */
async function emptyDestination(): Promise<{ client: RegistryClient; asked: string[] }> {
  const asked: string[] = []
  const destination = await serve((request, response) => {
    if (request.url !== '/v2/') asked.push(`${request.method} ${request.url}`)
    response.writeHead(request.url === '/v2/' ? 200 : 404).end()
  })
  return { client: new RegistryClient(`http://${destination}`, TLS, USER), asked }
}

/** Writes 1 MiB chunks of `byte` to `response` until `limit` bytes; returns how many were written so far. */
function flood(response: http.ServerResponse, limit: number): () => number {
  let sent = 0
  const chunk = Buffer.alloc(1 << 20, 0x20)
  const pump = (): void => {
    while (sent < limit && !response.destroyed) {
      sent += chunk.length
      if (!response.write(chunk)) return void response.once('drain', pump)
    }
    response.end()
  }
  response.on('close', () => response.removeAllListeners('drain'))
  pump()
  return () => sent
}

describe('a hostile source registry', () => {
  test('a manifest with no Content-Length that never ends is cut at 4 MiB, not read into memory', async () => {
    // Chunked encoding carries no Content-Length: a broken proxy or a
    // hostile registry can stream a "manifest" for as long as it likes.
    let sent = (): number => 0
    const host = await serve((request, response) => {
      if (request.url === '/v2/') return void response.writeHead(200).end()
      if (request.method === 'HEAD') {
        return void response.writeHead(200, { 'Docker-Content-Digest': DIGEST }).end()
      }
      response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
      sent = flood(response, 256 * (1 << 20))
    })
    await expect(sourceOn(host).root()).rejects.toThrow(
      `docker://${host}/staging/app:v1: the manifest "${DIGEST}" is larger than 4 MiB`
    )
    // What the sockets buffered on the way, not the 256 MiB offered.
    expect(sent()).toBeLessThan(32 * (1 << 20))
  })

  test('a registry reached over https that names a plain-http token realm never gets the login sent there', async () => {
    // docker and containerd send the login to whatever realm the registry
    // names, on any host (Docker Hub's is auth.docker.io): that is kept. A
    // realm over plain http from an https registry (a misconfigured
    // external URL, or an attacker on the registry's answers) would carry
    // the password in clear text: clients such as the Rust and Go ones
    // that refuse "credentials over an insecure token realm" do not send it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-hostile-'))
    dirs.push(dir)
    const seen: (string | undefined)[] = []
    const realm = await serve((request, response) => {
      seen.push(request.headers.authorization)
      response.writeHead(200, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify({ token: 'anything' }))
    })
    const host = await serve(
      (_request, response) =>
        void response
          .writeHead(401, {
            'WWW-Authenticate': `Bearer realm="http://${realm}/service/token",service="harbor-registry"`
          })
          .end(),
      await selfSigned(dir, 'registry')
    )
    const failure = sourceOn(host, 'https').resolve()
    await expect(failure).rejects.toThrow(
      `the registry https://${host} names the token service "http://${realm}/service/token", which is plain http`
    )
    expect(seen).toEqual([])
  })

  test('a bearer challenge with no realm is said so, not "Invalid URL"', async () => {
    const host = await serve(
      (_request, response) =>
        void response.writeHead(401, { 'WWW-Authenticate': 'Bearer service="registry"' }).end()
    )
    await expect(sourceOn(host).resolve()).rejects.toThrow(
      `the registry http://${host} asks for a token but names no token service it can be asked at (realm "")`
    )
  })

  test.each([
    ['an HTML login page', '<html><head><title>Sign in</title></head></html>', '<html> Sign in'],
    ['JSON without a token', '{"details":"ok"}', '{"details":"ok"}'],
    ['an empty body', '', 'an empty body']
  ])(
    'a token service answering 200 with %s is named, not a JSON SyntaxError or a "401"',
    async (_what, answer, said) => {
      // A captive portal or an SSO proxy in front of the token service
      // answers 200 with a page of its own; containerd reports such an
      // answer as ErrInvalidTokenResponse (remotes/docker/auth/fetch.go).
      const realm = await serve((_request, response) => void response.writeHead(200).end(answer))
      const host = await serve(
        (_request, response) =>
          void response
            .writeHead(401, {
              'WWW-Authenticate': `Bearer realm="http://${realm}/service/token",service="registry"`
            })
            .end()
      )
      await expect(sourceOn(host).resolve()).rejects.toThrow(
        `the token service http://${realm}/service/token answered HTTP 200 without a token (${said})`
      )
    }
  )

  test('an error answer with an endless body ends in the error at once, the body read no further than its start', async () => {
    // A registry behind a broken proxy, or a hostile one, answering 403 with
    // a chunked body that never ends: only the error's words are wanted.
    let sent = (): number => 0
    const host = await serve((request, response) => {
      if (request.url === '/v2/') return void response.writeHead(200).end()
      response.writeHead(403, { 'Content-Type': 'application/json' })
      sent = flood(response, 256 * (1 << 20))
    })
    await expect(sourceOn(host, 'http', DIGEST).root()).rejects.toThrow(
      `HTTP 403 from http://${host}/v2/staging/app/manifests/${DIGEST}`
    )
    expect(sent()).toBeLessThan(32 * (1 << 20))
  })

  test('what a tag holds, read back with a GET, is cut at 4 MiB too', async () => {
    let sent = (): number => 0
    const host = await serve((request, response) => {
      if (request.url === '/v2/') return void response.writeHead(200).end()
      response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
      sent = flood(response, 256 * (1 << 20))
    })
    const client = new RegistryClient(`http://${host}`, TLS, USER)
    await expect(client.manifest('staging/app', 'v1')).rejects.toThrow(
      `http://${host}/v2/staging/app/manifests/v1: the manifest is larger than 4 MiB`
    )
    expect(sent()).toBeLessThan(32 * (1 << 20))
  })

  test.each([
    ['a digest that is a path', { digest: `${DIGEST}/../../../../../../api/v2.0/users`, size: 2 }],
    ['a digest of no algorithm', { digest: 'a'.repeat(64), size: 2 }],
    ['a negative size', { digest: DIGEST, size: -1 }],
    ['a size that is no number', { digest: DIGEST, size: '2' }]
  ] as [string, Record<string, unknown>][])(
    'a manifest whose layer has %s is refused before the destination hears of it',
    async (_what, layer) => {
      // The source registry answers a manifest whose bytes are its digest
      // (so every digest check passes) but whose descriptors are not what the
      // image spec allows: the copier builds the destination's blob URLs from
      // them, and the destination is asked with the destination's login.
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: DIGEST,
            size: 2
          },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }]
        })
      )
      const digest = sha256Of(manifest)
      const source = await serve((request, response) => {
        if (request.url === '/v2/') return void response.writeHead(200).end()
        response.writeHead(200, {
          'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
          'Docker-Content-Digest': digest
        })
        response.end(request.method === 'HEAD' ? undefined : manifest)
      })
      const { client, asked } = await emptyDestination()
      await expect(
        copyImage(client, sourceOn(source, 'http', digest), { repository: 'app', tags: ['v1'] })
      ).rejects.toThrow(
        `docker://${source}/staging/app@${digest}: manifest "${digest}" lists a blob that is not a sha256 digest with a size`
      )
      expect(asked).toEqual([])
    }
  )

  test('an index listing more than 1,000 manifests is refused before they are all read, and nothing is sent', async () => {
    // Real indexes list a few dozen (platforms and their attestations); a
    // hostile one listing thousands of distinct manifests, up to 4 MiB
    // each, would be read one by one and held in memory until the push.
    const children = new Map<string, Buffer>()
    const entries = Array.from({ length: 1_001 }, (_, index) => {
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: DIGEST,
            size: 2
          },
          layers: [],
          annotations: { n: String(index) }
        })
      )
      const digest = sha256Of(bytes)
      children.set(digest, bytes)
      return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: bytes.length }
    })
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: entries
      })
    )
    const digest = sha256Of(index)
    let read = 0
    const source = await serve((request, response) => {
      if (request.url === '/v2/') return void response.writeHead(200).end()
      const wanted = (request.url ?? '').split('/').at(-1) ?? ''
      const bytes = wanted === digest ? index : children.get(wanted)
      if (!bytes) return void response.writeHead(404).end()
      if (bytes !== index) read++
      response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
      response.end(bytes)
    })
    const { client, asked } = await emptyDestination()
    await expect(
      copyImage(client, sourceOn(source, 'http', digest), { repository: 'app', tags: ['v1'] })
    ).rejects.toThrow(
      `docker://${source}/staging/app@${digest}: the index lists more than 1000 manifests`
    )
    expect(read).toBe(0)
    expect(asked).toEqual([])
  })

  test('an index listing one manifest three times has it read once', async () => {
    const child = Buffer.from(JSON.stringify(EMPTY_IMAGE))
    const childDigest = sha256Of(child)
    const entry = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: childDigest,
      size: child.length
    }
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [entry, entry, entry]
      })
    )
    const digest = sha256Of(index)
    let read = 0
    const source = await serve((request, response) => {
      if (request.url === '/v2/') return void response.writeHead(200).end()
      const isChild = (request.url ?? '').endsWith(childDigest)
      if (isChild) read++
      response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
      response.end(isChild ? child : index)
    })
    // A destination that refuses everything: the copy stops at the first blob.
    const destination = await serve((request, response) => {
      response.writeHead(request.url === '/v2/' ? 200 : 403).end()
    })
    const client = new RegistryClient(`http://${destination}`, TLS, USER)
    await expect(
      copyImage(client, sourceOn(source, 'http', digest), { repository: 'app', tags: ['v1'] })
    ).rejects.toThrow('HTTP 403')
    expect(read).toBe(1)
  })

  describe('a source failing in the middle of a copy is named as the source, not blamed on the destination', () => {
    const config = Buffer.from('{}')
    const configDigest = sha256Of(config)
    const layer = crypto.randomBytes(256 * 1024)
    const layerDigest = sha256Of(layer)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar',
            digest: layerDigest,
            size: layer.length
          }
        ]
      })
    )
    const digest = sha256Of(manifest)

    /** The destination takes any upload (a 202 with a Location, then 201), like a registry with nothing yet. */
    function acceptingDestination(): Promise<string> {
      return serve((request, response) => {
        request.resume()
        if (request.url === '/v2/') return void response.writeHead(200).end()
        if (request.method === 'HEAD') return void response.writeHead(404).end()
        if (request.method === 'POST') {
          return void response.writeHead(202, { Location: '/v2/app/blobs/uploads/1' }).end()
        }
        request.on('end', () => response.writeHead(201).end())
      })
    }

    async function copyFrom(blobAnswer: Handler): Promise<{ source: string; error: Error }> {
      const source = await serve((request, response) => {
        if (request.url === '/v2/') return void response.writeHead(200).end()
        if ((request.url ?? '').endsWith(configDigest)) return void response.end(config)
        if ((request.url ?? '').includes('/blobs/')) return blobAnswer(request, response)
        response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
        response.end(manifest)
      })
      const client = new RegistryClient(`http://${await acceptingDestination()}`, TLS, USER)
      const error = await copyImage(client, sourceOn(source, 'http', digest), {
        repository: 'app',
        tags: ['v1']
      }).then(
        () => new Error('copied'),
        (failure: unknown) => failure as Error
      )
      return { source, error }
    }

    const pushContext = {
      action: 'push' as const,
      tool: 'harbor-push',
      host: 'destination.example',
      project: 'app',
      username: 'ci',
      reference: 'destination.example/app:v1'
    }

    test('a destination whose answers never end (a broken proxy) is read for 64 KiB each; the copy completes', async () => {
      // Every answer the copier does not need the body of (a HEAD's, an
      // upload's, a manifest PUT's) was read whole: 256 MiB each, held in memory.
      const floods: (() => number)[] = []
      const destination = await serve((request, response) => {
        request.resume()
        if (request.url === '/v2/') return void response.writeHead(200).end()
        if (request.method === 'HEAD') return void response.writeHead(404).end()
        request.on('end', () => {
          const upload = request.method === 'POST'
          response.writeHead(
            upload ? 202 : 201,
            upload ? { Location: '/v2/app/blobs/uploads/1' } : {}
          )
          floods.push(flood(response, 256 << 20))
        })
      })
      const source = await serve((request, response) => {
        if (request.url === '/v2/') return void response.writeHead(200).end()
        if ((request.url ?? '').endsWith(configDigest)) return void response.end(config)
        if ((request.url ?? '').endsWith(layerDigest)) return void response.end(layer)
        response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
        response.end(manifest)
      })
      const client = new RegistryClient(`http://${destination}`, TLS, USER)
      await copyImage(client, sourceOn(source, 'http', digest), { repository: 'app', tags: ['v1'] })
      // Two uploads (a POST and a PUT each) and the manifest's PUT.
      expect(floods).toHaveLength(5)
      for (const sent of floods) expect(sent()).toBeLessThan(32 << 20)
    })

    test('the source refusing a blob (403) is no advice about pushing to the destination', async () => {
      // A source registry whose token does not cover the blob (Harbor: a
      // project made private meanwhile), or that denies it outright.
      const { source, error } = await copyFrom((_request, response) => {
        response.writeHead(403, { 'Content-Type': 'application/json' })
        response.end(
          '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'
        )
      })
      const label = `docker://${source}/staging/app@${digest}`
      expect(error.message).toMatch(`${label}: reading blob "sha256:`)
      const told = translateFailure(error, pushContext).message
      expect(told).toContain(label)
      expect(told).toContain('DENIED')
      expect(told).not.toMatch(/may pull but not push|destination\.example/)
    })

    test('bad input found by the source while copying stays bad input (exit 2), not a source failure', async () => {
      // A layout with no index.json: the pipeline inspects first, but any caller of the copier may not.
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-hostile-'))
      dirs.push(empty)
      const client = new RegistryClient(`http://${await acceptingDestination()}`, TLS, USER)
      const copy = copyImage(client, ociLayoutSource(empty, ''), {
        repository: 'app',
        tags: ['v1']
      })
      await expect(copy).rejects.toThrow(InputError)
      await expect(copy).rejects.toThrow('holds no index.json')
    })

    test('a source that drops the connection in the middle of a blob is named, not "terminated"', async () => {
      // A source registry (or its proxy) that dies mid-answer; a stalled one
      // ends the same way once undici's body timeout (30 s) fires.
      const { source, error } = await copyFrom((request, response) => {
        response.writeHead(200, { 'Content-Length': String(layer.length) })
        response.write(layer.subarray(0, 1000), () => request.socket.destroy())
      })
      expect(error.message).toMatch(
        `docker://${source}/staging/app@${digest}: reading blob "sha256:`
      )
      expect(translateFailure(error, pushContext).message).not.toContain('destination.example')
    })
  })

  test.each([
    ['JSON null', 'null', 'is not a JSON object'],
    [
      'a media type that is an object',
      JSON.stringify({
        mediaType: { evil: true },
        config: { digest: DIGEST, size: 2 },
        layers: []
      }),
      'has the media type {"evil":true}, not one of an image manifest or index'
    ],
    [
      'a media type with a header in it',
      JSON.stringify({
        mediaType: 'application/vnd.oci.image.manifest.v1+json\r\nX-Injected: 1',
        config: { digest: DIGEST, size: 2 },
        layers: []
      }),
      'has the media type "application/vnd.oci.image.manifest.v1+json\\r\\nX-Injected: 1", not one of an image manifest or index'
    ]
  ])(
    'a manifest that is %s is refused by name before the destination hears of it',
    async (_what, text, said) => {
      // Its bytes are its digest, so only what it says can be wrong: the
      // copier sends a manifest's media type as the PUT's Content-Type.
      const manifest = Buffer.from(text)
      const digest = sha256Of(manifest)
      const source = await serve((request, response) => {
        if (request.url === '/v2/') return void response.writeHead(200).end()
        response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
        response.end(manifest)
      })
      const { client, asked } = await emptyDestination()
      await expect(
        copyImage(client, sourceOn(source, 'http', digest), { repository: 'app', tags: ['v1'] })
      ).rejects.toThrow(`docker://${source}/staging/app@${digest}: manifest "${digest}" ${said}`)
      expect(asked).toEqual([])
    }
  )

  test('an index whose entry gives a size its manifest does not have is refused before anything is sent', async () => {
    // Pulled back, such an index fails in every client that checks sizes
    // (containerd, containers/image): it is not pushed.
    const child = Buffer.from(JSON.stringify(EMPTY_IMAGE))
    const childDigest = sha256Of(child)
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: childDigest,
            size: 10
          }
        ]
      })
    )
    const digest = sha256Of(index)
    const source = await serve((request, response) => {
      if (request.url === '/v2/') return void response.writeHead(200).end()
      response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' })
      response.end((request.url ?? '').endsWith(childDigest) ? child : index)
    })
    const { client, asked } = await emptyDestination()
    await expect(
      copyImage(client, sourceOn(source, 'http', digest), { repository: 'app', tags: ['v1'] })
    ).rejects.toThrow(
      `docker://${source}/staging/app@${digest}: manifest "${childDigest}" is ${child.length} bytes where the index says 10`
    )
    expect(asked).toEqual([])
  })

  test('a token service that redirects elsewhere never passes the login on', async () => {
    // Held by undici's fetch, which drops Authorization on a redirect to
    // another origin (scheme, host or port: the Fetch standard's rule, as in
    // Go's net/http); kept here so that a change of HTTP client cannot lose it.
    const seen: (string | undefined)[] = []
    const elsewhere = await serve((request, response) => {
      seen.push(request.headers.authorization)
      response.writeHead(200, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify({ token: 'from-elsewhere' }))
    })
    const realm = await serve(
      (request, response) =>
        void response.writeHead(302, { Location: `http://${elsewhere}${request.url ?? ''}` }).end()
    )
    const host = await serve((request, response) => {
      if (request.headers.authorization === 'Bearer from-elsewhere') {
        return void response.writeHead(404).end()
      }
      response.writeHead(401, {
        'WWW-Authenticate': `Bearer realm="http://${realm}/service/token",service="registry"`
      })
      response.end()
    })
    expect(await sourceOn(host).resolve()).toEqual({ kind: 'missing' })
    expect(seen).toEqual([undefined])
  })
})

describe('a registry that leaves out Docker-Content-Digest', () => {
  test("a manifest read by tag gets the digest of its bytes, which is the registry's digest for it", async () => {
    const manifest = Buffer.from(JSON.stringify(EMPTY_IMAGE))
    const host = await serve((request, response) => {
      if (request.url === '/v2/') return void response.writeHead(200).end()
      response.writeHead(200, { 'Content-Type': EMPTY_IMAGE.mediaType }).end(manifest)
    })
    const client = new RegistryClient(`http://${host}`, TLS, USER)
    const held = await client.manifest('p/app', 'v1')
    expect(held && 'digest' in held ? held.digest : undefined).toBe(sha256Of(manifest))
  })
})
