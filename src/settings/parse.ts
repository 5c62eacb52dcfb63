import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { InputError } from '../errors.js'
import { parseChartInputs } from './chart-inputs.js'
import { DOMAIN, NAME_MAX, REPOSITORY_PATH, tagProblem } from './reference.js'
import { parseRegistryEntry } from './registry-entry.js'
import type {
  ContainerToolName,
  Credentials,
  ArchiveTransport,
  ImageRequest,
  RegistryTarget,
  Settings
} from './settings.js'
import { archiveReference, registryReference } from './settings.js'

/** Raw input values by their action.yml name; missing means empty. */
export type RawInputs = Partial<Record<string, string>>

/** Where non-fatal remarks about the inputs go (a warning in the log). */
export type Warn = (message: string) => void

/**
 * Turns raw inputs into settings, or throws an InputError naming the bad
 * value and the fix. Nothing outside the process is touched except reading
 * `ca-file`, so a failure here means nothing was run.
 */
export function parseSettings(raw: RawInputs, warn: Warn): Settings {
  const input = (name: string): string => (raw[name] ?? '').trim()

  const registry = parseRegistry(input('registry'), warn)
  const sourceTag = input('source-tag')
  if (sourceTag) checkTag('source-tag', sourceTag)
  const images = parseImages(input('images'), sourceTag)
  const chartInputs = parseChartInputs(input, splitList)
  if (images.length === 0 && chartInputs.charts.length === 0) {
    throw new InputError(
      `"images" is empty and so is "charts": at least one of images and charts must name something to push; list local images (e.g. "apim-le-cache apim-le-toolkit") and/or chart folders or .tgz files (e.g. "charts/*")`
    )
  }
  const destinationTags = splitList(input('destination-tag'))
  for (const tag of destinationTags) checkTag('destination-tag', tag)
  const tlsVerify = parseBoolean('tls-verify', input('tls-verify'), true)
  const caFile = parseCaFile(input('ca-file'))
  if (caFile && !tlsVerify) {
    throw new InputError(
      `"ca-file" and "tls-verify: false" were both set; use one: ca-file keeps TLS verified against your CA, tls-verify: false skips verification`
    )
  }

  const settings: Settings = {
    registry,
    credentials: parseCredentials(input('username'), secretInput(raw.password ?? '')),
    ...sourceCredentials(
      input('source-username'),
      secretInput(raw['source-password'] ?? '', 'source-password'),
      images,
      warn
    ),
    containerTool: parseContainerTool(input('container-tool')),
    images,
    sourcePath: parseSourcePath(input('source-path')),
    destinationTags: [...new Set(destinationTags)],
    tlsVerify,
    caFile,
    ifExists: parseChoice('if-exists', input('if-exists') || 'overwrite', [
      'overwrite',
      'skip',
      'fail'
    ]),
    parallel: parseInteger('parallel', input('parallel'), 3, 1, 32),
    retries: parseInteger('retries', input('retries'), 2, 0, 10),
    dryRun: parseBoolean('dry-run', input('dry-run'), false),
    summary: parseBoolean('summary', input('summary'), true),
    ...chartInputs
  }
  checkDestinationsDistinct(settings)
  checkNameLengths(settings)
  return settings
}

/** Splits a list given with newlines, commas or spaces; drops empty entries. */
export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter(entry => entry !== '')
}

/**
 * `host[:port][/path]`. A scheme and trailing slashes are what users paste
 * from a browser or from the reference script's docs; they are stripped with
 * a warning rather than refused.
 */
