import { messageOf } from './errors.js'
import { cleanUpLeftovers } from './push/leftovers.js'
import { keptLoginSaved, savedLeftovers } from './runner/saved-state.js'

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
  // @actions/core (and the HTTP client it brings) is loaded only when there
  // is something to say: a quiet post step, the usual one, starts in a third
  // of the time.
  let printed = Promise.resolve()
  const warn = (message: string): void => {
    printed = printed
      .then(() => import('@actions/core'))
      .then(core => core.warning(`harbor-push cleanup: ${message}`))
  }
  try {
    await cleanUpLeftovers(savedLeftovers(), warn)
  } catch (error) {
    warn(messageOf(error))
  }
  // After the folder went: the variables of a kept login name nothing now.
  // Only a keep-login step saved them; its module (with @actions/core) is loaded only then.
  if (keptLoginSaved()) {
    try {
      const { restoreKeptLoginVariables } = await import('./runner/keep-login.js')
      restoreKeptLoginVariables()
    } catch (error) {
      warn(messageOf(error))
    }
  }
  await printed
}
