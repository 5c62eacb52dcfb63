import { InputError, PushError } from '../errors.js'
import type { Log } from '../log.js'
import { RegistryClient } from '../registry/client.js'
import { RegistryError } from '../registry/errors.js'
import type { RetryPolicy } from '../registry/http.js'
import { type Probe, detectScheme } from '../registry/probe.js'
import { isDockerHub, registryApiHost } from '../settings/docker-hub.js'
import type { Settings } from '../settings/settings.js'
import type { Scheme, TlsOptions } from '../settings/tls.js'
import { mapWithLimit } from '../pool.js'
import { decide } from './decide.js'
import {
  type Expected,
  type HeldTag,
  type TagState,
  type TagTarget,
  readTag,
  tagState
} from './tag-state.js'
import { ADVICE, type FailureContext, translateFailure } from './translate.js'

/** The `service` of Harbor's token realm: how a Harbor is told from other registries. */
const HARBOR_SERVICE = 'harbor-registry'

/** How the pushing tools name the project's own registry client (registry sources). */
export const OWN_CLIENT = 'registry client'

/** What the registry said before any push. */
export interface RegistryCheck {
  /** For reading tags back after the push; none when the registry cannot be asked. */
  client?: RegistryClient
  /** What each target tag holds now compared with what would be pushed, in the order of the targets. */
  states: TagState[]
}

/**
 * The run's one conversation with the registry's API, for the images and the
 * charts together: the scheme probed once (and told to helm), one client
 * with one token cache, one login check and one rights check over every
 * repository. A wrong secret then costs one failed login per run (accounts
 * get locked after a few), and nothing is asked twice.
 */
export class RegistrySession {
  private readonly client: RegistryClient

  private constructor(
    private readonly settings: Settings,
    private readonly tls: TlsOptions,
    private readonly tools: string[],
    private readonly context: FailureContext,
    private readonly log: Log,
    private readonly probe: Probe,
    retry: RetryPolicy
  ) {
    const baseUrl = `${probe.scheme}://${registryApiHost(settings.registry.host)}`
    this.client = new RegistryClient(baseUrl, tls, settings.credentials, retry, probe.challenge)
  }

  /**
   * Probes whether the registry answers over HTTPS or plain HTTP, without
   * credentials. `tools` are the tools that will push; `tls` is what the
   * first of them really uses (helm takes the settings as given; a docker
   * daemon may treat the registry as insecure), and it words the advice on
   * failures.
   */
  static async open(
    settings: Settings,
    tls: TlsOptions,
    tools: string[],
    log: Log
  ): Promise<RegistrySession> {
    const context: FailureContext = {
      action: 'login',
      tool: tools[0],
      host: settings.registry.host,
      project: settings.registry.path.split('/')[0],
      username: settings.credentials?.username
    }
    const retry: RetryPolicy = {
      retries: settings.retries,
      onRetry: (attempt, cause, delay) =>
        log.warning(`registry check attempt ${attempt} failed (${cause}); retrying in ${delay} ms`)
    }
    // Docker Hub's images are named docker.io, its API is registry-1.docker.io (docker-hub.ts).
    const apiHost = registryApiHost(settings.registry.host)
    const probe = await detectScheme(apiHost, tls, retry).catch((error: unknown) =>
      registryFailure(error, context, settings.retries)
    )
    return new RegistrySession(settings, tls, tools, context, log, probe, retry)
  }

  /** What the registry answers on: helm must be told (`--plain-http`). */
  get scheme(): Scheme {
    return this.probe.scheme
  }