export function parseRegistry(value: string, warn: Warn): RegistryTarget {
  if (!value) {
    throw new InputError(
      `"registry" is required: give host[:port][/project], e.g. registry-oci.example.com/catalog-apps-myorg-myproject`
    )
  }
  refuseUserinfo(value)
  let rest = value
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest)
  if (scheme) {
    if (!['https', 'http', 'oci'].includes(scheme[1].toLowerCase())) {
      throw new InputError(
        `registry "${value}" starts with an unknown scheme "${scheme[0]}"; give host[:port][/path] without a scheme`
      )
    }
    rest = rest.slice(scheme[0].length)
    warn(
      `registry "${value}": dropped the scheme "${scheme[0]}"; registries are given as host[:port][/path]`
    )
  }
  if (rest.endsWith('/')) {
    rest = rest.replace(/\/+$/, '')
    warn(`registry "${value}": dropped the trailing "/" (it would make "//" in image names)`)
  }
  const slash = rest.indexOf('/')
  const host = slash === -1 ? rest : rest.slice(0, slash)
  const repositoryPath = slash === -1 ? '' : rest.slice(slash + 1)

  checkBrackets(`registry "${value}"`, host)
  const domain = DOMAIN.exec(host)
  const port = domain?.[1] === undefined ? undefined : Number(domain[1])
  if (!domain || (port !== undefined && (port < 1 || port > 65535))) {
    throw new InputError(
      `registry "${value}": "${host}" is not a valid host[:port]; give e.g. registry-oci.example.com or 127.0.0.1:5000`
    )
  }
  if (repositoryPath.includes('chartrepo')) {
    throw new InputError(
      `registry "${value}" contains "chartrepo": Harbor's OCI registry takes host/project (e.g. ${host}/<project>), never /chartrepo/`
    )
  }
  if (repositoryPath && !REPOSITORY_PATH.test(repositoryPath)) {
    throw new InputError(
      `registry "${value}": the path "${repositoryPath}" is not a valid repository path; use lower-case letters, digits and "._-" between "/" (no "//")`
    )
  }
  return { host, path: repositoryPath, prefix: repositoryPath ? `${host}/${repositoryPath}` : host }
}

/**
 * Brackets in a host: an IPv6 address literal, or a mistake. Neither is
 * taken: podman and helm cannot name an image on an IPv6 literal ("invalid
 * reference format"), so a run would fail half way; a host name that
 * resolves to the address works with every tool.
 */
function checkBrackets(what: string, host: string): void {
  if (!/[[\]]/.test(host)) return
  const literal = /^\[([^\]]*)\](:\d+)?$/.exec(host)
  if (literal && net.isIPv6(literal[1])) {
    throw new InputError(
      `${what}: "${host}" is an IPv6 address, which podman and helm cannot use in image names; give a host name that resolves to it instead (e.g. the line "${literal[1]} registry.local" in /etc/hosts, then registry.local${literal[2] ?? ''})`
    )
  }
  throw new InputError(
    `${what}: "${host}" is not a valid host[:port]: brackets belong only around an IPv6 address; give e.g. registry-oci.example.com or 127.0.0.1:5000`
  )
}

/**
 * `https://user:password@host/...`: refused, not stripped. Using a login
 * taken from a value that is not a secret would keep it unmasked in the
 * workflow; dropping it would end in a puzzling "login rejected". The
 * message shows the value with `***` in place of the login.
 */
function refuseUserinfo(value: string): void {
  const userinfo = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^/]*@/i.exec(value)
  if (!userinfo) return
  const shown = `${userinfo[1]}***@${value.slice(userinfo[0].length)}`
  throw new InputError(
    `registry "${shown}" carries a user name and password: give the registry as host[:port][/path], the user as "username" and the secret as "password" (from a secret store); if that password is written in the workflow, change it`
  )
}

function parseImages(value: string, sourceTag: string): ImageRequest[] {
  const images: ImageRequest[] = []
  const seen = new Set<string>()
  for (const entry of splitList(value)) {
    const fromRegistry = parseRegistryEntry(entry)
    if (fromRegistry?.registry) {
      const key = `${fromRegistry.name}=${registryReference(fromRegistry.registry)}`
      if (seen.has(key)) throw new InputError(`image "${entry}" is listed twice in "images"`)
      seen.add(key)
      images.push(fromRegistry)
      continue
    }
    const archive = parseArchiveEntry(entry)
    if (archive) {
      // One layout may hold several images (by REF): the same name and reference twice is the repeat.
      const key = `${archive.name}=${archive.archive ? archiveReference(archive.archive) : ''}`
      if (seen.has(key)) throw new InputError(`image "${entry}" is listed twice in "images"`)
      seen.add(key)
      images.push(archive)
      continue
    }
    if (entry.includes('@')) {
      throw new InputError(
        `image "${entry}": digests are not accepted; name a local image as name or name:tag`
      )
    }
    const colon = entry.lastIndexOf(':')
    const name = colon === -1 ? entry : entry.slice(0, colon)
    const ownTag = colon === -1 ? '' : entry.slice(colon + 1)
    if (!REPOSITORY_PATH.test(name)) {
      throw new InputError(
        `image "${entry}": "${name}" is not a valid image name; use lower-case letters, digits and "._-", with "/" between parts`
      )
    }
    if (colon !== -1) checkTag(`image "${entry}"`, ownTag)
    const tag = ownTag || sourceTag
    if (!tag) {
      throw new InputError(
        `image "${entry}" has no tag: set "source-tag" or write "${name}:<tag>" (there is no implicit "latest")`
      )
    }
    const key = `${name}:${tag}`
    if (seen.has(key)) throw new InputError(`image "${key}" is listed twice in "images"`)
    seen.add(key)
    images.push({ name, tag })
  }
  return images
}

