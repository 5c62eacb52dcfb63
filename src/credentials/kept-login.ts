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
 * The docker config that logs `host` in: `{"auths":{"<host>":{"auth":"<base64 user:password>"}}}`.
 * `host` is `host[:port]`, the key docker, containers/image and oras-go look a registry up by.
 */
export function keptAuthConfig(host: string, credentials: Credentials): string {
  const auth = secretForms(credentials)[1]
  return `${JSON.stringify({ auths: { [host]: { auth } } }, null, 2)}\n`
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
  const config = keptAuthConfig(host, credentials)
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
  for (const { file } of Object.values(paths)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    // wx: a file already there (a path reused by mistake) is an error, never overwritten in place.
    fs.writeFileSync(file, config, { mode: 0o600, flag: 'wx' })
  }
  return {
    DOCKER_CONFIG: paths.DOCKER_CONFIG.value,
    REGISTRY_AUTH_FILE: paths.REGISTRY_AUTH_FILE.value,
    HELM_REGISTRY_CONFIG: paths.HELM_REGISTRY_CONFIG.value
  }
}
