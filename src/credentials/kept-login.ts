/**
 * The login a step keeps for the later steps of its job (`keep-login`):
 * one auth file per tool family, each in the docker config format, in a
 * private folder, and the variables that point each family at its file.
 *
 * Written by harbor-push itself, not by a tool's login, so it is there
 * whatever the step did: everything unchanged (no tool logged in), charts
 * only, archives only. Who reads which file, checked in their sources:
 *
 * - docker, and cosign / crane (go-containerregistry `authn.DefaultKeychain`
 *   loads docker/cli's `config.Load(os.Getenv("DOCKER_CONFIG"))`) and oras
 *   (oras-go `credentials.NewStoreFromDocker`: `$DOCKER_CONFIG/config.json`):
 *   `DOCKER_CONFIG` names the folder that holds `config.json`.
 * - podman, skopeo, buildah (containers/image `pkg/docker/config`, see
 *   containers-auth.json(5)): `REGISTRY_AUTH_FILE` names the file, whose
 *   `auths` entries hold `auth` = base64 `user:password`.
 * - helm 3.14+ and 4 (`pkg/registry/client.go`: oras-go
 *   `credentials.NewStore(registryConfig)`, falling back to docker's):
 *   `HELM_REGISTRY_CONFIG` names the file.
 *
 * Credential helpers: none of these tools hands a login it reads from such a
 * file to a helper. docker/cli (`LoadDefaultConfigFile`) and oras-go
 * (`NewStore` with `DetectDefaultNativeStore`) look for a default helper
 * (`docker-credential-pass`, `-secretservice`) only when the config holds no
 * auth at all (`ContainsAuth` / `IsAuthConfigured`); this one holds the
 * registry's entry, so the file itself is used. No `credHelpers` pin is
 * written (unlike the tools' own configs during the step,
 * tools/credential-helpers.ts): containers/image runs
 * `docker-credential-<name>` for a `credHelpers` entry even when the name is
 * empty, and fails, so a pin would break podman and skopeo.
 */
import fs from 'node:fs'
import path from 'node:path'
import { DOCKER_HUB_API_HOST, DOCKER_HUB_AUTH_KEY, isDockerHub } from '../settings/docker-hub.js'
import type { Credentials } from '../settings/settings.js'
import { secretForms } from './secrets.js'

/** The variables a kept login is exported as, each naming a path inside the private folder. */
export const KEPT_LOGIN_VARIABLES = [
  'DOCKER_CONFIG',
  'REGISTRY_AUTH_FILE',
  'HELM_REGISTRY_CONFIG'
] as const

export type KeptLoginVariable = (typeof KEPT_LOGIN_VARIABLES)[number]

/**
 * The `auths` keys each family's file holds `host`'s login under: the keys
 * its readers look the registry up by. Any registry but Docker Hub is its
 * `host[:port]`, for every reader. Docker Hub has a key of its own in each
 * (see settings/docker-hub.ts for its names), checked in their sources:
 *
 * - `DOCKER_CONFIG`: docker/cli looks images named `docker.io/...`,
 *   `index.docker.io/...` or with no host up under `https://index.docker.io/v1/`
 *   (`cli/config/configfile/file.go` `getAuthConfigKey`; its file store
 *   `Get` falls back only to keys that are URLs of the host asked), and
 *   images named `registry-1.docker.io/...` under that host (the FIXME in
 *   `cli/command/registry_test.go`). go-containerregistry (crane, cosign)
 *   rewrites `docker.io` to `index.docker.io` (`pkg/name/registry.go`) and
 *   looks that up as `https://index.docker.io/v1/` (`pkg/authn/keychain.go`
 *   `DefaultAuthKey`), `registry-1.docker.io` as itself. oras-go (oras)
 *   maps `docker.io` and `registry-1.docker.io` to `https://index.docker.io/v1/`
 *   (`registry/remote/credentials/registry.go` `ServerAddressFromRegistry`,
 *   `ServerAddressFromHostname`), and finds `index.docker.io` through its
 *   fallback to URL keys (`internal/config/config.go` `ToHostname`).
 * - `REGISTRY_AUTH_FILE`: containers/image (podman, skopeo, buildah) names
 *   `docker.io/...`, `index.docker.io/...` and bare names `docker.io` and
 *   looks that key up first, `registry-1.docker.io` through its fallback
 *   that maps all three (and `https://index.docker.io/v1/`) to one name
 *   (`pkg/docker/config/config.go` `findCredentialsInFile`,
 *   `normalizeRegistry`). `docker.io` is what `podman login docker.io` writes.
 * - `HELM_REGISTRY_CONFIG`: helm 3.18+ and 4 ask oras-go v2 for the host it
 *   sends requests to, `registry-1.docker.io` for `oci://docker.io/...`, which
 *   `ServerAddressFromHostname` turns into `https://index.docker.io/v1/`, the
 *   key `helm registry login` writes (`pkg/registry/client.go` `Login`);
 *   helm 3.17 and older (oras-go v1 `pkg/auth/docker/resolver.go`
 *   `resolveHostname`) map all three names to that key too.
 */
