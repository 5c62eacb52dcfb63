import * as core from '@actions/core'
import { InputError, messageOf } from './errors.js'
import { type Log, inertForRunner } from './log.js'
import { harborPush } from './push/harbor-push.js'
import { redactUserinfo } from './redact.js'
import { countLine, failureList } from './push/results.js'
import { getKeepLogin, getSettings } from './runner/inputs.js'
import { keepLogin } from './runner/keep-login.js'
import { setOutputs } from './runner/outputs.js'
import { beingStopped, cleanUpOnSignals, trackLeftovers } from './push/leftovers.js'
import { markMainStarted, saveLeftovers } from './runner/state.js'
import { writeSummary } from './runner/summary.js'

/**
 * The runner's log, with groups. The one place the action prints what the
 * core reports, so the one place that keeps outside text from being read as
 * workflow commands (inertForRunner) and URLs from showing their login.
 * Warnings and errors go as command data, which @actions/core escapes.
 */
export const actionLog: Log = {
  info: message => printInert([message]),
  warning: message => core.warning(redactUserinfo(message)),
  group: (title, lines) => {
    core.startGroup(redactUserinfo(title))
    printInert(lines)
    core.endGroup()
  }
}

function printInert(lines: string[]): void {
  for (const line of inertForRunner(lines.map(redactUserinfo))) core.info(line)
}

/** The main step; the one error boundary of the action. */
export async function run(): Promise<void> {
  markMainStarted()
  // State is saved before each thing it names exists, so the post step can
  // clean up after a main step that was killed.
  const leftovers = trackLeftovers(saveLeftovers)
  // Cancelled (the runner sends SIGINT, then SIGTERM): clean up at once
  // rather than leave tools running until the post step.
  cleanUpOnSignals(
    leftovers.current,
    message => actionLog.warning(message),
    signal => {
      // The saved leftovers stay: the post step finds them gone, or tries again what failed.
      core.setFailed(`harbor-push: stopped by ${signal}; the private login was removed`)
      process.exit(1)
    }
  )
  try {
    const settings = getSettings(actionLog)
    const keep = getKeepLogin()
    const report = await harborPush(settings, actionLog, leftovers.hooks)
    if (beingStopped()) return
    setOutputs(report)
    const failures = failureList(report)
    if (settings.summary) await writeSummary(settings.registry.prefix, report)
    // Only a step that succeeded hands its login on: a failed one keeps
    // nothing. So it comes last, after everything that can still fail the step.
    if (keep && !failures) {
      keepLogin(settings, actionLog, dir => leftovers.hooks.onPrivateDir?.(dir))
    }
    core.info(countLine([...report.images, ...report.charts]))
    if (failures) core.setFailed(redactUserinfo(failures))
  } catch (error) {
    // The tools were stopped under it: the signal's handler says so, not this.
    if (beingStopped()) return
    const prefix = error instanceof InputError ? 'Invalid input: ' : ''
    core.setFailed(redactUserinfo(`${prefix}${messageOf(error)}`))
  }
}
