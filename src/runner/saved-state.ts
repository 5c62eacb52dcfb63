import type { Leftovers } from '../push/leftovers.js'

/**
 * Reading what the main step saved, for the post step. The runner hands
 * each saved value to the post step as the variable STATE_<name> (what
 * @actions/core's getState reads); this module reads it without loading
 * @actions/core, which brings its HTTP client (undici, ~1 MB) along and
 * would triple the post step's start-up.
 */
export const KEYS = {
  isPost: 'isPost',
  privateDir: 'privateDir',
  caFile: 'dockerCaFile',
  tempTags: 'dockerTempTags',
  toolGroups: 'toolProcessGroups',
  /** What the variables of a kept login held before (keep-login.ts). */
  keptLoginPrevious: 'keptLoginPrevious'
} as const

const getState = (name: string): string => process.env[`STATE_${name}`] ?? ''

export const isPost = (): boolean => getState(KEYS.isPost) === 'true'

/** Whether a keep-login step saved variables for the post step to put back. */
export const keptLoginSaved = (): boolean => getState(KEYS.keptLoginPrevious) !== ''

/** The leftovers the main step saved last. */
export function savedLeftovers(): Leftovers {
  return {
    privateDir: getState(KEYS.privateDir) || undefined,
    caFile: parsed(getState(KEYS.caFile)),
    tempTags: parsed(getState(KEYS.tempTags)) ?? [],
    toolGroups: getState(KEYS.toolGroups)
      .split(' ')
      .map(group => /^(\d+)(?:@(\d+))?$/.exec(group))
      .filter(match => match !== null)
      .map(([, id, started]) => ({
        id: Number(id),
        started: started === undefined ? undefined : Number(started)
      }))
  }
}

function parsed<T>(value: string): T | undefined {
  return value ? (JSON.parse(value) as T) : undefined
}
