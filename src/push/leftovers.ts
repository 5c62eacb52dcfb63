import { removePrivateDir } from '../credentials/private-dir.js'
import { ToolError, messageOf } from '../errors.js'
import { type ToolGroup, onRunningGroups, stopTools } from '../tools/children.js'
import {
  type PlacedCaFile,
  type TempTag,
  removePlacedCaFile,
  restoreTempTag
} from '../tools/docker.js'
import { type Runner, runCleanupTool } from '../tools/exec.js'
import type { RunHooks } from './harbor-push.js'

/** What a run has made outside its own process and not yet undone. */
export interface Leftovers {
  /** The private folder with the logins in it. */
  privateDir?: string
  /** A CA file placed in docker's certs.d. */
  caFile?: PlacedCaFile
  /** docker tags made for pushes and not yet put back. */
  tempTags: TempTag[]
  /** Process groups of the tools still running (a login may still write its auth file). */
  toolGroups: ToolGroup[]
}

/** Where a front end keeps leftovers as they change: the action's saved state; nowhere for the command. */
export type SaveLeftovers = (changed: Partial<Leftovers>) => void

/**
 * Follows a run's leftovers as they come and go: the hooks to give
 * harborPush, and the leftovers now. Each change is told to `save` before
 * the thing it names exists (the hooks are called first), so a front end
 * that dies at any point leaves a complete list to its clean-up.
 */
export function trackLeftovers(save: SaveLeftovers = () => undefined): {
  hooks: RunHooks
  current: () => Leftovers
} {
  const leftovers: Leftovers = { tempTags: [], toolGroups: [] }
  const update = (changed: Partial<Leftovers>): void => {
    Object.assign(leftovers, changed)
    save(changed)
  }
  onRunningGroups(toolGroups => update({ toolGroups }))
  return {
    hooks: {
      onPrivateDir: privateDir => update({ privateDir }),
      onCaFilePlaced: caFile => update({ caFile }),
      onCaFileRemoved: () => update({ caFile: undefined }),
      onTempTags: tempTags => update({ tempTags })
    },
    current: () => ({ ...leftovers })
  }
}

/**
 * Undoes what a stopped run left, in the only safe order: first every tool
 * is stopped and waited for, so none can write a login after its folder is
 * gone; then the docker tags are put back, the CA file removed, and last the
 * private folder. Each part is tried even when another failed; a failure is
 * told to `warn`.
 */
export async function cleanUpLeftovers(
  leftovers: Leftovers,
  warn: (message: string) => void,
  run: Runner = runCleanupTool
): Promise<void> {
  const running = await stopTools(leftovers.toolGroups)
  if (running.length > 0) {
    warn(
      `tool processes (groups ${running.join(', ')}) did not end after SIGKILL; the private folder is removed anyway`
    )
  }
  for (const temp of leftovers.tempTags) {
    try {
      await restoreTempTag(run, temp)
    } catch (error) {
      // A step stopped between telling the tag and making it leaves no tag to remove.
      if (!(error instanceof ToolError && /no such image/i.test(error.stderr))) {
        warn(`could not put the local tag "${temp.tag}" back: ${messageOf(error)}`)
      }
    }
  }
  try {
    if (leftovers.caFile) removePlacedCaFile(leftovers.caFile)
  } catch (error) {
    warn(`could not remove the CA file "${leftovers.caFile?.file}": ${messageOf(error)}`)
  }
  if (leftovers.privateDir) removePrivateDir(leftovers.privateDir)
}

let stopping = false

/**
 * Whether a signal is stopping the run: what fails from then on fails
 * because its tool was stopped, and the signal's handler ends the process.
 */
export const beingStopped = (): boolean => stopping

/** The exit status of a process ended by each signal a run is stopped with (128 + its number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const

/**
 * Stopping the run cleanly on SIGINT (Ctrl-C; GitHub's runner on cancel),
 * SIGTERM and SIGHUP: `current()` is cleaned up, then `stopped` ends the
 * process with the signal's exit status. A second signal while cleaning up
 * is ignored: the clean-up is bounded (tools get SIGKILL after 2 s, docker's
 * clean-up commands 15 s), and leaving half way would leave a login behind.
 */
export function cleanUpOnSignals(
  current: () => Leftovers,
  warn: (message: string) => void,
  stopped: (signal: string, status: number) => void
): void {
  for (const [signal, status] of Object.entries(STOP_SIGNALS)) {
    process.on(signal, () => {
      if (stopping) return
      stopping = true
      void cleanUpLeftovers(current(), warn)
        .catch((error: unknown) => warn(`clean-up: ${messageOf(error)}`))
        .finally(() => stopped(signal, status))
    })
  }
}
