import * as core from '@actions/core'
import { secretForms } from '../credentials/secrets.js'
import type { Log } from '../log.js'
import { userinfoPasswords } from '../redact.js'
import { loadSettings } from '../settings/load.js'
import { type RawInputs, parseBoolean, withoutFinalNewline } from '../settings/parse.js'
import type { Settings } from '../settings/settings.js'

/** Every input of action.yml; a unit test keeps this list and action.yml in step. */
export const INPUT_NAMES = [
  'registry',
  'username',
  'password',
  'container-tool',
  'images',
  'source-path',
  'source-tag',
  'destination-tag',
  'tls-verify',
  'ca-file',
  'charts',
  'chart-version',
  'chart-app-version',
  'helm-version',
  'helm-download-url',
  'if-exists',
  'parallel',
  'retries',
  'dry-run',
  'defaults-file',
  'summary',
  'keep-login',
  'source-username',
  'source-password'
] as const

/** The inputs that hold a secret: read untrimmed and masked before anything else runs. */
const SECRET_INPUTS = ['password', 'source-password'] as const

/**
 * Inputs of the action alone, with no flag in the command: `keep-login`
 * hands the login to later steps of a job and needs the post step that
 * removes it; the command has neither.
 */
export const ACTION_ONLY_INPUTS: readonly (typeof INPUT_NAMES)[number][] = ['keep-login']

const plainLog: Pick<Log, 'info' | 'warning'> = {
  info: message => core.info(message),
  warning: message => core.warning(message)
}

/**
 * Reads the action's inputs once and returns the validated settings; remarks
 * about them go to `log` (the action's, which keeps outside text inert).
 */
export function getSettings(log: Pick<Log, 'info' | 'warning'> = plainLog): Settings {
  const raw: RawInputs = {}
  for (const name of INPUT_NAMES) raw[name] = core.getInput(name)
  for (const name of SECRET_INPUTS) {
    // Spaces at either end belong to the secret: not trimmed (settings drop a final newline only).
    raw[name] = core.getInput(name, { trimWhitespace: false })
    // Mask before anything can print it, even an input error; each line of a
    // multi-line value too (refused, but the runner masks whole values only).
    const secret = withoutFinalNewline(raw[name])
    for (const form of new Set([secret, secret.trim(), ...secret.split(/\r?\n/)])) {
      if (form.trim()) core.setSecret(form)
    }
  }
  // A login written into a URL (registry, helm-download-url) is refused or
  // moved to a header, never printed; masked anyway, for what prints it raw.
  for (const password of userinfoPasswords(Object.values(raw).join('\n'))) core.setSecret(password)
  const settings = loadSettings(
    raw,
    message => log.warning(message),
    message => log.info(message)
  )
  // The auth files hold base64(user:password); mask that form too.
  if (settings.credentials) core.setSecret(secretForms(settings.credentials)[1])
  // The source login travels as a Basic header (and in token requests): the same form.
  if (settings.sourceCredentials) core.setSecret(secretForms(settings.sourceCredentials)[1])
  return settings
}

/** The `keep-login` input (action only): whether the login outlives the step. An input error if not a boolean. */
export function getKeepLogin(): boolean {
  return parseBoolean('keep-login', core.getInput('keep-login'), false)
}
