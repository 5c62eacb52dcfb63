import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'

/** A tool that ran to its end: what it printed and how it ended. */
export interface ExitedTool {
  exitCode: number
  stdout: string
  stderr: string
}

export interface SpawnOptions {
  /** Written to stdin, which is then closed. */
  input?: string
  /** The whole environment of the tool. */
  env?: NodeJS.ProcessEnv
  /** Still start it once the tools were stopped: the clean-up's own commands. */
  afterStop?: boolean
  /** Kill it (and its helpers) when it has not ended after this long. */
  limitMs?: number
  /** Told the tool's process once started, to watch it (stall-watch.ts). */
  onSpawn?: (child: ChildProcessWithoutNullStreams) => void
}

/**
 * Every tool runs as the leader of a process group of its own, so stopping it
 * stops what it started too (podman's re-executed child in its user
 * namespace, a credential helper); a stopped run must leave nothing that
 * could write a login into a folder after the folder was removed. The groups
 * still running are known here, and told to one listener (the action saves
 * them for its post step, which outlives a killed main step).
 */
const running = new Map<number, ToolGroup>()
const WINDOWS = process.platform === 'win32'
let listener: (groups: ToolGroup[]) => void = () => undefined
/** The stop under way, once the run is being stopped: from then on only clean-up tools start. */
let stopping: Promise<number[]> | undefined

/** A tool's process group, as saved for a clean-up in another process. */
export interface ToolGroup {
  /** The group's number: the pid of the tool that leads it. */
  id: number
  /**
   * When that tool started (Linux: clock ticks since boot), so that a later
   * process given the same pid is never taken for it.
   */
  started?: number
}

/** Tells `listen` the process groups still running whenever that changes. */
export function onRunningGroups(listen: (groups: ToolGroup[]) => void): void {
  listener = listen
}

function changed(): void {
  listener([...running.values()])
}

/** After exit, how long the output pipes may stay open (held by a helper that outlives the tool). */
const CLOSE_GRACE_MS = 10_000

/** Runs `command` to its end in a process group of its own; never through a shell. */
export function spawnTool(
  command: string,
  args: string[],
  options: SpawnOptions = {}
): Promise<ExitedTool> {
  if (stopping && !options.afterStop) {
    return Promise.reject(new Error(`"${command}" was not started: the run is being stopped`))
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // POSIX: a session and process group of its own. Windows has no groups
      // (detached there means a console of its own): the tool alone is stopped.
      detached: !WINDOWS
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    // The clean-up's own tools are not the run's: no stop is for them (their time limit is).
    const group = options.afterStop ? undefined : child.pid
    if (group !== undefined) {
      running.set(group, { id: group, started: startTime(group) })
      changed()
    }
    let limit: NodeJS.Timeout | undefined
    let closeGrace: NodeJS.Timeout | undefined
    const pid = child.pid
    if (options.limitMs !== undefined && pid !== undefined) {
      limit = setTimeout(() => signalGroup(pid, 'SIGKILL'), options.limitMs)
    }
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
    let settled = false
    const finish = (error?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(limit)
      clearTimeout(closeGrace)
      if (group !== undefined && running.delete(group)) changed()
      if (error) {
        reject(error)
        return
      }
      const signal = exit?.signal
      resolve({
        exitCode: exit?.code ?? 128 + (signal ? os.constants.signals[signal] : 0),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8')
      })
    }
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', error =>
      finish(
        new Error(
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? `"${command}" was not found on PATH; install it or put it on PATH`
            : `"${command}" could not be started: ${error.message}`
        )
      )
    )
    child.on('exit', (code, signal) => {
      exit = { code, signal }
      closeGrace = setTimeout(() => finish(), CLOSE_GRACE_MS)
    })
    child.on('close', (code, signal) => {
      exit ??= { code, signal }
      finish()
    })
    options.onSpawn?.(child)
    // A tool that exits before reading its stdin is its own failure, reported by its exit code.
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input === undefined ? undefined : Buffer.from(options.input))
  })
}

/**
 * Stops every tool this process started and the groups in `others` (saved by
 * a main step that was killed), and waits until none of them runs: SIGTERM,
 * then SIGKILL for what is left after `graceMs`. From then on no tool is
 * started but the clean-up's own. Resolves with the groups that still ran
 * after `limitMs` (none, unless a process hangs in the kernel).
 */
export async function stopTools(
  others: ToolGroup[] = [],
  limits: StopLimits = {}
): Promise<number[]> {
  const stillTheirs = others.filter(group => !reused(group)).map(group => group.id)
  stopping = stopGroups([...running.keys(), ...stillTheirs], limits)
  return stopping
}

/**
 * Stops the tools of this process that are still running, as stopTools does,
 * but lets new ones start (and does nothing while a stop is under way): for a run that ends while a tool it no longer
 * waits for still runs (a failure elsewhere cut the wait short), before the
 * folder that tool writes into is removed.
 */
export async function stopStrayTools(limits: StopLimits = {}): Promise<number[]> {
  // Once the run is being stopped, the stop does this: wait for it (its clean-up's own tools are not stray).
  if (stopping) return stopping
  return stopGroups([...running.keys()], limits)
}

/**
 * Whether the pid that led `group` now belongs to a later process. The
 * system gives a pid again only once no process uses it as its group, so the
 * saved group has then ended. (A leader gone while others of its group live
 * on: nothing to compare, and the group is still the saved one.)
 */
function reused(group: ToolGroup): boolean {
  if (group.started === undefined) return false
  const now = startTime(group.id)
  return now !== undefined && now !== group.started
}

/** When process `pid` started (Linux: /proc/<pid>/stat field 22), if that can be read. */
function startTime(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // After "pid (comm) ", field 3 (state) is at index 0: field 22 at index 19.
    const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    return Number.isFinite(value) ? value : undefined
  } catch {
    return undefined
  }
}

export interface StopLimits {
  /** From SIGTERM to SIGKILL. */
  graceMs?: number
  /** From SIGKILL to giving up. */
  limitMs?: number
}

async function stopGroups(
  all: number[],
  { graceMs = 2_000, limitMs = 10_000 }: StopLimits
): Promise<number[]> {
  const groups = [...new Set(all)].filter(group => group > 1)
  if (groups.length === 0) return []
  for (const group of groups) signalGroup(group, 'SIGTERM')
  let alive = await waitGone(groups, graceMs)
  for (const group of alive) signalGroup(group, 'SIGKILL')
  alive = await waitGone(alive, limitMs)
  return alive
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(WINDOWS ? group : -group, signal)
  } catch {
    // gone already, or not ours to signal
  }
}

async function waitGone(groups: number[], limitMs: number): Promise<number[]> {
  const deadline = Date.now() + limitMs
  let alive = liveGroups(groups)
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 50))
    alive = liveGroups(alive)
  }
  return alive
}

/**
 * The groups of `groups` that still have a process that can act. On Linux a
 * zombie (dead, waiting for its parent to collect it) does not count: an
 * orphan's zombie may wait for an init that is slow to reap it.
 */
function liveGroups(groups: number[]): number[] {
  const exists = groups.filter(group => {
    try {
      process.kill(WINDOWS ? group : -group, 0)
      return true
    } catch {
      // ESRCH: gone; EPERM: the id went to someone else's processes, not ours to wait for
      return false
    }
  })
  if (exists.length === 0 || process.platform !== 'linux') return exists
  const acting = new Set<number>()
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (state !== 'Z' && state !== 'X') acting.add(Number(pgrp))
  }
  return exists.filter(group => acting.has(group))
}