const TRANSPORT = /^(?:([^=]+)=)?(oci-archive|oci|docker-archive):(.+)$/

/**
 * `[name=]oci-archive:PATH[:REF]`, `[name=]oci:DIR[:REF]`,
 * `[name=]docker-archive:PATH[:REF]`: an image in an archive or layout. The
 * name defaults to the file or folder name without its extension; the tag is
 * REF's (a layout's tag, or the tag of a docker archive's `name:tag`), and
 * `destination-tag` may name others. undefined for any other entry.
 */
function parseArchiveEntry(entry: string): ImageRequest | undefined {
  const match = TRANSPORT.exec(entry)
  if (!match) return undefined
  const [, given, transport, rest] = match as unknown as [
    string,
    string | undefined,
    ArchiveTransport,
    string
  ]
  // PATH[:REF]: a layout's REF is a tag (no "/"); a docker archive's is name:tag or @N.
  const split =
    transport === 'docker-archive'
      ? /^(.+?):((?:[^:]+:[^:/]+)|@\d+)$/.exec(rest)
      : /^(.+):([^:/]+)$/.exec(rest)
  const file = split ? split[1] : rest
  const ref = split ? split[2] : ''
  const name =
    given ??
    path
      .basename(file)
      .replace(/(\.oci)?(\.tar)?(\.gz)?$|\.tgz$/, '')
      .replace(/\.oci$/, '')
      .toLowerCase()
  if (!REPOSITORY_PATH.test(name)) {
    throw new InputError(
      `image "${entry}": "${name}" is not a valid image name${given ? '' : ' (taken from the file name)'}; write "<name>=${transport}:${rest}" with lower-case letters, digits and "._-"`
    )
  }
  // A docker archive's REF is name:tag (or @N); a layout's REF is its tag.
  const tag = transport === 'docker-archive' ? (/:([^:/]+)$/.exec(ref)?.[1] ?? '') : ref
  if (tag) checkTag(`image "${entry}"`, tag)
  return { name, tag, archive: { transport, path: path.resolve(file), ref } }
}

function parseSourcePath(value: string): string {
  const trimmed = value.replace(/^\/+|\/+$/g, '')
  if (!trimmed) return ''
  // A local path may start with a registry-like domain, e.g. podman's "localhost/".
  const [first, ...rest] = trimmed.split('/')
  checkBrackets(`source-path "${value}"`, first)
  const restOk = rest.length === 0 || REPOSITORY_PATH.test(rest.join('/'))
  const firstOk = REPOSITORY_PATH.test(first) || (rest.length > 0 && DOMAIN.test(first))
  if (!firstOk || !restOk) {
    throw new InputError(
      `source-path "${value}" is not a valid local repository path; use e.g. "apim" or "localhost/apim"`
    )
  }
  return trimmed
}

function checkTag(what: string, tag: string): void {
  const problem = tagProblem(tag)
  if (problem) {
    const label = what.startsWith('image') ? `${what}: tag` : what
    throw new InputError(
      `${label} "${tag}" is not a valid tag: ${problem}; e.g. "v6.0.0" or "6.0.0-rc.1"`
    )
  }
}

/**
 * The secret as given: spaces at either end belong to it (podman, docker
 * and helm keep them too); only one final newline (`\n` or `\r\n`), which
 * `echo` and files add, is not part of it. One made of white space only
 * counts as not given. A line break inside would be cut by the tools (and
 * masked in pieces by the runner): refused, without printing it.
 */
export function secretInput(value: string, name = 'password'): string {
  const secret = withoutFinalNewline(value)
  if (secret.trim() === '') return ''
  if (/[\r\n]/.test(secret)) {
    throw new InputError(
      `"${name}" holds a line break inside it (a multi-line value, or two values pasted together); a registry secret is one line: check the secret's value (it is not printed here)`
    )
  }
  return secret
}

/** `value` without one final `\n` or `\r\n`. */
export function withoutFinalNewline(value: string): string {
  return value.replace(/\r?\n$/, '')
}

function parseCredentials(username: string, password: string): Credentials | undefined {
  if (!username && !password) return undefined
  if (!password) {
    throw new InputError(
      `"username" is set but "password" is empty: pass the Harbor CLI secret (or robot secret) as "password", e.g. \${{ secrets.HARBOR_CLI_SECRET }}`
    )
  }
  if (!username) {
    throw new InputError(
      `"password" is set but "username" is empty: set the Harbor user name or the robot account (robot$<project>+<name>)`
    )
  }
  if (/\s/.test(username)) {
    throw new InputError(`username "${username}" contains white space; check the value`)
  }
  return { username, password }
}