  /**
   * Asks the registry, before anything is pushed, what a push would run
   * into: plain HTTP, whether the login is accepted, what each target tag
   * holds now compared with `expected` (which may still be being read from
   * local storage), and whether the account may push to every repository
   * that will be pushed to (and if not, why: a read-only role, a project
   * that does not exist or is not visible). A re-run where every tag is
   * unchanged needs no push rights. Throws a PushError with the advice of
   * DESIGN.md's error table; every repository's problem is named at once.
   */
  async check(
    targets: TagTarget[],
    expected: Promise<Expected[]>,
    options: { awaitRecorded?: boolean } = {}
  ): Promise<RegistryCheck> {
    const { settings, context, client, log } = this
    const credentials = settings.credentials
    const fail = (error: unknown): never => registryFailure(error, context, settings.retries)
    // Where the local read is quick and tells pushed digests (docker), a tag
    // holding one needs no manifest GET; else the GETs do not wait for it.
    const recorded = options.awaitRecorded
      ? expected.then(
          all => all.map(wanted => wanted.recorded),
          () => undefined
        )
      : undefined
    const dockerHub = isDockerHub(settings.registry.host)
    // Docker Hub counts manifest GETs against the pull rate limit: a HEAD goes first there.
    const read = (): Promise<HeldTag[]> => readTags(client, targets, recorded, dockerHub)
    const compare = async (held: HeldTag[]): Promise<TagState[]> => {
      const wanted = await expected
      return held.map((tag, index) => tagState(tag, wanted[index]))
    }

    if (this.scheme === 'http' && this.tls.tlsVerify) throw new PushError(ADVICE.plainHttp(context))
    const challenge = await client.ping().catch(fail)
    // Harbor keeps every repository in a project (its artifactinfo middleware
    // answers 400 to a one-segment name): bad input, said before any login.
    const bare = targets.filter(target => !target.repository.includes('/'))
    if (challenge.service === HARBOR_SERVICE && bare.length > 0) {
      throw new InputError(ADVICE.noProject({ ...context, reference: bare[0].repository }))
    }
    // Docker Hub keeps every repository under a namespace (a user or an
    // organisation); a one-segment name is an official image there, which
    // docker and podman push to library/<name> and only Docker may write.
    if (dockerHub && bare.length > 0) {
      throw new InputError(
        `Docker Hub keeps every repository under a namespace (a user or an organisation): "${bare[0].repository}" names none, and docker would push it to the official images' library/${bare[0].repository}; give the namespace in registry ("${settings.registry.host}/<namespace>"). Nothing was pushed.`
      )
    }

    if (!credentials) {
      if (challenge.scheme !== 'none' && this.tools.includes(OWN_CLIENT)) {
        // The own client has no login on this machine to fall back on.
        throw new InputError(
          `${settings.registry.host} asks for a login, and docker:// sources are copied by harbor-push's own registry client, which has only "username" and "password": give them. Nothing was pushed.`
        )
      }
      if (challenge.scheme !== 'none') {
        log.info(
          `No username/password: the registry API cannot be asked about permissions or existing tags; the push relies on the ${this.tools.join(' and ')} login${this.tools.length > 1 ? 's' : ''} on this machine`
        )
        return { states: await compare(targets.map(() => 'unknown')) }
      }
      return { client, states: await compare(await read().catch(fail)) }
    }

    // The credentials go out once first: a wrong secret must count as one
    // failed login. With a token, the same request asks for every
    // repository, and the token serves every read.
    const repositories = [...new Set(targets.map(target => target.repository))]
    await client.checkLogin(repositories).catch((error: unknown) => {
      if (error instanceof RegistryError && error.status === 401) {
        throw new PushError(`${ADVICE.loginRejected(context)} (${error.detail || 'HTTP 401'})`)
      }
      fail(error)
    })
    const states = await compare(await read().catch(fail))

    const toPush = [
      ...new Set(
        targets
          .filter((_, index) => decide(settings.ifExists, states[index]) === 'push')
          .map(target => target.repository)
      )
    ]
    const granted = await client.grantedActions(toPush).catch(fail)
    const denied = toPush.filter(repository => !granted.get(repository)?.has('push'))
    const problems = await Promise.all(
      [...new Set(denied.map(repository => repository.split('/')[0]))].map(async project => {
        const projectContext = { ...context, action: 'push' as const, project }
        const mayPull = denied.some(
          repository => repository.split('/')[0] === project && granted.get(repository)?.has('pull')
        )
        // Harbor grants pull to a read-only role (and on a public project) and
        // nothing where the project is missing or the account has no role in
        // it; only the existence check tells those two apart.
        if (mayPull) return ADVICE.pushDenied(projectContext)
        const exists = await client.harborProjectExists(project).catch(() => 'unknown' as const)
        if (exists === 'missing') return ADVICE.missingProject(projectContext)
        if (exists === 'exists') return ADVICE.noRole(projectContext)
        return ADVICE.missingOrHidden(projectContext)
      })
    )
    if (problems.length > 0) throw new PushError(`${problems.join('; ')}. Nothing was pushed.`)
    log.info(
      `Registry ${client.baseUrl}: login accepted, ${toPush.length > 0 ? `push allowed to ${toPush.length} repositories` : 'nothing to push'}`
    )
    return { client, states }
  }

  /** Waits for the requests that tidy up after the checks (cancelled upload probes). */
  tidied(): Promise<void> {
    return this.client.tidied()
  }
}

/** A registry failure in the words of DESIGN.md's error table. */
function registryFailure(error: unknown, context: FailureContext, retries: number): never {
  const failure = translateFailure(error, context)
  // Registry requests were retried already (see the RetryPolicy in open).
  if (failure.transient && retries > 0) {
    throw new PushError(`gave up after ${retries + 1} attempts: ${failure.message}`, true)
  }
  throw failure
}

/** What each target tag holds now, read from the registry; the push rights check says why where 'unknown'. */
function readTags(
  client: RegistryClient,
  targets: TagTarget[],
  recorded: Promise<(readonly string[] | undefined)[] | undefined> | undefined,
  headFirst: boolean
): Promise<HeldTag[]> {
  return mapWithLimit(targets, 8, (target, index) =>
    readTag(
      client,
      target,
      recorded?.then(all => all?.[index]),
      headFirst
    )
  )
}
