import { ToolError } from '../../src/errors.js'
import type { RunOptions, RunResult, Runner } from '../../src/tools/exec.js'

/** One recorded tool call, exactly as the code under test made it. */
export interface Call {
  command: string
  args: string[]
  options?: RunOptions
}

/** What the scripted tool does: print `stdout`, or fail with `stderr` as runTool would. */
export type Reply =
  string | { stdout: string; stderr?: string } | { fail: string; exitCode?: number }

/** A ToolError shaped like the one runTool throws for a failed command. */
export function toolError(
  command: string,
  args: string[],
  stderr: string,
  exitCode = 125
): ToolError {
  const line = [command, ...args].join(' ')
  return new ToolError(
    `"${line}" failed (exit ${exitCode}): ${stderr.trim()}`,
    line,
    exitCode,
    stderr
  )
}

/**
 * A fake Runner: records every call and answers from a script, so tests can
 * assert the exact argv, stdin and environment a tool would have been given.
 */
export class FakeRunner {
  readonly calls: Call[] = []

  constructor(private readonly script: (call: Call) => Reply = () => '') {}

  readonly run: Runner = async (command, args, options) => {
    const call: Call = { command, args: [...args], options }
    this.calls.push(call)
    const reply = this.script(call)
    await Promise.resolve()
    if (typeof reply === 'string') return { stdout: reply, stderr: '' }
    if ('fail' in reply) throw toolError(command, args, reply.fail, reply.exitCode)
    const result: RunResult = { stdout: reply.stdout, stderr: reply.stderr ?? '' }
    return result
  }

  /** `[command, ...args]` of every call, in order. */
  argv(): string[][] {
    return this.calls.map(call => [call.command, ...call.args])
  }

  /** Calls whose argv or environment contain `secret` anywhere. */
  leaking(secret: string): Call[] {
    return this.calls.filter(
      call =>
        [call.command, ...call.args].some(arg => arg.includes(secret)) ||
        Object.entries(call.options?.env ?? {}).some(
          ([key, value]) => key.includes(secret) || value.includes(secret)
        )
    )
  }
}
