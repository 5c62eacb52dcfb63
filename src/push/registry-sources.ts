/**
 * The preflight of `docker://` sources, before anything is pushed: each
 * source registry reached (the scheme probed as the destination's is, with
 * the same TLS settings), its login accepted, and every source resolved to
 * the digest it names now, which shows that it exists and that the account
 * may pull it. Problems are named all at once, each with its fix.
 */
import { InputError, PushError } from '../errors.js'
import type { Log } from '../log.js'
import { RegistryClient } from '../registry/client.js'
import { RegistryError } from '../registry/errors.js'
import type { RetryPolicy } from '../registry/http.js'
import { detectScheme } from '../registry/probe.js'
import { registryApiHost } from '../settings/docker-hub.js'
import { RegistryContentSource } from '../sources/registry.js'
import {
  type Credentials,
  type RegistrySource,
  type Settings,
  registryReference,
  sourceCredentialsFor
} from '../settings/settings.js'
import type { TlsOptions } from '../settings/tls.js'
import { ADVICE, type FailureContext, translateFailure } from './translate.js'

/** A source checked: where to read it from, and the digest its reference names now. */
export interface CheckedSource {
  source: RegistryContentSource
  digest: string
}

type SourceSettings = Pick<
  Settings,
  'registry' | 'credentials' | 'sourceCredentials' | 'tlsVerify' | 'caFile' | 'retries'
>

/** Why a source cannot be read: bad input (it does not exist) or a refusal of the registry. */
class SourceProblem extends Error {
  constructor(
    message: string,
    readonly missing = false
  ) {
    super(message)
  }
}

/**
 * Checks every source (in order) and returns each with its digest; throws
 * an InputError when sources do not exist, a PushError when a registry
 * refuses (login, pull rights, a pull policy) or cannot be reached, naming
 * each source and the fix. Nothing is pushed or pulled: HEAD requests only.
 */
export async function checkRegistrySources(
  sources: readonly RegistrySource[],
  settings: SourceSettings,
  log: Pick<Log, 'warning' | 'info'>
): Promise<CheckedSource[]> {
  const tls: TlsOptions = { tlsVerify: settings.tlsVerify, caFile: settings.caFile }
  const retry: RetryPolicy = {
    retries: settings.retries,
    onRetry: (attempt, cause, delay) =>
      log.warning(
        `source registry check attempt ${attempt} failed (${cause}); retrying in ${delay} ms`
      )
  }
  // One client per registry: one scheme probe, one login check, one token cache.
  const clients = new Map<string, Promise<RegistryClient>>()
  const clientFor = (source: RegistrySource): Promise<RegistryClient> => {
    // docker.io and index.docker.io are one registry: one client.
    const key = registryApiHost(source.host).toLowerCase()
    let client = clients.get(key)
    if (!client) {
      client = openClient(source, settings, tls, retry)
      clients.set(key, client)
    }
    return client
  }
  const checked = await Promise.allSettled(
    sources.map(async source => {
      const client = await clientFor(source)
      return checkOne(new RegistryContentSource(client, source), settings)
    })
  )
  const problems = checked.flatMap(outcome =>
    outcome.status === 'rejected' ? [outcome.reason as unknown] : []
  )
  if (problems.length > 0) {
    // A login rejected is said once per registry, however many sources it holds.
    const words = [...new Set(problems.map(problem => (problem as Error).message))]
    const allMissing = problems.every(
      problem => problem instanceof SourceProblem && problem.missing
    )
    const message = `${words.join('; ')}. Nothing was pushed.`
    throw allMissing ? new InputError(message) : new PushError(message)
  }
  const found = checked.flatMap(outcome => (outcome.status === 'fulfilled' ? [outcome.value] : []))
  for (const { source, digest } of found) log.info(`Source ${source.label}: ${digest}`)
  return found
}

