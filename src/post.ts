import * as core from '@actions/core'
import { messageOf } from './errors.js'
import { cleanUpLeftovers } from './push/leftovers.js'
import { restoreKeptLoginVariables } from './runner/keep-login.js'
import { savedLeftovers } from './runner/state.js'

/**
 * The post step: the main step removes its credentials itself; this catches
 * the case where it was killed (timeout, cancel, OOM) before it could, and
 * removes the login a `keep-login` step kept for the later steps of the job
 * (runs even when the job failed or was cancelled: `post-if: always()`). The
 * tools it started may outlive it (the runner kills only the step's own
 * process): they are stopped and waited for first, so no login they were
 * still doing writes its auth file after the folder was removed.
 */
export async function post(): Promise<void> {
  try {
    await cleanUpLeftovers(savedLeftovers(), message =>
      core.warning(`harbor-push cleanup: ${message}`)
    )
  } catch (error) {
    core.warning(`harbor-push cleanup: ${messageOf(error)}`)
  }
  // After the folder went: the variables of a kept login name nothing now.
  try {
    restoreKeptLoginVariables()
  } catch (error) {
    core.warning(`harbor-push cleanup: ${messageOf(error)}`)
  }
}
