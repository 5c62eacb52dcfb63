/** Reads back what a client pushed to a rig registry, over HTTP(S) with optional basic auth. */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { Registry } from './registry.js'

export interface BasicAuth {
  username: string
  password: string
}

export interface ManifestInfo {
  /** Docker-Content-Digest, checked against sha256 of the body bytes */
  digest: string
  mediaType: string
  /** config.digest of an image manifest; undefined for an index / manifest list */
  configDigest?: string
  body: unknown
}

export interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json'
].join(', ')

/** One HTTP(S) request to the registry; trusts reg.caFile for https. Never follows redirects. */
export function request(
  reg: Pick<Registry, 'url' | 'caFile'>,
  method: string,
  urlPath: string,
  headers: Record<string, string> = {},
  timeoutMs = 10_000
): Promise<RawResponse> {
  const url = new URL(urlPath, reg.url)
  const isHttps = url.protocol === 'https:'
  const options: https.RequestOptions = { method, headers, timeout: timeoutMs }
  if (isHttps && reg.caFile !== undefined) options.ca = fs.readFileSync(reg.caFile)
  return new Promise((resolve, reject) => {
    const req = (isHttps ? https : http).request(url, options, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
      )
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

/** Basic auth, or a bearer token minted by a test (see Harbor.adminToken). */
export type Auth = BasicAuth | { bearer: string }

function authHeaders(auth?: Auth): Record<string, string> {
  if (!auth) return {}
  if ('bearer' in auth) return { Authorization: `Bearer ${auth.bearer}` }
  const token = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')
  return { Authorization: `Basic ${token}` }
}

function header(res: RawResponse, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

function failure(what: string, res: RawResponse): Error {
  return new Error(`${what}: HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 2000)}`)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The manifest behind repo:tag, or undefined when the registry answers 404. */
export async function getManifest(
  reg: Registry,
  repo: string,
  tag: string,
  auth?: Auth
): Promise<ManifestInfo | undefined> {
  const what = `GET manifest ${reg.host}/${repo}:${tag}`
  const res = await request(reg, 'GET', `/v2/${repo}/manifests/${encodeURIComponent(tag)}`, {
    Accept: MANIFEST_ACCEPT,
    ...authHeaders(auth)
  })
  if (res.status === 404) return undefined
  if (res.status !== 200) throw failure(what, res)

  const digest = header(res, 'Docker-Content-Digest')
  const actual = `sha256:${crypto.createHash('sha256').update(res.body).digest('hex')}`
  if (digest === undefined) throw new Error(`${what}: no Docker-Content-Digest header`)
  if (digest !== actual) {
    throw new Error(`${what}: Docker-Content-Digest ${digest} but the body hashes to ${actual}`)
  }

  const body: unknown = JSON.parse(res.body.toString('utf8'))
  const contentType = (header(res, 'Content-Type') ?? '').split(';')[0]?.trim() ?? ''
  let mediaType = contentType
  let configDigest: string | undefined
  if (isRecord(body)) {
    if (typeof body.mediaType === 'string') mediaType = body.mediaType
    const config = body.config
    if (isRecord(config) && typeof config.digest === 'string') configDigest = config.digest
  }
  const info: ManifestInfo = { digest, mediaType, body }
  if (configDigest !== undefined) info.configDigest = configDigest
  return info
}

/** Tags of repo; [] when the repository does not exist. */
export async function listTags(reg: Registry, repo: string, auth?: Auth): Promise<string[]> {
  const res = await request(reg, 'GET', `/v2/${repo}/tags/list`, {
    Accept: 'application/json',
    ...authHeaders(auth)
  })
  if (res.status === 404) return []
  if (res.status !== 200) throw failure(`GET tags ${reg.host}/${repo}`, res)
  const body: unknown = JSON.parse(res.body.toString('utf8'))
  if (!isRecord(body) || !Array.isArray(body.tags)) return []
  return body.tags.filter((t): t is string => typeof t === 'string').sort()
}
