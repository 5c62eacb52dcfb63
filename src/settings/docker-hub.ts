/**
 * Docker Hub's names. An image on Docker Hub is named with one host
 * (`docker.io`), served by another (`registry-1.docker.io`), and logged in to
 * under a third (`https://index.docker.io/v1/`); an official image's
 * repository is written without the `library/` it has in the API. docker,
 * podman, skopeo and crane all read the names the same way, from these
 * sources:
 *
 * - distribution/reference `normalize.go` (`splitDockerDomain`): the domain
 *   `docker.io` (`defaultDomain`) and its legacy name `index.docker.io`
 *   (`legacyDefaultDomain`) are one registry; a one-segment repository there
 *   is an official image under `library/` (`officialRepoPrefix`):
 *   `docker.io/alpine` is `docker.io/library/alpine`. Other hosts, and
 *   `registry-1.docker.io` itself, get no `library/`. containers/image
 *   (podman, skopeo) keeps a copy of that package, with the same rule.
 * - moby `registry/config.go` and `registry/service_v2.go`
 *   (`lookupV2Endpoints`; `daemon/pkg/registry/` in moby v2): for
 *   `docker.io` and `index.docker.io` the API is
 *   `DefaultV2Registry`, `https://registry-1.docker.io` (`DefaultRegistryHost`),
 *   over HTTPS only. containers/image `docker/docker_client.go` (`dockerHostname`
 *   → `dockerRegistry`) and oras-go (`Reference.Host`) do the same.
 *
 * What the user wrote stays what logs, outputs and the summary show; only
 * the API's host and repository path are Docker Hub's.
 */

/** Where Docker Hub's registry API answers (moby's `DefaultRegistryHost`). */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io'

/**
 * The key docker/cli keeps a Docker Hub login under in `config.json`
 * (`IndexServer` in moby, `authConfigKey` in docker/cli
 * `cli/config/configfile/file.go`, `getAuthConfigKey`).
 */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/'

/** The names images on Docker Hub are written with: `defaultDomain` and `legacyDefaultDomain`. */
const DOCKER_HUB_DOMAINS = new Set(['docker.io', 'index.docker.io'])

/**
 * Whether `host` (`host[:port]`, as written) names Docker Hub: `docker.io`,
 * `index.docker.io` or its API host `registry-1.docker.io`. Host names are
 * compared without case (DNS ignores it); a port makes it another registry,
 * as in distribution/reference.
 */
export function isDockerHub(host: string): boolean {
  const name = host.toLowerCase()
  return DOCKER_HUB_DOMAINS.has(name) || name === DOCKER_HUB_API_HOST
}

/** The `host[:port]` whose `/v2/` API serves images named with `host`: Docker Hub's API host for its names. */
export function registryApiHost(host: string): string {
  return DOCKER_HUB_DOMAINS.has(host.toLowerCase()) ? DOCKER_HUB_API_HOST : host
}

/**
 * The repository path the API knows `repository` on `host` by: Docker Hub's
 * official images (one segment, on `docker.io` or `index.docker.io`) live
 * under `library/`.
 */
export function registryApiRepository(host: string, repository: string): string {
  return DOCKER_HUB_DOMAINS.has(host.toLowerCase()) && !repository.includes('/')
    ? `library/${repository}`
    : repository
}

/**
 * Whether the first segment of a name is a registry host, by
 * distribution/reference's rule (`splitDockerDomain`): it holds a `.` or a
 * `:`, is `localhost`, or has upper-case letters (which repositories may not
 * have). Anything else (`alpine`, `myorg` in `myorg/app`) is read by docker,
 * podman and skopeo as a repository on Docker Hub.
 */
export function isRegistryHost(segment: string): boolean {
  return /[.:]/.test(segment) || segment === 'localhost' || segment.toLowerCase() !== segment
}
