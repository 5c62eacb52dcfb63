import type { Credentials } from '../settings/settings.js'
import type { TlsOptions } from '../settings/tls.js'
import { sha256Digest } from './content.js'
import { RegistryError, errorDetail } from './errors.js'
import { MAX_MANIFEST_BYTES, type Platform, platformName } from '../oci.js'
import { mapWithLimit } from '../pool.js'
import {
  type RetryPolicy,
  bodyWords,
  discardBody,
  isStream,
  readBounded,
  registryFetch
} from './http.js'

/** How the registry wants to be authenticated, from `/v2/`'s WWW-Authenticate. */
export interface Challenge {
  scheme: 'none' | 'basic' | 'bearer'
  realm?: string
  service?: string
}

/** What a tag holds now. */
export interface ManifestInfo {
  digest: string
  mediaType: string
  /** `config.digest` of an image manifest: equals the local image ID of the image pushed. */
  configDigest?: string
  /** Layer digests (a chart's `.tgz` is its one layer). */
  layers: string[]
  /** An index (multi-platform image): the digests of the manifests it lists. */
  children?: string[]
  /** ...and their platforms (`os/architecture[/variant]`), in the same order. */
  platforms?: string[]
}

/** Every manifest kind a tag may hold: OCI and Docker, images and indexes. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json'
].join(', ')

interface Token {
  value: string
  /** Granted actions per repository, from the JWT's `access` claim; undefined when opaque. */
  access?: Map<string, Set<string>>
  /** From then on a 401 may mean the token expired (half its lifetime, as the realm gave it). */
  staleAt: number
}

/** How long the end of a run waits for a request that only tidies up (a cancelled upload probe). */
const TIDY_UP_TIMEOUT_MS = 5_000

/** A pull policy (Harbor's content trust or vulnerability prevention) refused to hand a manifest out. */
export interface Refused {
  /** The registry's words, e.g. `PROJECTPOLICYVIOLATION: The image is not signed by cosign.` */
  policy: string
}

/** A token service's answer larger than this is no token (Harbor's are ~1 KiB, cloud registries' a few). */
const TOKEN_ANSWER_BYTES = 1024 * 1024

/** A token's lifetime when the realm does not say (the token spec's default). */
const DEFAULT_TOKEN_SECONDS = 60

/**
 * A small client of the OCI distribution API: enough to check a login, the
 * actions an account may take on a repository, and what a tag holds. Bearer
 * tokens are fetched from the realm with the account's credentials and
 * cached per scope. Credentials are never put in a message.
 */
export class RegistryClient {
  private challenge?: Challenge
  private readonly tokens = new Map<string, Promise<Token>>()
  /** Cancelled upload probes still on their way: nothing needs to wait for them but the end of the run. */
  private readonly tidying: Promise<void>[] = []

  constructor(
    /** `https://host[:port]` or `http://host[:port]` */
    readonly baseUrl: string,
    private readonly tls: TlsOptions,
    private readonly credentials?: Credentials,
    /** Transient failures (network, 429, 5xx) are retried as this allows. */
    private readonly retry?: RetryPolicy,
    /** `/v2/`'s answer when the caller has it already (the scheme probe asks the same). */
    challenge?: Challenge
  ) {
    this.challenge = challenge
  }

  /** `/v2/` without credentials: what auth the registry asks for. */
  async ping(): Promise<Challenge> {
    if (this.challenge) return this.challenge
    const url = `${this.baseUrl}/v2/`
    const response = await registryFetch(url, this.tls, { retry: this.retry })
    await discardBody(response)
    const challenge = challengeOf(response.status, response.headers.get('www-authenticate'))
    if (!challenge) throw new RegistryError(response.status, '', url)
    return (this.challenge = challenge)
  }

  /**
   * Checks the credentials, with one request that carries them: `/v2/` with
   * basic auth, or a token from the realm, asked for push and pull on
   * `repositories` (none: the way `docker login` asks) so that the same
   * token then serves every request on them. Throws a RegistryError with
   * status 401 when they are rejected.
   */
  async checkLogin(repositories: string[] = []): Promise<void> {
    const challenge = await this.ping()
    if (challenge.scheme === 'bearer') {
      // Many repositories take a few tokens: the first checks the secret
      // alone, then the rest are asked at once.
      const [first = [], ...rest] = chunks(repositories, SCOPES_PER_TOKEN)
      await this.tokenForAll(first)
      await Promise.all(rest.map(chunk => this.tokenForAll(chunk)))
    } else if (challenge.scheme === 'basic') {
      const response = await this.request('GET', '/v2/', '')
      await discardBody(response)
    }
  }

