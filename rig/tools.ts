/** Small helpers shared by the integration-test rig: tools on PATH, free ports, commands. */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

/**
 * Absolute path of `name` on PATH. A missing tool always throws (never a skip): in CI that is a
 * failure, and by hand the message says what to install.
 */
export function requireTool(name: string, install: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue
    const candidate = path.join(dir, name)
    try {
      const stat = fs.statSync(candidate)
      if (!stat.isFile()) continue
      fs.accessSync(candidate, fs.constants.X_OK)
      return path.resolve(candidate)
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} is not installed: ${install}`)
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('could not read the port of a listening socket'))
        return
      }
      const { port } = address
      server.close(err => (err ? reject(err) : resolve(port)))
    })
  })
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  env?: Record<string, string>
  /** Resolve with the exit code instead of throwing when the command fails. */
  allowFailure?: boolean
  timeoutMs?: number
}

/** Runs a command without a shell; throws with its output when it fails (unless allowFailure). */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: { ...process.env, ...opts.env },
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8'
      },
      (error, stdout, stderr) => {
        let code = 0
        if (error) code = typeof error.code === 'number' ? error.code : 1
        const result: RunResult = { code, stdout, stderr }
        if (error && !opts.allowFailure) {
          reject(
            new Error(
              `${[file, ...args].join(' ')} failed (${error.message.split('\n')[0]})\n` +
                `stdout: ${stdout}\nstderr: ${stderr}`
            )
          )
          return
        }
        resolve(result)
      }
    )
  })
}

/**
 * Live processes whose command line mentions `text` (for example a rig's temp dir). Zombies have
 * an empty command line and are not listed.
 */
export function processesMentioning(text: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let cmdline: string
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()
    } catch {
      continue
    }
    if (cmdline.includes(text)) found.push({ pid: Number(entry), cmdline })
  }
  return found
}

/** Mount points at or below `dir`, deepest first (from /proc/mounts). */
export function mountsUnder(dir: string): string[] {
  const root = path.resolve(dir)
  const mounts = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map(line => line.split(' ')[1])
    .filter((m): m is string => m !== undefined && m !== '')
    // /proc/mounts escapes spaces and the like as octal sequences
    .map(m =>
      m.replace(/\\([0-7]{3})/g, (_s, oct: string) => String.fromCharCode(parseInt(oct, 8)))
    )
    .filter(m => m === root || m.startsWith(root + '/'))
  return mounts.sort((a, b) => b.length - a.length)
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 100
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() >= deadline) return false
    await sleep(intervalMs)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

export interface ServerProcess {
  child: ChildProcess
  pid: number
  /** stdout and stderr interleaved, the last few MiB. */
  logs(): string
  hasExited(): boolean
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process has exited. */
  stop(graceMs: number): Promise<void>
}

const LOG_LIMIT = 4 * 1024 * 1024

/** Starts a long-running server (not detached) and captures its output for error messages. */
export function spawnServer(
  file: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {}
): ServerProcess {
  const child = spawn(file, args, {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    detached: false,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let log = ''
  const append = (chunk: Buffer): void => {
    log += chunk.toString('utf8')
    if (log.length > LOG_LIMIT) log = log.slice(log.length - LOG_LIMIT)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  let done = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => {
    child.on('exit', (code, signal) => {
      done = true
      resolve({ code, signal })
    })
    child.on('error', err => {
      append(Buffer.from(`\nspawn ${file} failed: ${err.message}\n`))
      if (child.pid === undefined) {
        done = true
        resolve({ code: null, signal: null })
      }
    })
  })
  const stop = async (graceMs: number): Promise<void> => {
    if (done) return
    child.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>(resolve => {
      timer = setTimeout(() => resolve('timeout'), graceMs)
    })
    const first = await Promise.race([exited, timedOut])
    clearTimeout(timer)
    if (first === 'timeout' && !done) {
      child.kill('SIGKILL')
      await exited
    }
  }
  return {
    child,
    pid: child.pid ?? -1,
    logs: () => log,
    hasExited: () => done,
    exited,
    stop
  }
}
