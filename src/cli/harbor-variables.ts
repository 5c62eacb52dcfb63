/**
 * GitLab's Harbor integration (Settings → Integrations → Harbor) gives every
 * job HARBOR_HOST, HARBOR_PROJECT, HARBOR_USERNAME and HARBOR_PASSWORD; a
 * Jenkins `withCredentials` block or any shell can set the same. The command
 * reads them where no flag was given (DESIGN.md, "Command line").
 */
import { InputError, messageOf } from '../errors.js'
import type { Log } from '../log.js'
import { type RawInputs, parseRegistry } from '../settings/parse.js'

/** Where the variables come from, for the errors' fixes. */
const WHERE = "GitLab's Harbor integration, or set them yourself"

/**
 * Fills `registry` and `username` from the Harbor variables where the
 * command line left them empty; flags win. The secret is not read here:
 * main.ts reads HARBOR_PASSWORD or --password-stdin (said by
 * `passwordStdin`) and hands it in as `password`, only so that a user
 * without a secret can be refused.
 * Throws an InputError naming the variable and the fix when only some of
 * them are set; notes on `log` what it took, so a run says where its
 * registry and user came from.
 */
export function withHarborVariables(
  inputs: RawInputs,
  env: Partial<Record<string, string>>,
  log: Pick<Log, 'info' | 'warning'>,
  { passwordStdin = false }: { passwordStdin?: boolean } = {}
): RawInputs {
  const variable = (name: string): string => (env[name] ?? '').trim()
  const given = (name: string): boolean => (inputs[name] ?? '').trim() !== ''
  const result: RawInputs = { ...inputs }
  const taken: string[] = []

  const host = variable('HARBOR_HOST')
  const project = variable('HARBOR_PROJECT')
  if (given('registry')) {
    if (host || project) {
      log.info('-r/--registry was given: HARBOR_HOST and HARBOR_PROJECT are not used')
    }
  } else if (host || project) {
    result.registry = registryFrom(host, project, log)
    taken.push(`registry ${result.registry} (HARBOR_HOST, HARBOR_PROJECT)`)
  }

  const username = variable('HARBOR_USERNAME')
  const secret = (inputs.password ?? '').trim()
  if (given('username')) {
    const flag = (inputs.username ?? '').trim()
    // GitLab sets HARBOR_PASSWORD for HARBOR_USERNAME: paired with another user it is most likely the wrong secret.
    if (username && username !== flag && secret && !passwordStdin) {
      log.warning(
        `-u/--username "${flag}" is used with HARBOR_PASSWORD, which belongs to HARBOR_USERNAME "${username}"; if the login is rejected, pipe that user's secret to --password-stdin, or leave out -u`
      )
    }
  } else if (username) {
    if (!secret) {
      throw new InputError(
        `HARBOR_USERNAME "${username}" is set but there is no secret: set HARBOR_PASSWORD too (${WHERE}), or pipe the secret to --password-stdin`
      )
    }
    result.username = username
    taken.push(`username ${username} (HARBOR_USERNAME)`)
  }
  if (taken.length > 0) log.info(`From the Harbor variables: ${taken.join('; ')}`)
  return result
}

/**
 * `host/project` from HARBOR_HOST and HARBOR_PROJECT. GitLab's HARBOR_HOST
 * may be a URL (https://harbor.example.com): the host goes through the same
 * check as the `registry` input, which drops a scheme or a trailing "/"
 * with its warning, here said to be about HARBOR_HOST.
 */
function registryFrom(host: string, project: string, log: Pick<Log, 'warning'>): string {
  if (!host) {
    throw new InputError(
      `HARBOR_PROJECT "${project}" is set but HARBOR_HOST is empty: set HARBOR_HOST to the Harbor host (e.g. registry-oci.example.com; ${WHERE}), or give the registry as -r <host>/${project}`
    )
  }
  if (!project) {
    throw new InputError(
      `HARBOR_HOST "${host}" is set but HARBOR_PROJECT is empty: set HARBOR_PROJECT to the Harbor project to push to (${WHERE}), or give the registry as -r <host>/<project>`
    )
  }
  let target
  try {
    target = parseRegistry(host, message => log.warning(`HARBOR_HOST: ${message}`))
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`HARBOR_HOST: ${messageOf(error)}`)
    throw error
  }
  return `${target.prefix}/${project.replace(/^\/+|\/+$/g, '')}`
}
