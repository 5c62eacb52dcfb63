/**
 * Keeping a login off the machine's credential helpers.
 *
 * docker, helm (oras-go) and podman (containers/image) hand a login to a
 * credential helper (`docker-credential-<name>`: secretservice, pass,
 * osxkeychain, wincred, desktop) instead of writing it into the auth file
 * they were given:
 *
 * - docker and helm, when their config file names no auth at all, look for
 *   `docker-credential-pass` / `-secretservice` (Linux) on PATH and use it.
 *   A config that names the registry in `credHelpers` with an empty helper
 *   counts as "auth configured" (no detection) and sends that registry to
 *   the file itself. (`{"auths":{},"credsStore":""}` does not help: an empty
 *   store is exactly what triggers the detection.)
 * - podman writes to the first entry of `credential-helpers` in
 *   registries.conf (and its registries.conf.d drop-ins), which may name an
 *   external helper before the auth file.
 *
 * Checked against the real tools (docker 28, helm 3.17 and 4.1, podman 4.3)
 * in __tests__/integration/credential-helpers.test.ts.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InputError } from '../errors.js'

/** podman's name for "the auth file" in `credential-helpers`. */
const AUTH_FILE_HELPER = 'containers-auth.json'

/**
 * Writes a docker `config.json` / helm `registry.json` (0600, folder 0700)
 * that keeps `host`'s login in the file itself. Written before the login;
 * the tool adds its `auths` entry and keeps this one.
 */
export function writeFileOnlyAuthConfig(file: string, host: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const config = { auths: {}, credHelpers: { [host]: '' } }
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
}

/**
 * Writes a registries.conf for podman (CONTAINERS_REGISTRIES_CONF) that is
 * the one podman would read, with `credential-helpers` set to the auth file
 * only; every other registry setting the machine has is kept.
 */
export function writeAuthFileOnlyRegistriesConf(file: string, env = process.env): void {
  const source = mainRegistriesConf(env)
  const original = source && fs.existsSync(source) ? fs.readFileSync(source, 'utf8') : ''
  const text = [
    '# Written by harbor-push: the login stays in the --authfile, never in a credential helper.',
    `credential-helpers = ["${AUTH_FILE_HELPER}"]`,
    withoutCredentialHelpers(original)
  ].join('\n')
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  fs.writeFileSync(file, text, { mode: 0o600 })
}

/**
 * registries.conf drop-ins are read even with CONTAINERS_REGISTRIES_CONF
 * set, and one that names an external helper first would receive the
 * secret: refuse before the login rather than hand it over.
 */
export function checkRegistriesConfDropIns(env = process.env): void {
  const dirs = [
    '/etc/containers/registries.conf.d',
    ...userConfigDirs(env).map(dir => path.join(dir, 'containers/registries.conf.d'))
  ]
  for (const dir of dirs) {
    let names: string[]
    try {
      names = fs.readdirSync(dir).filter(name => name.endsWith('.conf'))
    } catch {
      continue
    }
    for (const name of names) {
      const file = path.join(dir, name)
      const helpers = credentialHelpersOf(readOrEmpty(file))
      if (helpers && helpers[0] !== AUTH_FILE_HELPER) {
        throw new InputError(
          `podman would hand the login to the credential helper "${helpers[0]}" named by credential-helpers in ${file}, where it would outlive this step; harbor-push keeps the login in its private folder only: put "${AUTH_FILE_HELPER}" first in that list (or remove it), or use container-tool: docker`
        )
      }
    }
  }
}

/** The main registries.conf podman reads: CONTAINERS_REGISTRIES_CONF, the user's, or the system's. */
function mainRegistriesConf(env: NodeJS.ProcessEnv): string | undefined {
  if (env.CONTAINERS_REGISTRIES_CONF) return env.CONTAINERS_REGISTRIES_CONF
  for (const dir of userConfigDirs(env)) {
    const user = path.join(dir, 'containers/registries.conf')
    if (fs.existsSync(user)) return user
  }
  return '/etc/containers/registries.conf'
}

/** Where podman looks for the user's configuration: ~/.config (podman 4), and XDG_CONFIG_HOME (newer). */
function userConfigDirs(env: NodeJS.ProcessEnv): string[] {
  const home = path.join(env.HOME || os.homedir(), '.config')
  return [...new Set([env.XDG_CONFIG_HOME || home, home])]
}

/** The `credential-helpers` list a TOML file sets at its top level, if it does. */
export function credentialHelpersOf(text: string): string[] | undefined {
  const topLevel = text.split(/^\s*\[/m)[0]
  const match = /^\s*credential-helpers\s*=\s*\[([^\]]*)\]/m.exec(topLevel)
  if (!match) return undefined
  return [...match[1].matchAll(/["']([^"']*)["']/g)].map(entry => entry[1])
}

/** `text` without its top-level `credential-helpers = [...]` (which may span lines). */
function withoutCredentialHelpers(text: string): string {
  return text.replace(/^\s*credential-helpers\s*=\s*\[[^\]]*\][^\n]*\n?/m, '')
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
