import * as core from '@actions/core'
import {
  KEPT_LOGIN_VARIABLES,
  type KeptLoginVariable,
  writeKeptLogin
} from '../credentials/kept-login.js'
import { createPrivateDir, removePrivateDir } from '../credentials/private-dir.js'
import type { Log } from '../log.js'
import type { Settings } from '../settings/settings.js'
import { KEYS } from './saved-state.js'

/** Saved state: what each variable held before the main step exported its own (JSON, null for unset). */
const PREVIOUS_KEY = KEYS.keptLoginPrevious

/**
 * `keep-login: true`, after a main step that succeeded: writes the login into
 * a private folder of its own (0700, files 0600) and exports
 * `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE` and `HELM_REGISTRY_CONFIG` for the
 * later steps of the job. Only the login outlives the step: the tools' own
 * auth files, digest files and CA copies went with the step's folder as
 * always. `onPrivateDir` is told the folder before anything is written into
 * it (the saved state), so the post step removes it, also when the job
 * failed or was cancelled; the post step then puts the variables back
 * (`restoreKeptLoginVariables`).
 */
export function keepLogin(
  settings: Pick<Settings, 'registry' | 'credentials'>,
  log: Pick<Log, 'info' | 'warning'>,
  onPrivateDir: (dir: string) => void
): void {
  if (!settings.credentials) {
    log.warning(
      'keep-login: this step did not log in (username and password are empty), so there is no login to keep; later steps use whatever login the machine has'
    )
    return
  }
  const previous = Object.fromEntries(
    KEPT_LOGIN_VARIABLES.map(name => [name, process.env[name] ?? null])
  ) as Record<KeptLoginVariable, string | null>
  const overridden = KEPT_LOGIN_VARIABLES.filter(name => previous[name])
  if (overridden.length > 0) {
    // Not refused: an earlier step's export (a setup step isolating docker)
    // is common and works. Said loudly, because a job- or workflow-level
    // `env:` of the same name wins over any export, and logins made before
    // this step are hidden from later steps until the post step.
    log.warning(
      `keep-login: ${overridden.map(name => `${name} was "${previous[name]}"`).join(', ')}; later steps of this job now read the kept login instead, until the post step of harbor-push puts the old value back. A workflow or job env: that sets ${overridden.join(' / ')} wins over this, and then later steps do not see the kept login`
    )
  }
  core.saveState(PREVIOUS_KEY, JSON.stringify(previous))
  const dir = createPrivateDir()
  onPrivateDir(dir)
  let values: Record<KeptLoginVariable, string>
  try {
    values = writeKeptLogin(dir, settings.registry.host, settings.credentials)
  } catch (error) {
    removePrivateDir(dir)
    throw error
  }
  for (const name of KEPT_LOGIN_VARIABLES) core.exportVariable(name, values[name])
  log.info(
    `keep-login: the login to ${settings.registry.host} is kept for the later steps of this job until the post step of harbor-push removes it: ${KEPT_LOGIN_VARIABLES.map(name => `${name}=${values[name]}`).join(', ')}. docker, podman, skopeo, helm, cosign, crane and oras read it; logins made before this step (in ~/.docker, podman's or helm's own files) are hidden from them until then`
  )
}

/**
 * The post step, after the kept folder was removed: gives each variable the
 * value it had before the main step, for the post steps of actions that ran
 * earlier (docker/login-action logs out in its post step, through
 * `DOCKER_CONFIG`). A variable that was unset is set empty, the runner
 * having no way to unset one: docker/cli (`config.Dir`), containers/image
 * (`REGISTRY_AUTH_FILE`) and oras-go read an empty value as unset, and helm
 * gives an empty `HELM_REGISTRY_CONFIG` to its registry client, which then
 * takes its default file (`pkg/registry/client.go`, `NewClient`).
 */
export function restoreKeptLoginVariables(): void {
  const saved = core.getState(PREVIOUS_KEY)
  if (!saved) return
  const previous = JSON.parse(saved) as Partial<Record<KeptLoginVariable, string | null>>
  for (const name of KEPT_LOGIN_VARIABLES) core.exportVariable(name, previous[name] ?? '')
}
