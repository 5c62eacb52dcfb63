/**
 * A Harbor-like registry for tests: the real distribution registry behind a
 * loopback front of our own that plays Harbor's core, the way a client sees
 * it on one host:
 *
 * - `/service/token`: bearer tokens (RS256 JWT, `x5c` header, `access` claim)
 *   for accounts with per-project roles: read-write (pull, push), read-only
 *   (pull), or none; a wrong secret gets 401;
 * - `/api/v2.0/projects/<name>`: 200 for a member, 403 for a project the
 *   account cannot see, 404 for a project that does not exist;
 * - immutable tags: a manifest PUT on one answers 412, as Harbor's rules do;
 * - everything else is passed to the registry (`/v2/...`).
 *
 * The front may speak TLS with its own self-signed certificate, like Harbor's
 * nginx; the registry behind it always speaks plain HTTP on loopback.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { type Registry, startRegistry } from './registry.js'
import { forward } from './forward.js'
import { type SelfSigned, selfSigned } from './tls.js'

export type Action = 'pull' | 'push'

export interface HarborAccount {
  password: string
  /** Role per project: the actions its tokens may grant. */
  projects: Record<string, Action[]>
}

export interface HarborOptions {
  accounts: Record<string, HarborAccount>
  /** Projects that exist (a project an account has a role in exists too). */
  projects?: string[]
  tls?: boolean
  /** `<repository>:<tag>` that a tag immutability rule protects. */
  immutable?: string[]
  /** Lifetime of the tokens it issues (Harbor's default: 1800). */
  tokenSeconds?: number
}

export interface Harbor {
  /** `127.0.0.1:<port>` of the front. */
  host: string
  url: string
  /** The front's certificate, when tls. */
  caFile?: string
  /** Every token request: the account (or 'anonymous') and the scopes asked. */
  tokenRequests: { account: string; scopes: string[]; granted: string[] }[]
  /** Every request that reached the registry behind the front: method and path. */
  registryRequests: string[]
  /** The registry behind the front (token auth; see adminToken). */
  registry: Registry
  /** A token with every action on `repository`, to read the registry behind the front directly. */
  adminToken(repository: string): string
  /** Every token issued so far is refused from now on, as an expired one is (a long push outlives Harbor's 30 minutes). */
  expireTokens(): void
  stop(): Promise<void>
}

const SERVICE = 'harbor-registry'
const ISSUER = 'harbor-token-issuer'