export function keptLoginKeys(host: string): Record<KeptLoginVariable, string[]> {
  if (!isDockerHub(host)) {
    return { DOCKER_CONFIG: [host], REGISTRY_AUTH_FILE: [host], HELM_REGISTRY_CONFIG: [host] }
  }
  return {
    DOCKER_CONFIG: [DOCKER_HUB_AUTH_KEY, DOCKER_HUB_API_HOST],
    REGISTRY_AUTH_FILE: ['docker.io'],
    HELM_REGISTRY_CONFIG: [DOCKER_HUB_AUTH_KEY]
  }
}

/**
 * The docker config format that logs a registry in under each of `keys`:
 * `{"auths":{"<key>":{"auth":"<base64 user:password>"}}}`.
 */
export function keptAuthConfig(keys: readonly string[], credentials: Credentials): string {
  const auth = secretForms(credentials)[1]
  const auths = Object.fromEntries(keys.map(key => [key, { auth }]))
  return `${JSON.stringify({ auths }, null, 2)}\n`
}

/**
 * Writes the kept login into `dir` (the private 0700 folder): a folder per
 * tool family (0700), a file each (0600), so that a later login by one tool
 * (`podman login` rewrites its whole file) cannot spoil another's. Returns
 * the value of each variable.
 */
export function writeKeptLogin(
  dir: string,
  host: string,
  credentials: Credentials
): Record<KeptLoginVariable, string> {
  const keys = keptLoginKeys(host)
  const paths: Record<KeptLoginVariable, { file: string; value: string }> = {
    DOCKER_CONFIG: {
      file: path.join(dir, 'docker', 'config.json'),
      value: path.join(dir, 'docker')
    },
    REGISTRY_AUTH_FILE: {
      file: path.join(dir, 'containers', 'auth.json'),
      value: path.join(dir, 'containers', 'auth.json')
    },
    HELM_REGISTRY_CONFIG: {
      file: path.join(dir, 'helm', 'registry', 'config.json'),
      value: path.join(dir, 'helm', 'registry', 'config.json')
    }
  }
  for (const name of KEPT_LOGIN_VARIABLES) {
    const { file } = paths[name]
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    // wx: a file already there (a path reused by mistake) is an error, never overwritten in place.
    fs.writeFileSync(file, keptAuthConfig(keys[name], credentials), { mode: 0o600, flag: 'wx' })
  }
  return {
    DOCKER_CONFIG: paths.DOCKER_CONFIG.value,
    REGISTRY_AUTH_FILE: paths.REGISTRY_AUTH_FILE.value,
    HELM_REGISTRY_CONFIG: paths.HELM_REGISTRY_CONFIG.value
  }
}