  /**
   * The actions (`pull`, `push`) the account may take on each repository.
   * With Harbor-style tokens one token asked for all of them says it in its
   * `access` claim (and serves every later request); otherwise a blob upload
   * is started and cancelled per repository, which is what a push would do
   * first.
   */
  async grantedActions(repositories: string[]): Promise<Map<string, Set<string>>> {
    if (repositories.length === 0) return new Map()
    const challenge = await this.ping()
    if (challenge.scheme === 'bearer') {
      const tokens = await Promise.all(
        repositories.map(name => this.token(`repository:${name}:pull,push`))
      )
      if (tokens.every(token => token.access)) {
        return new Map(
          repositories.map((name, index) => [name, tokens[index].access?.get(name) ?? new Set()])
        )
      }
    }
    const granted = await mapWithLimit(repositories, 8, name => this.probeUpload(name))
    return new Map(repositories.map((name, index) => [name, granted[index]]))
  }

  /** Starts a blob upload and cancels it: `push` and `pull` when allowed, else `pull` only. */
  private async probeUpload(repository: string): Promise<Set<string>> {
    const response = await this.request('POST', `/v2/${repository}/blobs/uploads/`, repository, {
      push: true,
      accept: [202, 401, 403]
    })
    await discardBody(response)
    if (response.status !== 202) return new Set(['pull'])
    const location = response.headers.get('location')
    if (location) {
      // The answer is known now; the cancel goes on while the checks do. A
      // lost one only leaves an empty upload that the registry purges.
      this.tidying.push(
        this.request('DELETE', location, repository, {
          push: true,
          accept: [204, 404],
          tidyUp: true
        })
          .then(cancel => discardBody(cancel))
          .then(
            () => undefined,
            () => undefined
          )
      )
    }
    return new Set(['pull', 'push'])
  }

  /** Waits for the requests that tidy up after the checks (cancelled upload probes). */
  async tidied(): Promise<void> {
    await Promise.all(this.tidying)
  }

  /**
   * What `repository:tag` holds (a GET: Harbor counts it as a pull), or
   * undefined when there is no such tag. A pull policy that refuses to hand it
   * out is `{ policy }`, with the registry's words.
   */
  async manifest(
    repository: string,
    reference: string
  ): Promise<ManifestInfo | Refused | undefined> {
    const response = await this.request(
      'GET',
      `/v2/${repository}/manifests/${reference}`,
      repository,
      { headers: { Accept: MANIFEST_ACCEPT }, accept: [200, 404, 412] }
    )
    if (response.status !== 200) {
      const words = await bodyWords(response)
      return response.status === 404 ? undefined : { policy: errorDetail(words) }
    }
    const { bytes, more } = await readBounded(response, MAX_MANIFEST_BYTES)
    if (more)
      throw new Error(
        `${response.url}: the manifest is larger than 4 MiB, more than any registry takes`
      )
    const body = bytes.toString('utf8')
    const parsed = JSON.parse(body) as {
      mediaType?: string
      config?: { digest?: string }
      layers?: { digest?: string }[]
      manifests?: { digest?: string; platform?: Platform }[]
    }
    return {
      // Read by tag, a manifest's digest is that of its bytes, should a registry not say it.
      digest: response.headers.get('docker-content-digest') ?? sha256Digest(bytes),
      mediaType: parsed.mediaType ?? response.headers.get('content-type') ?? '',
      configDigest: parsed.config?.digest,
      layers: (parsed.layers ?? []).map(layer => layer.digest ?? ''),
      ...(parsed.manifests
        ? {
            children: parsed.manifests.map(entry => entry.digest ?? ''),
            platforms: parsed.manifests.map(entry => platformName(entry.platform))
          }
        : {})
    }
  }

