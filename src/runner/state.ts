import * as core from '@actions/core'
import type { Leftovers } from '../push/leftovers.js'
import { KEYS } from './saved-state.js'

/**
 * What the post step needs to clean up after a main step that died. Saved
 * before the thing it describes is created, so a crash in between still
 * leaves the post step a path to remove. The post step reads it back with
 * saved-state.ts.
 */
export const markMainStarted = (): void => core.saveState(KEYS.isPost, 'true')

/** Saves the leftovers that changed (each under its own key: the last value saved wins). */
export function saveLeftovers(changed: Partial<Leftovers>): void {
  if ('privateDir' in changed) core.saveState(KEYS.privateDir, changed.privateDir ?? '')
  if ('caFile' in changed) core.saveState(KEYS.caFile, json(changed.caFile))
  if ('tempTags' in changed) core.saveState(KEYS.tempTags, json(changed.tempTags))
  if ('toolGroups' in changed) {
    const groups = (changed.toolGroups ?? []).map(({ id, started }) =>
      started === undefined ? `${id}` : `${id}@${started}`
    )
    core.saveState(KEYS.toolGroups, groups.join(' '))
  }
}

const json = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value))
