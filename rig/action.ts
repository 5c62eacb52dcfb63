/**
 * Runs the bundled action the way a runner does: the main step action.yml
 * names (`dist/index.js`) with INPUT_* variables, GITHUB_OUTPUT /
 * GITHUB_STATE / GITHUB_STEP_SUMMARY files and a RUNNER_TEMP, in a HOME of
 * its own; then the post step action.yml names (`dist/post/index.js`) with
 * the saved state.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from '@jest/globals'
import { actionStep } from './action-yml.js'
import { parseCommandFile } from './command-file.js'
import { exitWithin } from './limit.js'

/**
 * The node that runs the bundle: HP_TEST_NODE (Node 24, what `runs.using:
 * node24` means) when set, which .ci/run always does; else this node.
 */
export function bundleNode(): string {
  const node = process.env.HP_TEST_NODE
  if (node) return node
  if (process.env.CI === 'true') {
    throw new Error(
      'HP_TEST_NODE is not set: in CI the bundle must run under Node 24 (.ci/run sets it)'
    )
  }
  return process.execPath
}

/** One runner "job": the folders a step sees. Remove with `dispose()`. */
export class RunnerJob {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-job-'))
  readonly home = path.join(this.root, 'home')
  readonly runnerTemp = path.join(this.root, 'runner-temp')
  readonly outputFile = path.join(this.root, 'output')
  readonly stateFile = path.join(this.root, 'state')
  readonly summaryFile = path.join(this.root, 'summary')
  /**
   * What the steps so far exported (GITHUB_ENV), as the runner hands it to
   * every later step of the job, post steps included. The rig's own `env`
   * wins over it, as a workflow's `env:` does.
   */
  readonly exported: Record<string, string> = {}
  private envFiles = 0

  constructor(
    /** Added to every step's environment (e.g. DOCKER_HOST, a PATH with shims). */
    readonly env: Record<string, string> = {},
    /**
     * A command the steps run under, ending in the argv it runs (e.g. unshare
     * with a private mount namespace); the step's node is still the process
     * the rig holds, so the wrapper must exec it.
     */
    readonly wrapper: string[] = []
  ) {
    for (const dir of [this.home, this.runnerTemp]) fs.mkdirSync(dir, { recursive: true })
    for (const file of [this.outputFile, this.stateFile, this.summaryFile])
      fs.writeFileSync(file, '')
  }

  /** Starts the main step; `wait()` the result, or kill it to play a runner that died. */
  start(inputs: Record<string, string>): StepRun {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: this.home,
      RUNNER_TEMP: this.runnerTemp,
      GITHUB_OUTPUT: this.outputFile,
      GITHUB_STATE: this.stateFile,
      GITHUB_STEP_SUMMARY: this.summaryFile,
      GITHUB_ENV: this.newEnvFile(),
      GITHUB_ACTIONS: 'true',
      ...this.exported,
      ...this.env
    }
    for (const [name, value] of Object.entries(inputs)) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
    }
    return new StepRun(this.spawnStep('main', env))
  }

  /** Runs the main step to its end. */
  async main(inputs: Record<string, string>): Promise<StepResult> {
    const step = this.start(inputs)
    const result = await step.wait()
    this.takeExports()
    return {
      ...result,
      outputs: this.outputs(),
      summary: fs.readFileSync(this.summaryFile, 'utf8')
    }
  }

  /** Runs the post step with the state the main step saved, as the runner does (STATE_*). */
  async post(): Promise<StepResult> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: this.home,
      RUNNER_TEMP: this.runnerTemp,
      GITHUB_ENV: this.newEnvFile(),
      GITHUB_ACTIONS: 'true',
      ...this.exported,
      ...this.env
    }
    for (const [name, value] of Object.entries(parseCommandFile(this.stateFile))) {
      env[`STATE_${name}`] = value
    }
    const result = await new StepRun(this.spawnStep('post', env)).wait()
    this.takeExports()
    return { ...result, outputs: {}, summary: '' }
  }

  /** The last step's GITHUB_ENV file: what that step exported, in the runner's file format. */
  lastEnvFile(): string {
    return path.join(this.root, `env-${this.envFiles}`)
  }

  /** Each step gets a GITHUB_ENV file of its own, read after it ends, as the runner does. */
  private newEnvFile(): string {
    this.envFiles++
    fs.writeFileSync(this.lastEnvFile(), '')
    return this.lastEnvFile()
  }

  private takeExports(): void {
    Object.assign(this.exported, parseCommandFile(this.lastEnvFile()))
  }

  private spawnStep(step: 'main' | 'post', env: Record<string, string>): ChildProcess {
    const [command, ...args] = [...this.wrapper, bundleNode(), actionStep(step)]
    return spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  }

  outputs(): Record<string, string> {
    return parseCommandFile(this.outputFile)
  }

  state(): Record<string, string> {
    return parseCommandFile(this.stateFile)
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true })
  }
}

export interface StepResult {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
}

export class StepRun {
  private stdout = ''
  private stderr = ''
  private readonly exited: Promise<number>

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()))
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise(resolve => child.on('close', code => resolve(code ?? -1)))
  }

  output(): string {
    return this.stdout + this.stderr
  }

  /** SIGKILL the step and everything it started (its process group), like a cancelled job. */
  async kill(): Promise<void> {
    if (this.child.pid) process.kill(-this.child.pid, 'SIGKILL')
    await this.exited
  }

  /** Sends `signal` to the step's own process only, as the runner does when it cancels a step. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  /**
   * SIGKILL the step's own process only, as GitHub's runner does when a
   * cancelled step ignores SIGINT and SIGTERM: what the step started lives on.
   */
  killMainOnly(): void {
    this.child.kill('SIGKILL')
  }

  /** The step's result once it exits; a step stuck past PROCESS_LIMIT_MS is killed and fails the test. */
  async wait(): Promise<Omit<StepResult, 'outputs' | 'summary'>> {
    const code = await exitWithin(
      this.exited,
      () => this.kill(),
      () => this.output()
    )
    return { code, stdout: this.stdout, stderr: this.stderr }
  }
}

/** Fails the test unless the step exited with `code`, showing the step's log when it did not. */
export function expectExit(
  result: Pick<StepResult, 'code' | 'stdout' | 'stderr'>,
  code: number
): void {
  if (result.code !== code) {
    throw new Error(
      `the step exited ${result.code}, not ${code}; its log:\n${result.stdout}${result.stderr}`
    )
  }
  expect(result.code).toBe(code)
}

/** The `images` output as objects. */
export interface ImageOutput {
  source: string
  destination: string
  digest: string
  status: string
}

export function imagesOutput(outputs: Record<string, string>): ImageOutput[] {
  return JSON.parse(outputs.images ?? '[]') as ImageOutput[]
}

/** The file a step leaves in RUNNER_TEMP on purpose: its `subject-checksums` output, for an attest step after it. */
export const SUBJECT_CHECKSUMS_FILE = /^harbor-push-subject-checksums-[0-9a-f]{12}\.txt$/

/** What a RUNNER_TEMP holds besides subject-checksums files: nothing, once a step has ended. */
export function tempLeftovers(runnerTemp: string): string[] {
  return fs.readdirSync(runnerTemp).filter(name => !SUBJECT_CHECKSUMS_FILE.test(name))
}

/** Every file below `dir` whose content contains one of `needles`. */
export function filesContaining(dir: string, needles: string[]): string[] {
  const found: string[] = []
  if (!fs.existsSync(dir)) return found
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    const content = fs.readFileSync(file, 'utf8')
    if (needles.some(needle => content.includes(needle))) found.push(file)
  }
  return found
}