  /**
   * The digest `repository:tag` holds, from a HEAD (not a pull in Harbor's
   * audit log, pull time or retention rules), or undefined when there is no
   * such tag. A pull policy answers a HEAD with a bare 412: the words are then
   * read from a GET, which the policy refuses too (a refused GET is no pull).
   */
  async tagDigest(repository: string, reference: string): Promise<string | Refused | undefined> {
    const response = await this.request(
      'HEAD',
      `/v2/${repository}/manifests/${reference}`,
      repository,
      { headers: { Accept: MANIFEST_ACCEPT }, accept: [200, 404, 412] }
    )
    await discardBody(response)
    if (response.status === 404) return undefined
    if (response.status === 412) {
      const held = await this.manifest(repository, reference)
      return held && 'policy' in held ? held : { policy: 'HTTP 412 Precondition Failed' }
    }
    return response.headers.get('docker-content-digest') ?? ''
  }

  /**
   * Whether a Harbor project exists, from `HEAD /api/v2.0/projects?project_name=`,
   * which answers any signed-in account whether or not it is a member
   * (Harbor's `HeadProject`; the project itself answers 403 to a non-member
   * for a missing project too). 'unknown' when the registry is not a Harbor
   * or the credentials are not taken there (an OIDC user's CLI secret).
   */
  async harborProjectExists(name: string): Promise<'exists' | 'missing' | 'unknown'> {
    const url = `${this.baseUrl}/api/v2.0/projects?project_name=${encodeURIComponent(name)}`
    const response = await registryFetch(url, this.tls, {
      method: 'HEAD',
      headers: { Accept: 'application/json', ...this.basicHeader() },
      retry: this.retry
    })
    await discardBody(response)
    if (response.status === 200) return 'exists'
    const isJson = (response.headers.get('content-type') ?? '').includes('json')
    if (response.status === 404 && isJson) return 'missing'
    return 'unknown'
  }

  /** `host[:port]` of the registry, as references name it. */
  get host(): string {
    return new URL(this.baseUrl).host
  }

