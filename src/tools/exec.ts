import * as exec from '@actions/exec'
import { ToolError } from '../errors.js'

export interface RunOptions {
  /** Written to the tool's stdin: the only way a secret reaches a tool. */
  input?: string
  /** Variables added to the environment (e.g. DOCKER_CONFIG). */
  env?: Record<string, string>
}

export interface RunResult {
  stdout: string
  stderr: string
}

/** Runs a tool; argv arrays only, never a shell, so `robot$x` survives. */
export type Runner = (command: string, args: string[], options?: RunOptions) => Promise<RunResult>

/**
 * The one way this project runs a tool. Output is captured, not streamed, so
 * parallel pushes never interleave their lines; a failure throws a ToolError
 * carrying stderr so it can be translated into advice.
 */
export const runTool: Runner = async (command, args, options = {}) => {
  const result = await exec.getExecOutput(command, args, {
    input: options.input === undefined ? undefined : Buffer.from(options.input),
    env: options.env ? mergedEnv(options.env) : undefined,
    silent: true,
    ignoreReturnCode: true
  })
  if (result.exitCode !== 0) {
    const line = [command, ...args].join(' ')
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-20).join('\n')
    throw new ToolError(
      `"${line}" failed (exit ${result.exitCode}): ${detail}`,
      line,
      result.exitCode,
      result.stderr || result.stdout
    )
  }
  return { stdout: result.stdout, stderr: result.stderr }
}

function mergedEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) env[key] = value
  }
  return { ...env, ...extra }
}
