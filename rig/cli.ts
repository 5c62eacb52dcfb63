/**
 * Runs the bundled command (`dist/cli/index.js`) the way a shell or another
 * CI system does: plain `node`, argv, stdin, a HOME and a TMPDIR of its own,
 * and none of GitHub's variables (unless a test adds them).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { bundleNode } from './action.js'
import { exitWithin } from './limit.js'

export const CLI_BUNDLE = path.resolve(import.meta.dirname, '../dist/cli/index.js')

export interface CommandResult {
  code: number
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Wall time in milliseconds. */
  ms: number
}

/** One shell session: the folders the command sees. Remove with `dispose()`. */
export class CommandJob {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-cli-job-'))
  readonly home = path.join(this.root, 'home')
  /** TMPDIR: where the command makes its private directory. */
  readonly tmp = path.join(this.root, 'tmp')

  constructor(
    /** Added to every run's environment (e.g. a PATH with shims). */
    readonly env: Record<string, string> = {}
  ) {
    for (const dir of [this.home, this.tmp]) fs.mkdirSync(dir, { recursive: true })
  }

  /** Starts the command; write `stdin` to it and close it. */
  start(
    args: string[],
    { stdin, env = {} }: { stdin?: string; env?: Record<string, string> } = {}
  ): CommandRun {
    const child = spawn(bundleNode(), [CLI_BUNDLE, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: this.home, TMPDIR: this.tmp, ...this.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true
    })
    child.stdin?.end(stdin ?? '')
    return new CommandRun(child)
  }

  /** Runs the command to its end. */
  run(
    args: string[],
    options: { stdin?: string; env?: Record<string, string> } = {}
  ): Promise<CommandResult> {
    return this.start(args, options).wait()
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true })
  }
}

export class CommandRun {
  private stdout = ''
  private stderr = ''
  private readonly started = Date.now()
  private readonly exited: Promise<{ code: number; signal: NodeJS.Signals | null }>

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise(resolve =>
      child.on('close', (code, signal) => resolve({ code: code ?? -1, signal }))
    )
  }

  output(): string {
    return this.stdout + this.stderr
  }

  /** Sends `signal` to the command only (not its children), as `kill <pid>` does. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  /** Kills whatever the command left running (its process group). */
  killGroup(): void {
    try {
      if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }

  /** The command's result once it exits; one stuck past PROCESS_LIMIT_MS is killed and fails the test. */
  async wait(): Promise<CommandResult> {
    const { code, signal } = await exitWithin(
      this.exited,
      () => this.killGroup(),
      () => this.output()
    )
    return { code, signal, stdout: this.stdout, stderr: this.stderr, ms: Date.now() - this.started }
  }
}

/** Fails the test unless the command exited with `code`, showing its output when it did not. */
export function expectStatus(result: CommandResult, code: number): void {
  if (result.code !== code) {
    throw new Error(
      `the command exited ${result.code}, not ${code}; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`
    )
  }
}

/** The `--json` report. */
export interface JsonReport {
  images: { source: string; destination: string; digest: string; status: string }[]
  charts: unknown[]
  refs: string[]
  subjectChecksums: string[]
  counts: Record<'pushed' | 'unchanged' | 'skipped' | 'failed', number>
  failures: { reference: string; error: string }[]
}

export function jsonReport(result: CommandResult): JsonReport {
  return JSON.parse(result.stdout) as JsonReport
}
