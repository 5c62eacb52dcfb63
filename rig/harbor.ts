/**
 * A test Harbor: the real distribution registry (what Harbor runs inside)
 * behind a loopback front that answers the way Harbor's core does, rule by
 * rule, each with the Harbor source file it follows (goharbor/harbor, v2.x).
 * As in Harbor, the front decides who may do what and the registry behind it
 * trusts the front (it has no auth of its own).
 *
 * Order of checks on `/v2/<repository>/...`, as Harbor's global middlewares
 * run (`src/core/middlewares/middlewares.go`): the repository name
 * (`artifactinfo`), the caller (`security`), read-only mode (`readonly`),
 * then the `/v2` access check (`v2auth`) and the route's own middlewares
 * (`src/server/registry/route.go`).
 */
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { forward } from './forward.js'
import {
  type Caller,
  type HarborProject,
  type HarborRobot,
  type HarborUser,
  HarborSecurity,
  basicCredentials
} from './harbor-security.js'
import { type Registry, startRegistry } from './registry.js'
import { selfSigned } from './tls.js'

export type { HarborRobot, HarborUser, Role } from './harbor-security.js'

export interface HarborProjectOptions extends HarborProject {
  /** Content trust: pulls need a cosign or notation signature (`middleware/contenttrust/`). */
  contentTrust?: 'cosign' | 'notation'
  /**
   * Vulnerability prevention at this severity (`middleware/vulnerable/`).
   * Nothing here is ever scanned, so every image pull is refused with the
   * "without vulnerability scanning" words; charts are not scannable and pass.
   */
  preventVulnerable?: 'low' | 'medium' | 'high' | 'critical'
  /** `<repository>:<tag>` that a tag immutability rule protects (`middleware/immutable/`). */
  immutable?: string[]
  /** The storage quota is used up: `used` of `limit` (`middleware/quota/`), e.g. '10 MiB'. */
  quotaFull?: { limit: string; used: string }
  /** A proxy-cache project, which takes no pushes (`middleware/repoproxy/`). */
  proxyCache?: boolean
}

export interface HarborOptions {
  users?: Record<string, HarborUser>
  /** Keyed by the name without the prefix: `<project>+<name>`. */
  robots?: Record<string, HarborRobot>
  /** Harbor's `robot_name_prefix` (default `robot$`). */
  robotPrefix?: string
  /** `oidc_auth`: users' CLI secrets work only on the token service, /v2 and a few list APIs. */
  authMode?: 'db_auth' | 'oidc_auth'
  projects: Record<string, HarborProjectOptions>
  /** Harbor's read-only mode (maintenance). */
  readOnly?: boolean
  tls?: boolean
  /** Token lifetime (Harbor's `token_expiration`, default 30 minutes). */
  tokenSeconds?: number
}

export interface HarborRequest {
  method: string
  path: string
  status: number
  /** The caller's name, '' when anonymous. */
  caller: string
  /** Whether the request carried an Authorization header. */
  authorized: boolean
  /** The client's User-Agent: tells harbor-push's own requests from the tools'. */
  agent: string
  /** Bytes of the request's body passed on to the registry (blob uploads: what moved over the wire). */
  bytes: number
  /** A blob upload asked as a cross-repository mount: the `from` repository. */
  mountFrom?: string
}

export interface Harbor {
  /** `127.0.0.1:<port>` of the front. */
  host: string
  url: string
  /** The front's certificate, when tls. */
  caFile?: string
  /** The robot prefix in force, to build robot names. */
  robotPrefix: string
  /** Every token request: the name tried ('' anonymous), the scopes asked, what was granted, the token's subject. */
  tokenRequests: {
    account: string
    scopes: string[]
    granted: string[]
    subject: string
    /** The client's User-Agent. */
    agent: string
  }[]
  /** Every failed login (`auth.Login` rejected the password): the name and the path it came on. */
  failedLogins: { name: string; path: string }[]
  /** Every request the front answered, in order. */
  requests: HarborRequest[]
  /** Every request that reached the registry behind the front: method and path. */
  registryRequests: string[]
  /** The registry behind the front (no auth: read it directly to check what landed). */
  registry: Registry
  /** Every token issued so far is refused from now on, as an expired one is. */
  expireTokens(): void
  stop(): Promise<void>
}

