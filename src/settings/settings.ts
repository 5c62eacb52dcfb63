/** The typed, validated settings every module works from. */
import { registryApiHost } from './docker-hub.js'

export type ContainerToolName = 'docker' | 'podman'
export type IfExists = 'overwrite' | 'skip' | 'fail'

/** Where images go: `host[:port]` plus an optional repository path. */
export interface RegistryTarget {
  /** `host[:port]`, what login and TLS settings are keyed on. */
  host: string
  /** The repository path under the host (a Harbor project first), or ''. */
  path: string
  /** `host[/path]`, the prefix of every destination reference. */
  prefix: string
}

/** One image to push, as named by the user. */
export interface ImageRequest {
  /** Repository name below `source-path` (and below the registry). */
  name: string
  /** Local tag: the entry's own `:tag`, else `source-tag`; for an archive or layout, its own REF's tag. */
  tag: string
  /** An image outside local storage (`name=oci-archive:PATH[:REF]`...); none for local storage. */
  archive?: ArchiveSource
  /** An image in a registry (`name=docker://HOST/REPO[:TAG|@DIGEST]`); none for local storage. */
  registry?: RegistrySource
}

/** Archive and layout transports: what `docker save`, `podman save` and `buildx --output type=oci` write. */
export type ArchiveTransport = 'oci-archive' | 'oci' | 'docker-archive'

/** An image in an archive or layout, as the containers tools (skopeo) name it. */
export interface ArchiveSource {
  transport: ArchiveTransport
  /** Absolute path of the archive file or layout folder. */
  path: string
  /** The image inside it (`REF`): a tag or name of the layout, or `name:tag` of a docker archive; '' for its only image. */
  ref: string
}

/** How the containers tools (skopeo) and the report name an archive source: `<transport>:<path>[:<ref>]`. */
export function archiveReference(source: ArchiveSource): string {
  return `${source.transport}:${source.path}${source.ref ? `:${source.ref}` : ''}`
}

/** An image in a registry: another one, or the destination registry itself (promotion). */
export interface RegistrySource {
  /** `host[:port]` of the registry that holds it, as written (`docker.io`: see docker-hub.ts for the API's). */
  host: string
  /** Repository path on that registry (`staging/app`), as written (`alpine` on Docker Hub is `library/alpine`). */
  repository: string
  /** The tag the entry names, or '' when it names a digest. */
  tag: string
  /** `sha256:<hex>` the entry names, or '' when it names a tag. */
  digest: string
}

/** How logs, errors and the report name a registry source: `docker://host/repo:tag` or `@digest`. */
export function registryReference(source: RegistrySource): string {
  const reference = source.digest ? `@${source.digest}` : `:${source.tag}`
  return `docker://${source.host}/${source.repository}${reference}`
}

export interface Credentials {
  username: string
  password: string
}

export interface Settings {
  registry: RegistryTarget
  /** Undefined: rely on an existing login of the container tool. */
  credentials?: Credentials
  /** `source-username` / `source-password`, for `docker://` sources; undefined when not given. */
  sourceCredentials?: Credentials
  containerTool: ContainerToolName
  images: ImageRequest[]
  /** Local repository path in front of every image name, or ''. */
  sourcePath: string
  /** Tags to push each image as; empty means "the image's source tag". */
  destinationTags: string[]
  tlsVerify: boolean
  /** Absolute path of a PEM bundle to trust for the registry, or ''. */
  caFile: string
  /** When a destination tag holds different content: push over it, leave it, or fail first. */
  ifExists: IfExists
  /** Check everything and print the plan; push nothing. */
  dryRun: boolean
  parallel: number
  retries: number
  summary: boolean
  /** `charts` entries as given: chart folders, packaged `.tgz` files, globs; src/charts resolves them. */
  charts: string[]
  /** SemVer 2 version to package chart folders with, or '' (keep Chart.yaml's). */
  chartVersion: string
  /** appVersion to package chart folders with, or '' (keep Chart.yaml's). */
  chartAppVersion: string
  /** helm to install with the tool cache when none is on PATH, as `vX.Y.Z`. */
  helmVersion: string
  /** Base URL of helm releases (`https://get.helm.sh` or a mirror), without a trailing `/`. */
  helmDownloadUrl: string
}

/**
 * The login for reading a `docker://` source on `host`: `source-username` /
 * `source-password` when given; else, on the destination registry itself
 * (a promotion), the destination's login; else none (anonymous).
 */
export function sourceCredentialsFor(
  settings: Pick<Settings, 'registry' | 'credentials' | 'sourceCredentials'>,
  host: string
): Credentials | undefined {
  if (settings.sourceCredentials) return settings.sourceCredentials
  // One registry under two names (docker.io and index.docker.io) is one login.
  const registryOf = (name: string): string => registryApiHost(name).toLowerCase()
  return registryOf(host) === registryOf(settings.registry.host) ? settings.credentials : undefined
}