/**
 * `source-username` / `source-password`: the login for `docker://` sources,
 * paired like the destination's. Given for a run with no such source, they
 * are not used, and that is said.
 */
function sourceCredentials(
  username: string,
  password: string,
  images: ImageRequest[],
  warn: Warn
): { sourceCredentials?: Credentials } {
  if (!username && !password) return {}
  if (!password) {
    throw new InputError(
      `"source-username" is set but "source-password" is empty: pass the secret of the source registry's account as "source-password", e.g. \${{ secrets.STAGING_REGISTRY_SECRET }}`
    )
  }
  if (!username) {
    throw new InputError(
      `"source-password" is set but "source-username" is empty: set the user or robot account of the source registry as "source-username"`
    )
  }
  if (/\s/.test(username)) {
    throw new InputError(`source-username "${username}" contains white space; check the value`)
  }
  if (!images.some(image => image.registry)) {
    warn(
      'source-username and source-password are set, but no "images" entry is a docker:// source: they are not used'
    )
  }
  return { sourceCredentials: { username, password } }
}

function parseContainerTool(value: string): ContainerToolName {
  return parseChoice('container-tool', value || 'docker', ['docker', 'podman'])
}

function parseCaFile(value: string): string {
  if (!value) return ''
  const file = path.resolve(value)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    throw new InputError(
      `ca-file "${value}" cannot be read; give the path of a PEM certificate bundle`
    )
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new InputError(
      `ca-file "${value}" holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); give the registry's CA in PEM form`
    )
  }
  return file
}

function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  const found = choices.find(choice => choice === value.toLowerCase())
  if (!found) {
    throw new InputError(`${name} "${value}" is not supported; use one of: ${choices.join(', ')}`)
  }
  return found
}

/** YAML 1.2 core booleans, as the runner's own boolean inputs accept. */
export function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (!value) return fallback
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputError(`${name} "${value}" is not a boolean; use true or false`)
}

function parseInteger(
  name: string,
  value: string,
  fallback: number,
  min: number,
  max: number
): number {
  if (!value) return fallback
  const number = /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new InputError(`${name} "${value}" is not a whole number from ${min} to ${max}`)
  }
  return number
}

/**
 * Two images that would land on the same destination reference would
 * silently overwrite each other; refuse before anything runs.
 */
function checkDestinationsDistinct(settings: Settings): void {
  const owner = new Map<string, string>()
  for (const image of settings.images) {
    if (!image.tag && settings.destinationTags.length === 0 && image.registry) {
      throw new InputError(
        `image "${image.name}" from "${registryReference(image.registry)}" names a digest and no tag: set "destination-tag" to say where it goes`
      )
    }
    if (!image.tag && settings.destinationTags.length === 0) {
      throw new InputError(
        `image "${image.name}" from ${image.archive?.transport ?? 'an archive'} "${image.archive?.path ?? ''}" has no tag: set "destination-tag", or name the image inside with ":<tag>" (there is no implicit "latest")`
      )
    }
    const tags = settings.destinationTags.length ? settings.destinationTags : [image.tag]
    for (const tag of tags) {
      const destination = `${settings.registry.prefix}/${image.name}:${tag}`
      const previous = owner.get(destination)
      if (previous) {
        throw new InputError(
          `images "${previous}" and "${image.name}:${image.tag}" would both be pushed to "${destination}"; push them in separate steps or give each its own destination tag`
        )
      }
      owner.set(destination, `${image.name}:${image.tag}`)
    }
  }
}

/**
 * An image name, registry host and path included, is at most 255
 * characters: docker, podman and the registry all refuse longer ones, and
 * would do so only half way through the run.
 */
function checkNameLengths(settings: Settings): void {
  for (const image of settings.images) {
    const names = [
      ['destination', `${settings.registry.prefix}/${image.name}`],
      ...(image.registry
        ? []
        : [['source', settings.sourcePath ? `${settings.sourcePath}/${image.name}` : image.name]])
    ]
    for (const [which, name] of names) {
      if (name.length > NAME_MAX) {
        throw new InputError(
          `image "${image.name}": the ${which} name "${name}" is ${name.length} characters long; image names (host and path included) may be at most ${NAME_MAX}: use a shorter ${which === 'source' ? 'source-path' : 'registry path'} or image name`
        )
      }
    }
  }
}
