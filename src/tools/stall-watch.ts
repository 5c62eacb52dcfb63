import fs from 'node:fs'
import { PushError } from '../errors.js'
import { type SpawnOptions, spawnTool } from './children.js'

/**
 * How long a push may make no progress before it is stopped and tried again.
 * "Progress" is the tool printing anything, or the tool (or a process it
 * started) reading or writing any bytes: an upload moving, a layer read from
 * storage, docker's CLI receiving the engine's progress. A big layer uploads
 * for minutes without a line of output but never without bytes; what is left
 * is a connection nobody answers. Five minutes stays clear of the slowest
 * pause we know of (a registry committing a multi-GB layer to object storage
 * before it answers) and far below a job's timeout.
 */
export const PUSH_STALL_MS = 300_000

/** The bound: PUSH_STALL_MS, or HARBOR_PUSH_STALL_SECONDS (a hidden setting for tests). */
export function pushStallMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.HARBOR_PUSH_STALL_SECONDS)
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : PUSH_STALL_MS
}

/**
 * Bytes that count as progress. An idle Go program (podman, helm, docker's
 * CLI) still reads and writes a few bytes a second for its own wake-ups;
 * the slowest real upload moves far more than this within the bound.
 */
const PROGRESS_BYTES = 64 * 1024

/** Between SIGTERM and SIGKILL for a tool that was stopped. */
const STOP_GRACE_MS = 3_000

/** A tool stopped for making no progress: transient, so the retry policy tries again. */
export class StalledError extends PushError {
  constructor(message: string) {
    super(message, true)
    this.name = 'StalledError'
  }
}

export interface WatchedResult {
  exitCode: number
  stdout: string
  stderr: string
}

/**
 * Runs a tool like `@actions/exec` does (argv only, `input` on stdin, output
 * captured), and stops it, with every process it started, once it has made no
 * progress for `stallMs`: that throws a StalledError saying so, which the
 * retry policy tries again. Stopping walks the tool's process tree (a helper
 * may have left the tool's process group).
 * Where /proc does not show a process's bytes (not Linux), only a tool that
 * exits ends the wait: no push is stopped on a guess.
 */
export async function runWatched(
  command: string,
  args: string[],
  options: SpawnOptions & { stallMs: number }
): Promise<WatchedResult> {
  let lastProgress = Date.now()
  let movedSinceProgress = 0
  const progress = (): void => {
    lastProgress = Date.now()
    movedSinceProgress = 0
  }
  let pid: number | undefined
  let bytes: Map<number, number> | undefined
  // Started like every tool (spawnTool: captured output, stdin, a process
  // group of its own that a stopped run stops); watched from here.
  const running = spawnTool(command, args, {
    ...options,
    onSpawn: child => {
      pid = child.pid
      bytes = pid ? bytesByProcess(pid) : undefined
      child.stdout.on('data', progress)
      child.stderr.on('data', progress)
    }
  })

  let stopped: Promise<void> | undefined
  const watch = setInterval(
    () => {
      if (!pid || stopped) return
      const now = bytesByProcess(pid)
      movedSinceProgress += now ? moved(bytes, now) : PROGRESS_BYTES
      bytes = now
      if (movedSinceProgress >= PROGRESS_BYTES) progress()
      if (Date.now() - lastProgress >= options.stallMs) stopped = stopTree(pid)
    },
    Math.min(1000, Math.max(100, options.stallMs / 3))
  )
  try {
    const result = await running
    if (stopped) {
      await stopped
      const line = [command, ...args].join(' ')
      throw new StalledError(
        `"${line}" made no progress for ${Math.round(options.stallMs / 1000)} s (no output, under 64 KiB read or written), so it was stopped`
      )
    }
    return result
  } finally {
    clearInterval(watch)
  }
}

/** rchar + wchar of every live process in the tree under `root`; undefined when /proc cannot tell. */
function bytesByProcess(root: number): Map<number, number> | undefined {
  const bytes = new Map<number, number>()
  for (const pid of processTree(root)) {
    let io: string
    try {
      io = fs.readFileSync(`/proc/${pid}/io`, 'utf8')
    } catch {
      if (pid === root) return undefined
      continue
    }
    const count = (name: string): number =>
      Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? 0)
    bytes.set(pid, count('rchar') + count('wchar'))
  }
  return bytes
}

/** Bytes read or written since the last look, by the processes then and new ones. */
function moved(before: Map<number, number> | undefined, now: Map<number, number>): number {
  let total = 0
  for (const [pid, count] of now) total += Math.max(0, count - (before?.get(pid) ?? 0))
  return total
}

/** `root` and its descendants, from the parent pids in /proc/<pid>/stat. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  let entries: string[] = []
  try {
    entries = fs.readdirSync('/proc').filter(entry => /^\d+$/.test(entry))
  } catch {
    return [root]
  }
  for (const entry of entries) {
    const parent = parentOf(Number(entry))
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(entry)])
  }
  const tree = [root]
  for (let index = 0; index < tree.length; index++) tree.push(...(children.get(tree[index]) ?? []))
  return tree
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (in parentheses) may hold spaces: fields start after its last ')'.
    const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(ppid)
  } catch {
    return undefined
  }
}

/** SIGTERM to the tree, SIGKILL to whatever of it still lives after the grace. */
async function stopTree(root: number): Promise<void> {
  const pids = processTree(root)
  signal(pids, 'SIGTERM')
  const deadline = Date.now() + STOP_GRACE_MS
  while (pids.some(alive) && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  signal(pids.filter(alive), 'SIGKILL')
}

function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name)
    } catch {
      // already gone
    }
  }
}

/** Running, not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}