  /**
   * One authenticated request. `repository` names the scope of the token
   * ('' for none); `push` asks for push as well as pull, `mountFrom` for pull
   * on a second repository in the same token (a cross-repository mount
   * needs both: distribution's token spec allows several scopes in one
   * request). Statuses outside `accept` (default 2xx) throw a RegistryError
   * with the body's words.
   */
  async request(
    method: string,
    pathOrUrl: string,
    repository: string,
    options: {
      push?: boolean
      mountFrom?: string
      headers?: Record<string, string>
      /** A stream is sent once, with no overall time limit: the caller watches it and starts over. */
      body?: string | Uint8Array | AsyncIterable<Uint8Array>
      signal?: AbortSignal
      accept?: number[]
      /** A request nothing depends on: one try, a short wait. */
      tidyUp?: boolean
      /** The body is streamed (a blob): only the wait for the headers is bounded. */
      streamBody?: boolean
    } = {}
  ): Promise<Awaited<ReturnType<typeof registryFetch>>> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`
    const challenge = await this.ping()
    const scope = [
      repository ? `repository:${repository}:${options.push ? 'pull,push' : 'pull'}` : '',
      options.mountFrom ? `repository:${options.mountFrom}:pull` : ''
    ]
      .filter(Boolean)
      .join(' ')
    const streamed = options.body !== undefined && isStream(options.body)
    let token = challenge.scheme === 'bearer' ? await this.token(scope) : undefined
    if (token && streamed && Date.now() >= token.staleAt) {
      // A stream cannot be sent a second time after a 401: renew first.
      this.tokens.delete(scope)
      token = await this.token(scope)
    }
    const send = (): ReturnType<typeof registryFetch> => {
      const headers: Record<string, string> = { ...options.headers }
      if (challenge.scheme === 'basic') Object.assign(headers, this.basicHeader())
      if (token) headers.Authorization = `Bearer ${token.value}`
      return registryFetch(url, this.tls, {
        method,
        headers,
        body: options.body,
        signal: options.signal,
        ...(options.tidyUp
          ? { timeoutMs: TIDY_UP_TIMEOUT_MS }
          : {
              retry: this.retry,
              // No overall limit on a stream either way: the pool's idle timeouts guard it.
              ...(streamed || options.streamBody ? { timeoutMs: Infinity } : {})
            })
      })
    }
    let response = await send()
    if (response.status === 401 && token && !streamed && Date.now() >= token.staleAt) {
      // Tokens expire (Harbor's after 30 minutes) and a long push outlives
      // one: the digest read back afterwards asks once for a new token. A
      // fresh token refused means no access, and is not asked again.
      await discardBody(response)
      this.tokens.delete(scope)
      token = await this.token(scope)
      response = await send()
    }
    const accepted = options.accept ?? []
    if ((response.status >= 200 && response.status < 300) || accepted.includes(response.status)) {
      return response
    }
    throw new RegistryError(response.status, errorDetail(await bodyWords(response)), url)
  }

  private basicHeader(): Record<string, string> {
    if (!this.credentials) return {}
    const { username, password } = this.credentials
    return { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }
  }

  /** A bearer token for `scope` ('' for a login check; several scopes space-separated), fetched once per scope. */
  private token(scope: string): Promise<Token> {
    return this.tokens.get(scope) ?? this.cacheToken([scope], this.fetchToken(scope.split(' ')))
  }

  /**
   * One token for push and pull on every repository (the token spec allows
   * many scopes in one request): one round trip instead of one per
   * repository, remembered for each of them. At most SCOPES_PER_TOKEN.
   */
  private tokenForAll(repositories: string[]): Promise<Token> {
    if (repositories.length === 0) return this.token('')
    const scopes = repositories.map(name => `repository:${name}:pull,push`)
    return this.cacheToken(
      [...scopes, ...repositories.map(name => `repository:${name}:pull`)],
      this.fetchToken(scopes)
    )
  }

  /** Remembers `token` for `scopes`; a failed fetch is forgotten, so the next call tries again. */
  private cacheToken(scopes: string[], token: Promise<Token>): Promise<Token> {
    for (const scope of scopes) this.tokens.set(scope, token)
    token.catch(() => {
      for (const scope of scopes) if (this.tokens.get(scope) === token) this.tokens.delete(scope)
    })
    return token
  }

  /**
   * A token from the realm. The first request that carries a login goes
   * alone, for every client of this process with the same realm and login
   * (a promotion reads the source with the destination's login, through a
   * client of its own): the others wait for its answer, and a rejected
   * login fails them too, unsent. A wrong secret costs one failed login,
   * which is what locks accounts.
   */
  private async fetchToken(scopes: string[]): Promise<Token> {
    const challenge = await this.ping()
    if (!this.credentials) return this.askToken(challenge, scopes)
    const key = JSON.stringify([
      challenge.realm,
      this.credentials.username,
      this.credentials.password
    ])
    const first = firstLogins.get(key)
    if (!first) {
      const asked = this.askToken(challenge, scopes)
      firstLogins.set(key, asked)
      // Only a rejection is shared; a network failure leaves the next one free to try.
      asked.catch((error: unknown) => {
        if (!(error instanceof RegistryError && error.status === 401)) firstLogins.delete(key)
      })
      return asked
    }
    await first.catch((error: unknown) => {
      if (error instanceof RegistryError && error.status === 401) throw error
    })
    return this.askToken(challenge, scopes)
  }

  private async askToken(challenge: Challenge, scopes: string[]): Promise<Token> {
    const url = this.realmUrl(challenge)
    if (challenge.service) url.searchParams.set('service', challenge.service)
    for (const scope of scopes) if (scope) url.searchParams.append('scope', scope)
    const response = await registryFetch(url.toString(), this.tls, {
      headers: this.basicHeader(),
      retry: this.retry
    })
    const { bytes, more } = await readBounded(response, TOKEN_ANSWER_BYTES)
    const body = bytes.toString('utf8')
    const where = url.origin + url.pathname
    if (response.status !== 200) throw new RegistryError(response.status, errorDetail(body), where)
    const parsed = tokenAnswer(body)
    const value = parsed?.token ?? parsed?.access_token
    if (typeof value !== 'string' || value === '' || more) {
      // containerd's ErrInvalidTokenResponse: a login portal's HTML page, a proxy's answer.
      throw new Error(
        `the token service ${where} answered HTTP 200 without a token (${errorDetail(body) || 'an empty body'}): it is not a registry's token service, or something in between answered for it`
      )
    }
    const claims = tokenClaims(value)
    if (this.credentials && claims?.access && !claims.sub) {
      // Harbor answers wrong credentials with an anonymous token (no
      // subject) whenever a scope is asked, and 401 only without one
      // (core/service/token/creator.go): for us that is a rejected login.
      throw new RegistryError(
        401,
        'the token service answered with an anonymous token: the username or secret was not accepted',
        where
      )
    }
    const seconds = (parsed?.expires_in as number | undefined) ?? DEFAULT_TOKEN_SECONDS
    return {
      value,
      access: claims?.access && accessOf(claims.access),
      staleAt: Date.now() + (seconds * 1000) / 2
    }
  }

  /**
   * Where a token is asked for: the realm the registry names, on whatever
   * host, as docker and containerd do (Docker Hub's is auth.docker.io). But
   * a login is never sent in clear text from a registry reached over https:
   * a realm over plain http there is a misconfigured external URL or
   * someone rewriting the registry's answers.
   */
  private realmUrl(challenge: Challenge): URL {
    let url: URL | undefined
    try {
      url = new URL(challenge.realm ?? '')
    } catch {
      // Said below.
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new Error(
        `the registry ${this.baseUrl} asks for a token but names no token service it can be asked at (realm "${challenge.realm ?? ''}")`
      )
    }
    if (url.protocol === 'http:' && this.baseUrl.startsWith('https:') && this.credentials) {
      throw new Error(
        `the registry ${this.baseUrl} names the token service "${url.origin}${url.pathname}", which is plain http: the login would cross the network unencrypted, so it was not sent; the registry's own URL setting must say https (Harbor: external_url in harbor.yml)`
      )
    }
    return url
  }
}

