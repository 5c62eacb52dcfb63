import * as core from '@actions/core'
import type { PlacedCaFile } from '../tools/docker.js'

/**
 * What the post step needs to clean up after a main step that died. Saved
 * before the thing it describes is created, so a crash in between still
 * leaves the post step a path to remove.
 */
const KEYS = { isPost: 'isPost', privateDir: 'privateDir', caFile: 'dockerCaFile' } as const

export const isPost = (): boolean => core.getState(KEYS.isPost) === 'true'
export const markMainStarted = (): void => core.saveState(KEYS.isPost, 'true')

export const savePrivateDir = (dir: string): void => core.saveState(KEYS.privateDir, dir)
export const savedPrivateDir = (): string => core.getState(KEYS.privateDir)

export const savePlacedCaFile = (placed: PlacedCaFile): void =>
  core.saveState(KEYS.caFile, JSON.stringify(placed))
export function savedPlacedCaFile(): PlacedCaFile | undefined {
  const value = core.getState(KEYS.caFile)
  return value ? (JSON.parse(value) as PlacedCaFile) : undefined
}