export async function startHarbor(options: HarborOptions): Promise<Harbor> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-harbor-'))
  const signing = await selfSigned(dir, 'token')
  const frontTls = options.tls ? await selfSigned(dir, 'front') : undefined
  const projects = new Set(options.projects ?? [])
  for (const account of Object.values(options.accounts)) {
    for (const project of Object.keys(account.projects)) projects.add(project)
  }
  const tokenRequests: Harbor['tokenRequests'] = []
  const registryRequests: string[] = []
  const issued: string[] = []
  const lifetime = options.tokenSeconds ?? 1800
  const expired = new Set<string>()
  let upstream = ''

  const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://front')
    if (url.pathname === '/service/token') {
      void readBody(request).then(body => {
        const form = new URLSearchParams(body)
        const scopes = [...url.searchParams.getAll('scope'), ...form.getAll('scope')]
          .flatMap(scope => scope.split(' '))
          .filter(scope => scope !== '')
        const credentials = basicCredentials(request) ?? formCredentials(form)
        const account = credentials ? options.accounts[credentials.username] : undefined
        if (credentials && (!account || account.password !== credentials.password)) {
          tokenRequests.push({ account: credentials.username, scopes, granted: [] })
          return json(response, 401, {
            errors: [{ code: 'UNAUTHORIZED', message: 'invalid username/password' }]
          })
        }
        const access = scopes.map(scope => grant(scope, account))
        tokenRequests.push({
          account: credentials?.username ?? 'anonymous',
          scopes,
          granted: access.map(entry => `${entry.name}:${entry.actions.join(',')}`)
        })
        const token = signToken(signing, credentials?.username ?? '', access, lifetime)
        issued.push(token)
        json(response, 200, {
          token,
          access_token: token,
          expires_in: lifetime,
          issued_at: new Date().toISOString()
        })
      })
      return
    }
    const project = /^\/api\/v2\.0\/projects\/([^/]+)$/.exec(url.pathname)
    if (project) {
      const name = decodeURIComponent(project[1])
      const credentials = basicCredentials(request)
      const account = credentials ? options.accounts[credentials.username] : undefined
      if (!account || account.password !== credentials?.password) {
        return json(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] })
      }
      if (!projects.has(name)) {
        return json(response, 404, {
          errors: [{ code: 'NOT_FOUND', message: `project ${name} not found` }]
        })
      }
      if (!account.projects[name]) {
        return json(response, 403, { errors: [{ code: 'FORBIDDEN', message: 'forbidden' }] })
      }
      return json(response, 200, { name, project_id: 1, metadata: { public: 'false' } })
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname)
    if (
      request.method === 'PUT' &&
      manifest &&
      options.immutable?.includes(`${manifest[1]}:${manifest[2]}`)
    ) {
      return json(response, 412, {
        errors: [
          {
            code: 'PRECONDITION',
            message: `Failed to process request due to '${manifest[1]}:${manifest[2]}' configured as immutable.`
          }
        ]
      })
    }
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    if (bearer && expired.has(bearer)) {
      registryRequests.push(`${request.method ?? 'GET'} ${url.pathname} (expired token)`)
      response.setHeader(
        'WWW-Authenticate',
        `Bearer realm="${options.tls ? 'https' : 'http'}://${request.headers.host ?? ''}/service/token",service="${SERVICE}"`
      )
      return json(response, 401, {
        errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }]
      })
    }
    registryRequests.push(`${request.method ?? 'GET'} ${url.pathname}`)
    forward(request, response, upstream, { 'x-forwarded-proto': options.tls ? 'https' : 'http' })
  }

  const front = frontTls
    ? https.createServer({ cert: frontTls.cert, key: frontTls.key }, handler)
    : http.createServer(handler)
  await new Promise<void>(resolve => front.listen(0, '127.0.0.1', resolve))
  const address = front.address()
  if (!address || typeof address === 'string') throw new Error('the Harbor front has no port')
  const host = `127.0.0.1:${address.port}`
  const url = `${options.tls ? 'https' : 'http'}://${host}`

  let registry: Registry
  try {
    registry = await startRegistry({
      token: {
        realm: `${url}/service/token`,
        service: SERVICE,
        issuer: ISSUER,
        rootCertBundle: signing.certFile
      }
    })
  } catch (error) {
    front.close()
    fs.rmSync(dir, { recursive: true, force: true })
    throw error
  }
  upstream = registry.host

  let stopped: Promise<void> | undefined
  return {
    host,
    url,
    ...(frontTls ? { caFile: frontTls.certFile } : {}),
    tokenRequests,
    registryRequests,
    registry,
    adminToken: repository =>
      signToken(signing, 'admin', [
        { type: 'repository', name: repository, actions: ['pull', 'push'] }
      ]),
    expireTokens: () => {
      for (const token of issued) expired.add(token)
    },
    stop: () => {
      stopped ??= (async () => {
        front.closeAllConnections()
        await new Promise(resolve => front.close(resolve))
        await registry.stop()
        fs.rmSync(dir, { recursive: true, force: true })
      })()
      return stopped
    }
  }
}

interface Access {
  type: string
  name: string
  actions: string[]
}

/** What Harbor grants for one scope: the asked actions the account's role in the project allows. */
function grant(scope: string, account: HarborAccount | undefined): Access {
  const [type = '', name = '', asked = ''] = scope.split(':')
  if (type !== 'repository' || !account) return { type, name, actions: [] }
  const role = account.projects[name.split('/')[0]] ?? []
  const wanted = asked.split(',').map(action => (action === '*' ? 'push' : action))
  return { type, name, actions: wanted.filter(action => role.includes(action as Action)) }
}

function signToken(
  signing: SelfSigned,
  subject: string,
  access: Access[],
  lifetime = 1800
): string {
  const der = new crypto.X509Certificate(signing.cert).raw.toString('base64')
  const now = Math.floor(Date.now() / 1000)
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const header = encode({ typ: 'JWT', alg: 'RS256', x5c: [der] })
  const claims = encode({
    iss: ISSUER,
    sub: subject,
    aud: SERVICE,
    exp: now + lifetime,
    nbf: now - 10,
    iat: now,
    jti: crypto.randomUUID(),
    access
  })
  const signature = crypto
    .sign('sha256', Buffer.from(`${header}.${claims}`), signing.key)
    .toString('base64url')
  return `${header}.${claims}.${signature}`
}

function basicCredentials(
  request: http.IncomingMessage
): { username: string; password: string } | undefined {
  const header = request.headers.authorization ?? ''
  if (!header.startsWith('Basic ')) return undefined
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** OAuth2 password grant, which some clients (oras, helm) try first. */
function formCredentials(
  form: URLSearchParams
): { username: string; password: string } | undefined {
  const username = form.get('username')
  const password = form.get('password')
  return form.get('grant_type') === 'password' && username !== null && password !== null
    ? { username, password }
    : undefined
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => resolve(body))
    request.on('error', reject)
  })
}

function json(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' })
  response.end(JSON.stringify(body))
}
