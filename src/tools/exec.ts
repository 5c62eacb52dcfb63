import { ToolError } from '../errors.js'
import { type SpawnOptions, spawnTool } from './children.js'
import { runWatched } from './stall-watch.js'

export interface RunOptions {
  /** Written to the tool's stdin: the only way a secret reaches a tool. */
  input?: string
  /** Variables added to the environment (e.g. DOCKER_CONFIG). */
  env?: Record<string, string>
  /** Stop the tool, and fail transiently, after this long without progress (see stall-watch.ts). */
  stallMs?: number
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
    // Always given: without it the tool would inherit every variable, secrets included.
    const env = childEnv(process.env, options.env)
    const spawning = { ...spawnOptions, input: options.input, env }
    const result = options.stallMs
      ? await runWatched(command, args, { ...spawning, stallMs: options.stallMs })
      : await spawnTool(command, args, spawning)
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

/**
 * Variables that hold a secret a tool never needs: the action's inputs
 * (`INPUT_PASSWORD`, and every input: none is meant for a tool), the
 * command's `HARBOR_PASSWORD`, and the runner's own tokens. The secret
 * reaches a tool on stdin only.
 */
function holdsSecret(name: string): boolean {
  const upper = name.toUpperCase()
  return (
    upper.startsWith('INPUT_') ||
    upper === 'HARBOR_PASSWORD' ||
    upper === 'ACTIONS_RUNTIME_TOKEN' ||
    upper === 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'
  )
}

/**
 * The environment of a tool: this process's, without the variables that
 * hold secrets, plus `extra`. A list of what to drop rather than of what to
 * keep: docker, podman and helm read many variables a runner may rely on
 * (DOCKER_*, CONTAINERS_*, HELM_*, XDG_*, proxies, SSL_CERT_*, locale, ...).
 */
export function childEnv(
  parent: NodeJS.ProcessEnv,
  extra: Record<string, string> = {}
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(parent)) {
    if (value !== undefined && !holdsSecret(key)) env[key] = value
  }
  return { ...env, ...extra }
}
