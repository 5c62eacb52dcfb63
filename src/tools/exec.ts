import { ToolError } from '../errors.js'
import { type SpawnOptions, spawnTool } from './children.js'

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
 * carrying stderr so it can be translated into advice. Each tool runs in a
 * process group of its own that a stopped run stops (tools/children.ts).
 */
export const runTool: Runner = runner({})

/**
 * The runner of the clean-up after a stopped run (putting a docker tag
 * back): it still starts tools once the run's own were stopped, and gives
 * each one a time limit, so a hung engine cannot hold the exit.
 */
export const runCleanupTool: Runner = runner({ afterStop: true, limitMs: 15_000 })

function runner(spawnOptions: Pick<SpawnOptions, 'afterStop' | 'limitMs'>): Runner {
  return async (command, args, options = {}) => {
    const result = await spawnTool(command, args, {
      ...spawnOptions,
      input: options.input,
      env: options.env ? mergedEnv(options.env) : undefined
    })
    if (result.exitCode !== 0) {
      const line = [command, ...args].join(' ')
      const detail = (result.stderr.trim() || result.stdout.trim())
        .split('\n')
        .slice(-20)
        .join('\n')
      throw new ToolError(
        `"${line}" failed (exit ${result.exitCode}): ${detail}`,
        line,
        result.exitCode,
        result.stderr || result.stdout
      )
    }
    return { stdout: result.stdout, stderr: result.stderr }
  }
}

function mergedEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) env[key] = value
  }
  return { ...env, ...extra }
}
