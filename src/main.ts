import * as core from '@actions/core'
import { createPrivateDir, removePrivateDir } from './credentials/private-dir.js'
import { InputError, messageOf } from './errors.js'
import type { Log } from './log.js'
import { pushImages } from './push/push-images.js'
import { countLine } from './push/results.js'
import { getSettings } from './runner/inputs.js'
import { setOutputs } from './runner/outputs.js'
import { markMainStarted, savePlacedCaFile, savePrivateDir } from './runner/state.js'
import { writeSummary } from './runner/summary.js'
import { runTool } from './tools/exec.js'
import { createContainerTool } from './tools/create.js'

/** The runner's log, with groups. */
export const actionLog: Log = {
  info: message => core.info(message),
  warning: message => core.warning(message),
  group: (title, lines) => {
    core.startGroup(title)
    for (const line of lines) core.info(line)
    core.endGroup()
  }
}

/** The main step; the one error boundary of the action. */
export async function run(): Promise<void> {
  markMainStarted()
  try {
    const settings = getSettings()

    // Saved before anything is written, so the post step can clean up after a crash.
    const dir = createPrivateDir()
    savePrivateDir(dir)
    const tool = createContainerTool(
      settings,
      runTool,
      { dir, isolated: settings.credentials !== undefined },
      savePlacedCaFile
    )
    try {
      const results = await pushImages(settings, tool, actionLog)
      setOutputs(results)
      if (settings.summary) await writeSummary(settings.registry.prefix, results)
      core.info(countLine(results))
      const failed = results.filter(result => result.status === 'failed')
      if (failed.length > 0) {
        core.setFailed(
          `${failed.length} of ${results.length} pushes failed:\n` +
            failed.map(result => `- ${result.destination}: ${result.error ?? ''}`).join('\n')
        )
      }
    } finally {
      tool.cleanup()
      removePrivateDir(dir)
    }
  } catch (error) {
    const prefix = error instanceof InputError ? 'Invalid input: ' : ''
    core.setFailed(`${prefix}${messageOf(error)}`)
  }
}