const SERVICE = 'harbor-registry'
/** Manifest, blob and upload paths (`src/lib/patterns.go`, used by `artifactinfo`). */
const V2_ROUTE =
  /^\/v2\/(?<repository>.+?)\/(?:manifests\/(?<reference>[^/]+)|blobs\/uploads\/?(?<session>[^/]*)|blobs\/(?<digest>[^/]+)|tags\/list)$/

export async function startHarbor(options: HarborOptions): Promise<Harbor> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-harbor-'))
  const frontTls = options.tls ? await selfSigned(dir, 'front') : undefined
  const robotPrefix = options.robotPrefix ?? 'robot$'
  const security = new HarborSecurity({
    users: options.users ?? {},
    robots: options.robots ?? {},
    robotPrefix,
    authMode: options.authMode ?? 'db_auth',
    projects: options.projects
  })
  const lifetime = options.tokenSeconds ?? 1800
  const tokenRequests: Harbor['tokenRequests'] = []
  const requests: HarborRequest[] = []
  const registryRequests: string[] = []
  let registry: Registry | undefined

  const handler = async (
    request: http.IncomingMessage,
    response: http.ServerResponse
  ): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://front')
    const method = request.method ?? 'GET'
    let caller = ''
    let bytes = 0
    const mountFrom = url.searchParams.get('from') ?? undefined
    const log = (status: number): void => {
      requests.push({
        method,
        path: url.pathname,
        status,
        caller,
        authorized: request.headers.authorization !== undefined,
        agent: request.headers['user-agent'] ?? '',
        bytes,
        ...(mountFrom !== undefined ? { mountFrom } : {})
      })
    }
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      log(status)
      if (body === undefined) {
        response.writeHead(status, headers)
        response.end()
        return
      }
      // lib/http/error.go SendError: JSON, one line.
      response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers })
      response.end(`${JSON.stringify(body)}\n`)
    }
    const fail = (status: number, code: string, message: string, headers = {}): void =>
      send(status, { errors: [{ code, message }] }, headers)

    // artifactinfo/artifact_info.go: a repository is <project>/<name>.
    const route = V2_ROUTE.exec(url.pathname)?.groups
    if (route && !route.repository.includes('/')) {
      return fail(400, 'BAD_REQUEST', `bad request: invalid repository name: ${route.repository}`)
    }

    const who: Caller = await security.caller(request, url.pathname)
    caller = who.name

    if (url.pathname === '/service/token') {
      // token.go: a beego GET handler; other methods get 405.
      if (method !== 'GET') return send(405)
      const scopes = url.searchParams
        .getAll('scope')
        .flatMap(scope => scope.split(' '))
        .filter(Boolean)
      const issued = security.issue(who, scopes, lifetime)
      tokenRequests.push({
        account: basicCredentials(request.headers.authorization ?? '')?.username ?? '',
        scopes,
        granted: (issued?.access ?? []).map(entry => `${entry.name}:${entry.actions.join(',')}`),
        subject: who.authenticated ? who.name : '',
        agent: request.headers['user-agent'] ?? ''
      })
      // creator.go: an anonymous login check (no scope) is 401, with no body.
      if (!issued) return send(401)
      return send(200, {
        token: issued.token,
        expires_in: lifetime,
        issued_at: new Date().toISOString()
      })
    }

    // readonly/readonly.go: only safe methods (and POST /service/token) in read-only mode.
    if (options.readOnly && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
      return fail(403, 'DENIED', 'The system is in read only mode. Any modification is prohibited.')
    }

    const challenge = (scope?: string): Record<string, string> => ({
      'Docker-Distribution-Api-Version': 'registry/2.0',
      // v2auth/auth.go getChallenge: Basic when the request carried any
      // Authorization, else the token service.
      'Www-Authenticate': request.headers.authorization
        ? 'Basic realm="harbor"'
        : `Bearer realm="${options.tls ? 'https' : 'http'}://${request.headers.host ?? ''}/service/token",service="${SERVICE}"${scope ? `,scope="${scope}"` : ''}`
    })

    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      // v2auth: /v2/ needs an authenticated caller.
      if (!who.authenticated) return fail(401, 'UNAUTHORIZED', 'unauthorized', challenge())
      return send(200, {})
    }

    const projectApi = /^\/api\/v2\.0\/projects\/([^/]+)$/.exec(url.pathname)
    if (projectApi && method === 'GET') {
      // handler/project.go GetProject -> base.go RequireProjectAccess: access
      // first (a missing project has none), so only an admin sees a 404.
      const name = decodeURIComponent(projectApi[1])
      const exists = options.projects[name] !== undefined
      if (!(who.admin || (exists && who.canReadProject(name)))) {
        return who.authenticated
          ? fail(403, 'FORBIDDEN', 'forbidden')
          : fail(401, 'UNAUTHORIZED', 'unauthorized')
      }
      if (!exists) return fail(404, 'NOT_FOUND', `project ${name} not found`)
      return send(200, {
        name,
        project_id: Object.keys(options.projects).indexOf(name) + 1,
        metadata: { public: String(options.projects[name].public === true) }
      })
    }
    if (url.pathname === '/api/v2.0/projects' && method === 'HEAD') {
      // handler/project.go HeadProject: any authenticated caller; 200 or 404.
      if (!who.authenticated) return fail(401, 'UNAUTHORIZED', 'unauthorized')
      const name = url.searchParams.get('project_name') ?? ''
      if (!options.projects[name]) return fail(404, 'NOT_FOUND', `project ${name} not found`)
      return send(200)
    }

    if (!route || !registry) return fail(404, 'NOT_FOUND', 'not found')
    const repository = route.repository
    const projectName = repository.split('/')[0]
    const project = options.projects[projectName]
    const action =
      method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push'
    const scope = `repository:${repository}:${action === 'push' ? 'pull,push' : action}`
    // v2auth/auth.go: a CLI's first HEAD or GET carries no Authorization and
    // is answered with the token service; then the project must exist, then
    // the caller must be allowed the action.
    if (!request.headers.authorization && (method === 'GET' || method === 'HEAD')) {
      return fail(401, 'UNAUTHORIZED', 'authorize header needed to send HEAD to repository', {
        ...challenge(scope)
      })
    }
    if (!project) {
      return fail(401, 'UNAUTHORIZED', `project ${projectName} not found`, {
        'Www-Authenticate': ''
      })
    }
    if (!who.repositoryActions(projectName).includes(action)) {
      // The message is the error and its cause, as lib/errors prints both.
      const message = `unauthorized to access repository: ${repository}, action: ${action}`
      return fail(401, 'UNAUTHORIZED', `${message}: ${message}`, challenge(scope))
    }
    // v2auth/access.go accessList: a blob mount needs pull on the repository it is mounted from.
    if (
      method === 'POST' &&
      route.session !== undefined &&
      mountFrom &&
      url.searchParams.get('mount')
    ) {
      const fromProject = mountFrom.split('/')[0]
      if (!options.projects[fromProject] || !who.repositoryActions(fromProject).includes('pull')) {
        const message = `unauthorized to access repository: ${mountFrom}, action: pull`
        return fail(401, 'UNAUTHORIZED', `${message}: ${message}`, challenge(scope))
      }
    }

    const upstream = registry.host
    const isManifest = route.reference !== undefined
    if (method === 'PUT' || (method === 'POST' && route.session !== undefined)) {
      // repoproxy/proxy.go DisableBlobAndManifestUploadMiddleware.
      if (project.proxyCache && (isManifest || method === 'POST')) {
        return fail(
          403,
          'DENIED',
          `denied: can not push artifact to a proxy project: ${projectName}`
        )
      }
      // immutable/pushmf.go: only a tag that exists already; the message names the repository without its project.
      if (isManifest && project.immutable?.includes(`${repository}:${route.reference}`)) {
        if (await manifestExists(upstream, repository, route.reference ?? '')) {
          const name = repository.slice(projectName.length + 1)
          return fail(
            412,
            'PRECONDITION',
            `Failed to process request due to '${name}:${route.reference}' configured as immutable.`
          )
        }
      }
      // quota/put_blob_upload.go, put_manifest.go: controller/quota reserveResources.
      if (project.quotaFull && (isManifest || route.session)) {
        const { limit, used } = project.quotaFull
        const overflow = `adding ${isManifest ? '1.2 KiB' : '1.5 MiB'} of storage resource, which when updated to current usage of ${used} will exceed the configured upper limit of ${limit}.`
        return fail(
          403,
          'DENIED',
          `Quota exceeded when processing the request of ${overflow}: ${overflow}`
        )
      }
    }
    if (isManifest && (method === 'GET' || method === 'HEAD')) {
      const policy = await pullPolicy(project, upstream, repository, route.reference ?? '', request)
      if (policy) return fail(412, 'PROJECTPOLICYVIOLATION', policy)
    }

    registryRequests.push(`${method} ${url.pathname}`)
    response.on('finish', () => log(response.statusCode))
    // Counted alongside the pipe to the registry (a listener added earlier would start the flow too soon).
    request.on('data', (chunk: Buffer) => (bytes += chunk.length))
    forward(request, response, upstream, { 'x-forwarded-proto': options.tls ? 'https' : 'http' })
  }

  const serve = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    handler(request, response).catch(() => request.socket.destroy())
  }
  const front = frontTls
    ? https.createServer({ cert: frontTls.cert, key: frontTls.key }, serve)
    : http.createServer(serve)
  await new Promise<void>(resolve => front.listen(0, '127.0.0.1', resolve))
  const address = front.address()
  if (!address || typeof address === 'string') throw new Error('the Harbor front has no port')
  const host = `127.0.0.1:${address.port}`

  try {
    registry = await startRegistry()
  } catch (error) {
    front.close()
    fs.rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const behind = registry

  let stopped: Promise<void> | undefined
  return {
    host,
    url: `${options.tls ? 'https' : 'http'}://${host}`,
    ...(frontTls ? { caFile: frontTls.certFile } : {}),
    robotPrefix,
    tokenRequests,
    failedLogins: security.failedLogins,
    requests,
    registryRequests,
    registry: behind,
    expireTokens: () => security.expireTokens(),
    stop: () => {
      stopped ??= (async () => {
        front.closeAllConnections()
        await new Promise(resolve => front.close(resolve))
        await behind.stop()
        fs.rmSync(dir, { recursive: true, force: true })
      })()
      return stopped
    }
  }
}

