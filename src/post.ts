import * as core from '@actions/core'
import { removePrivateDir } from './credentials/private-dir.js'
import { messageOf } from './errors.js'
import { savedPlacedCaFile, savedPrivateDir } from './runner/state.js'
import { removePlacedCaFile } from './tools/docker.js'

/**
 * The post step: the main step removes its credentials itself; this catches
 * the case where it was killed (timeout, cancel, OOM) before it could.
 */
export function post(): void {
  try {
    const dir = savedPrivateDir()
    if (dir) removePrivateDir(dir)
    const placed = savedPlacedCaFile()
    if (placed) removePlacedCaFile(placed)
  } catch (error) {
    core.warning(`harbor-push cleanup: ${messageOf(error)}`)
  }
}