/** The first token request of each realm and login, and how it ended (see fetchToken). */
const firstLogins = new Map<string, Promise<Token>>()

/**
 * Scopes asked in one token request. They travel in the URL, and the proxy in
 * front of a Harbor refuses request lines of over ~8 KiB (nginx's default);
 * 40 scopes of long Harbor names stay well under it.
 */
const SCOPES_PER_TOKEN = 40

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) =>
    items.slice(index * size, (index + 1) * size)
  )
}

/** What `/v2/`'s status and WWW-Authenticate say about auth; undefined when it is no registry's answer. */
export function challengeOf(status: number, authenticate: string | null): Challenge | undefined {
  if (status === 200) return { scheme: 'none' }
  if (status === 401) return parseChallenge(authenticate ?? '')
  return undefined
}

/** `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
export function parseChallenge(header: string): Challenge {
  const scheme = header.split(' ')[0].toLowerCase()
  const params: Record<string, string> = {}
  for (const match of header.matchAll(/(\w+)="([^"]*)"/g)) params[match[1]] = match[2]
  if (scheme === 'bearer') return { scheme: 'bearer', realm: params.realm, service: params.service }
  return { scheme: 'basic', realm: params.realm }
}

/** The token service's JSON answer; undefined when it is not a JSON object. */
function tokenAnswer(
  body: string
): { token?: unknown; access_token?: unknown; expires_in?: unknown } | undefined {
  try {
    const parsed = JSON.parse(body) as unknown
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined
  } catch {
    return undefined
  }
}

interface TokenClaims {
  sub?: string
  access?: { type?: string; name?: string; actions?: string[] }[]
}

/** The claims of a JWT; undefined for an opaque token. */
function tokenClaims(token: string): TokenClaims | undefined {
  const payload = token.split('.')[1]
  if (!payload) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims
    return typeof claims === 'object' && claims !== null ? claims : undefined
  } catch {
    return undefined
  }
}

/** The granted actions per repository of a token's `access` claim. */
function accessOf(access: TokenClaims['access']): Map<string, Set<string>> | undefined {
  if (!Array.isArray(access)) return undefined
  const granted = new Map<string, Set<string>>()
  for (const entry of access) {
    if (entry.type === 'repository' && entry.name) {
      granted.set(entry.name, new Set(entry.actions ?? []))
    }
  }
  return granted
}