/** A client of the source's registry, its scheme probed and its login (if any) checked. */
async function openClient(
  source: RegistrySource,
  settings: SourceSettings,
  tls: TlsOptions,
  retry: RetryPolicy
): Promise<RegistryClient> {
  const credentials = sourceCredentialsFor(settings, source.host)
  const context = contextOf(source, credentials)
  // Docker Hub's images are named docker.io, its API is registry-1.docker.io (docker-hub.ts).
  const apiHost = registryApiHost(source.host)
  const probe = await detectScheme(apiHost, tls, retry).catch((error: unknown) => {
    throw translated(error, context)
  })
  if (probe.scheme === 'http' && tls.tlsVerify) {
    throw new SourceProblem(`source "${registryReference(source)}": ${ADVICE.plainHttp(context)}`)
  }
  const client = new RegistryClient(
    `${probe.scheme}://${apiHost}`,
    tls,
    credentials,
    retry,
    probe.challenge
  )
  if (credentials) {
    await client.checkLogin().catch((error: unknown) => {
      if (error instanceof RegistryError && error.status === 401) {
        throw new SourceProblem(loginRejected(source, settings, credentials))
      }
      throw translated(error, context)
    })
  }
  return client
}

/** One source resolved: its digest, or why it cannot be read. */
async function checkOne(
  source: RegistryContentSource,
  settings: SourceSettings
): Promise<CheckedSource> {
  const credentials = sourceCredentialsFor(settings, source.source.host)
  const resolved = await source.resolve().catch((error: unknown) => {
    if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
      throw new SourceProblem(pullDenied(source.source, settings, credentials))
    }
    throw translated(error, contextOf(source.source, credentials))
  })
  if (resolved.kind === 'missing') {
    const what = source.source.digest ? 'digest' : 'tag'
    throw new SourceProblem(
      `source "${source.label}" not found: the registry has no such ${what} in "${source.repository}"; check the ${what} and the repository (and that the image was pushed there)`,
      true
    )
  }
  if (resolved.kind === 'refused') {
    throw new SourceProblem(
      `source "${source.label}": a pull policy of its project refuses to hand it out (${resolved.policy}); sign the image, or ask a project admin to exempt it`
    )
  }
  return { source, digest: resolved.digest }
}

function contextOf(source: RegistrySource, credentials?: Credentials): FailureContext {
  return {
    action: 'login',
    tool: 'harbor-push',
    host: source.host,
    project: source.repository.split('/')[0],
    username: credentials?.username,
    reference: registryReference(source)
  }
}

/** Where the source's login came from, for the fix. */
function whose(settings: SourceSettings): string {
  return settings.sourceCredentials
    ? 'check "source-username" and "source-password"'
    : 'it is the destination\'s login (source-username is empty): give "source-username" and "source-password" for the source registry, or check "username" and "password"'
}

function loginRejected(
  source: RegistrySource,
  settings: SourceSettings,
  credentials: Credentials
): string {
  return `login to the source registry "${source.host}" rejected for user "${credentials.username}" (reading "${registryReference(source)}"): ${whose(settings)}; for Harbor, the CLI secret from the user profile or a robot's secret (robot$<project>+<name>)`
}

function pullDenied(
  source: RegistrySource,
  settings: SourceSettings,
  credentials: Credentials | undefined
): string {
  const reference = registryReference(source)
  const project = source.repository.split('/')[0]
  if (!credentials) {
    return `source "${reference}" may not be pulled anonymously: give "source-username" and "source-password" of an account that may pull it`
  }
  return `user "${credentials.username}" may not pull "${reference}" (or its project "${project}" does not exist): it needs pull on "${source.repository}" (in Harbor any role in project "${project}", or a robot with pull); ${whose(settings)}`
}

/** A failure of the source's registry in the words of translate.ts, naming the source. */
function translated(error: unknown, context: FailureContext): Error {
  const failure = translateFailure(error, context)
  return new SourceProblem(`source "${context.reference ?? context.host}": ${failure.message}`)
}
