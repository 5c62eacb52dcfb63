import * as core from '@actions/core'
import type { Leftovers } from '../push/leftovers.js'

/**
 * What the post step needs to clean up after a main step that died. Saved
 * before the thing it describes is created, so a crash in between still
 * leaves the post step a path to remove.
 */
const KEYS = {
  isPost: 'isPost',
  privateDir: 'privateDir',
  caFile: 'dockerCaFile',
  tempTags: 'dockerTempTags',
  toolGroups: 'toolProcessGroups'
} as const

export const isPost = (): boolean => core.getState(KEYS.isPost) === 'true'
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

/** The leftovers the main step saved last. */
export function savedLeftovers(): Leftovers {
  return {
    privateDir: core.getState(KEYS.privateDir) || undefined,
    caFile: parsed(core.getState(KEYS.caFile)),
    tempTags: parsed(core.getState(KEYS.tempTags)) ?? [],
    toolGroups: core
      .getState(KEYS.toolGroups)
      .split(' ')
      .map(group => /^(\d+)(?:@(\d+))?$/.exec(group))
      .filter(match => match !== null)
      .map(([, id, started]) => ({
        id: Number(id),
        started: started === undefined ? undefined : Number(started)
      }))
  }
}

const json = (value: unknown): string => (value === undefined ? '' : JSON.stringify(value))

function parsed<T>(value: string): T | undefined {
  return value ? (JSON.parse(value) as T) : undefined
}
