/**
 * Error classes shared by every module. Modules throw; only the front ends
 * (the action's `main.ts`) decide how a failure ends the run.
 */

/** Bad input: nothing was run. The command line exits 2 on it. */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}

/** A tool (docker, podman, helm) failed; `stderr` is kept for translation. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string
  ) {
    super(message)
    this.name = 'ToolError'
  }
}

/** A failure already translated into words a user can act on. */
export class PushError extends Error {
  constructor(
    message: string,
    /** Worth another attempt (network, 5xx, 429, timeouts). */
    readonly transient = false
  ) {
    super(message)
    this.name = 'PushError'
  }
}

/** The message of anything thrown, without a stack. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
