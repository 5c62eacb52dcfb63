import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * The step's private directory: the only place a login is written (docker
 * config, podman auth file) and where digest files and CA copies live. 0700,
 * so other users of a shared runner cannot read it, and removed when the step
 * ends (by the post step if the main step died).
 */
export function createPrivateDir(): string {
  const root = process.env.RUNNER_TEMP || os.tmpdir()
  fs.mkdirSync(root, { recursive: true })
  const dir = fs.mkdtempSync(path.join(root, 'harbor-push-'))
  fs.chmodSync(dir, 0o700)
  return dir
}

/** Removes the private directory; safe to call twice or on a path already gone. */
export function removePrivateDir(dir: string): void {
  // Only ever remove what createPrivateDir made, whatever the saved state says.
  if (!path.basename(dir).startsWith('harbor-push-')) return
  fs.rmSync(dir, { recursive: true, force: true })
}