/**
 * Why a pull of `reference` is refused by the project's policies, or
 * undefined. Content trust (`contenttrust/contentrust.go`) comes first, then
 * vulnerability prevention (`vulnerable/vulnerable.go`). Both look the
 * artifact up first: a missing one is left to the registry's 404. cosign and
 * notation themselves may read an unsigned artifact when they may push
 * (`middleware/util/util.go` SkipPolicyChecking), to sign it.
 */
async function pullPolicy(
  project: HarborProjectOptions,
  upstream: string,
  repository: string,
  reference: string,
  request: http.IncomingMessage
): Promise<string | undefined> {
  if (!project.contentTrust && !project.preventVulnerable) return undefined
  const manifest = await readManifest(upstream, repository, reference)
  if (!manifest) return undefined
  const agent = request.headers['user-agent'] ?? ''
  if (project.contentTrust && !/cosign|notation/.test(agent)) {
    return `The image is not signed by ${project.contentTrust}.`
  }
  const scannable = /image\.config|container\.image/.test(manifest.config?.mediaType ?? '')
  if (project.preventVulnerable && scannable) {
    return `current image without vulnerability scanning cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "${project.preventVulnerable}" or higher from running.' To continue with pull, please contact your project administrator for help.`
  }
  return undefined
}

async function manifestExists(
  upstream: string,
  repository: string,
  reference: string
): Promise<boolean> {
  return (await readManifest(upstream, repository, reference)) !== undefined
}

/** The manifest behind the front, or undefined when there is none. */
async function readManifest(
  upstream: string,
  repository: string,
  reference: string
): Promise<{ config?: { mediaType?: string } } | undefined> {
  const response = await fetch(`http://${upstream}/v2/${repository}/manifests/${reference}`, {
    headers: {
      Accept: [
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.docker.distribution.manifest.list.v2+json'
      ].join(', ')
    }
  })
  if (response.status !== 200) {
    await response.arrayBuffer()
    return undefined
  }
  return (await response.json()) as { config?: { mediaType?: string } }
}
