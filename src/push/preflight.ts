import { PushError } from '../errors.js'
import type { Log } from '../log.js'
import { RegistryClient } from '../registry/client.js'
import { RegistryError } from '../registry/errors.js'
import type { RetryPolicy } from '../registry/http.js'
import { detectScheme } from '../registry/probe.js'
import type { Settings } from '../settings/settings.js'
import type { TlsOptions } from '../tools/container-tool.js'
import { mapWithLimit } from './pool.js'
import { ADVICE, type FailureContext, translateFailure } from './translate.js'

/** What a destination tag holds now, compared with what would be pushed. */
export type TagState =
  | { kind: 'absent' }
  | { kind: 'same'; digest: string }
  | { kind: 'different'; digest: string }
  /** The registry could not be asked (no credentials for an auth-only registry). */
  | { kind: 'unknown' }

/** A destination tag, split the way the registry API addresses it. */
export interface TagTarget {
  repository: string
  tag: string
  /** What the tag must hold to count as "the same": an image's local ID (its config digest)... */
  configDigest?: string
  /** ...or a chart's `.tgz` digest (its one layer). */
  layerDigest?: string
}

/** The registry, checked: a client for reading tags back, or none when it cannot be asked. */
export interface RegistryAccess {
  client?: RegistryClient
}

/**
 * Asks the registry, before anything is pushed, what a push would run into:
 * TLS and plain HTTP, whether the login is accepted, whether the account may
 * push to every repository (and if not, why: a read-only role, a project that
 * does not exist or is not visible). Throws a PushError with the advice of
 * DESIGN.md's error table; every repository's problem is named at once.
 */
export async function preflight(
  settings: Settings,
  tls: TlsOptions,
  toolName: string,
  repositories: string[],
  log: Log
): Promise<RegistryAccess> {
  const { host } = settings.registry
  const credentials = settings.credentials
  const context: FailureContext = {
    action: 'login',
    tool: toolName,
    host,
    project: settings.registry.path.split('/')[0],
    username: credentials?.username
  }
  const fail = (error: unknown): never => {
    const failure = translateFailure(error, context)
    // Registry requests were retried already (see RetryPolicy below).
    if (failure.transient && settings.retries > 0) {
      throw new PushError(
        `gave up after ${settings.retries + 1} attempts: ${failure.message}`,
        true
      )
    }
    throw failure
  }

  const retry: RetryPolicy = {
    retries: settings.retries,
    onRetry: (attempt, cause, delay) =>
      log.warning(`registry check attempt ${attempt} failed (${cause}); retrying in ${delay} ms`)
  }
  const scheme = await detectScheme(host, tls, retry).catch(fail)
  if (scheme === 'http' && tls.tlsVerify) throw new PushError(ADVICE.plainHttp(context))
  const client = new RegistryClient(`${scheme}://${host}`, tls, credentials, retry)
  const challenge = await client.ping().catch(fail)

  if (!credentials) {
    if (challenge.scheme !== 'none') {
      log.info(
        `No username/password: the registry API cannot be asked about permissions or existing tags; the push relies on the ${toolName} login on this machine`
      )
      return {}
    }
    return { client }
  }
  await client.checkLogin().catch((error: unknown) => {
    if (error instanceof RegistryError && error.status === 401) {
      throw new PushError(`${ADVICE.loginRejected(context)} (${error.detail || 'HTTP 401'})`)
    }
    fail(error)
  })

  const problems: string[] = []
  const unique = [...new Set(repositories)]
  const granted = await mapWithLimit(unique, 4, repository =>
    client.grantedActions(repository).catch(fail)
  )
  const denied = unique.filter((_, index) => !granted[index].has('push'))
  for (const project of new Set(denied.map(repository => repository.split('/')[0]))) {
    const projectContext = { ...context, action: 'push' as const, project }
    const visibility = await client.harborProject(project).catch(() => 'unknown' as const)
    problems.push(
      visibility === 'missing' || visibility === 'hidden'
        ? ADVICE.missingProject(projectContext)
        : ADVICE.pushDenied(projectContext)
    )
  }
  if (problems.length > 0) throw new PushError(`${problems.join('; ')}. Nothing was pushed.`)
  log.info(
    `Registry ${scheme}://${host}: login accepted, push allowed to ${unique.length} repositories`
  )
  return { client }
}

/** What each target tag holds now, read from the registry. */
export async function tagStates(access: RegistryAccess, targets: TagTarget[]): Promise<TagState[]> {
  const client = access.client
  if (!client) return targets.map(() => ({ kind: 'unknown' }))
  return mapWithLimit(targets, 8, async target => {
    const manifest = await client.manifest(target.repository, target.tag)
    if (!manifest) return { kind: 'absent' }
    const same =
      (target.configDigest !== undefined && manifest.configDigest === target.configDigest) ||
      (target.layerDigest !== undefined && manifest.layers.includes(target.layerDigest))
    return { kind: same ? 'same' : 'different', digest: manifest.digest }
  })
}
