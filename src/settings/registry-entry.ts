/**
 * `[name=]docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`: an image in a registry,
 * read with the project's own registry client (no container engine, no
 * tool). The name defaults to the last segment of REPO.
 */
import { InputError } from '../errors.js'
import { isRegistryHost } from './docker-hub.js'
import { DOMAIN, NAME_MAX, REPOSITORY_PATH, tagProblem } from './reference.js'
import type { ImageRequest } from './settings.js'

const ENTRY = /^(?:([^=]+)=)?docker:\/\/(.*)$/i

/** The only digests the client verifies what it reads against. */
const SHA256 = /^sha256:[a-f0-9]{64}$/

/** The entry as a registry source, or undefined when it is no `docker://` entry. */
export function parseRegistryEntry(entry: string): ImageRequest | undefined {
  const match = ENTRY.exec(entry)
  if (!match) return undefined
  const given = match[1]
  const rest = match[2]
  const example = 'e.g. docker://registry.example.com/staging/app:v1'
  // A login in the entry would sit unmasked in the workflow file: refused, and
  // never echoed (the value is shown with *** in its place).
  // (`name@sha256:...` with no host is a digest, refused below for its missing host.)
  const userinfo = /^[^/]*@/.exec(rest)
  if (userinfo && !/^[^/@]*@sha256:[a-f0-9]{64}$/.test(rest)) {
    const shown = `${given ? `${given}=` : ''}docker://***@${rest.slice(userinfo[0].length)}`
    throw new InputError(
      `image "${shown}" carries a user name and password: write docker://HOST/REPO:TAG and give the login as "source-username" and "source-password" (from a secret store); if that password is written in the workflow, change it`
    )
  }
  const slash = rest.indexOf('/')
  const host = slash === -1 ? rest : rest.slice(0, slash)
  const path = slash === -1 ? '' : rest.slice(slash + 1)
  const domain = DOMAIN.exec(host)
  const port = domain?.[1] === undefined ? undefined : Number(domain[1])
  // docker, podman and skopeo read a name without a host (`alpine:3.20`,
  // `myorg/app:1`) as an image on Docker Hub (distribution/reference's
  // splitDockerDomain). harbor-push does not: like an implicit "latest", an
  // implicit registry would let a forgotten or mistyped host (or an internal
  // one-word host name) quietly fetch a public image, under Docker Hub's
  // anonymous pull limits, and push it into the registry as the one meant.
  // The entry names its registry, and Docker Hub is written docker.io.
  const namesNoHost =
    rest !== '' &&
    (slash === -1 ? !(domain && isRegistryHost(host)) : domain !== null && !isRegistryHost(host))
  if (namesNoHost) {
    const onHub = slash === -1 ? `library/${rest}` : rest
    const why = slash === -1 ? '' : ` ("${host}" has no "." or ":" and is not localhost)`
    throw new InputError(
      `image "${entry}" names no registry host${why}: docker, podman and skopeo would read it as an image on Docker Hub, which harbor-push never assumes; write docker://docker.io/${onHub} for Docker Hub, or the registry's full host name or HOST:PORT first (docker://HOST[:PORT]/REPO:TAG), ${example}`
    )
  }
  if (!host || !domain || (port !== undefined && (port < 1 || port > 65535))) {
    throw new InputError(
      `image "${entry}": "${host}" is not a valid registry host[:port]; write docker://HOST[:PORT]/REPO:TAG, ${example}`
    )
  }
  if (!path) {
    throw new InputError(
      `image "${entry}" names no repository on "${host}"; write docker://${host}/REPO:TAG, ${example}`
    )
  }
  const at = path.indexOf('@')
  const digest = at === -1 ? '' : path.slice(at + 1)
  const named = at === -1 ? path : path.slice(0, at)
  const colon = named.lastIndexOf(':')
  const repository = colon === -1 ? named : named.slice(0, colon)
  const tag = colon === -1 ? '' : named.slice(colon + 1)
  if (tag && digest) {
    throw new InputError(
      `image "${entry}" names both a tag ("${tag}") and a digest; give one: docker://${host}/${repository}:${tag} or docker://${host}/${repository}@${digest}`
    )
  }
  if (at !== -1 && !SHA256.test(digest)) {
    throw new InputError(
      `image "${entry}": "${digest}" is not a sha256 digest; write @sha256: and 64 lower-case hex digits (the digest the registry shows), or name a tag with :TAG`
    )
  }
  if (!tag && !digest) {
    throw new InputError(
      `image "${entry}" names no tag or digest (there is no implicit "latest"); write docker://${host}/${repository}:TAG or @sha256:<digest>`
    )
  }
  if (tag) {
    const problem = tagProblem(tag)
    if (problem) {
      throw new InputError(
        `image "${entry}": tag "${tag}" is not a valid tag: ${problem}; e.g. "v6.0.0" or "6.0.0-rc.1"`
      )
    }
  }
  if (!REPOSITORY_PATH.test(repository)) {
    throw new InputError(
      `image "${entry}": "${repository}" is not a valid repository; use lower-case letters, digits and "._-", with "/" between parts`
    )
  }
  if (`${host}/${repository}`.length > NAME_MAX) {
    throw new InputError(
      `image "${entry}": the source name "${host}/${repository}" is longer than ${NAME_MAX} characters, which no registry accepts; check the entry`
    )
  }
  const name = given ?? repository.slice(repository.lastIndexOf('/') + 1)
  if (!REPOSITORY_PATH.test(name)) {
    throw new InputError(
      `image "${entry}": "${name}" is not a valid image name; write "<name>=docker://..." with lower-case letters, digits and "._-"`
    )
  }
  return { name, tag, registry: { host, repository, tag, digest } }
}
