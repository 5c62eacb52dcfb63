import fs from 'node:fs'
import path from 'node:path'
import { secretForms } from '../credentials/secrets.js'
import { InputError, messageOf } from '../errors.js'
import { type RunHooks, harborPush } from '../push/harbor-push.js'
import { beingStopped, cleanUpOnSignals, trackLeftovers } from '../push/leftovers.js'
import {
  type Report,
  countLine,
  failureList,
  subjectChecksumsOf,
  subjectChecksumsText
} from '../push/results.js'
import { loadSettings } from '../settings/load.js'
import { type RawInputs, withoutFinalNewline } from '../settings/parse.js'
import { parseCommandLine, usage } from './args.js'
import { withHarborVariables } from './harbor-variables.js'
import { reportJson, reportTable } from './report.js'
import { type OutStream, Terminal } from './terminal.js'

/** Exit statuses of the command (DESIGN.md, "Command line"). */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const

/** What the command reads and writes: the process's own streams, or a test's. */
export interface CliIo {
  stdin: AsyncIterable<Buffer | string> & { isTTY?: boolean }
  stdout: OutStream
  stderr: OutStream
  env: Partial<Record<string, string>>
  /**
   * Diverts what other code writes to the real stdout into `sink` until the
   * returned function is called; `stdout` above must stay undiverted.
   */
  divertStdout?: (sink: (text: string) => void) => () => void
}

/**
 * The command, start to end; the one error boundary of the command line.
 * argv → raw inputs by their action.yml name → the same loadSettings and
 * harborPush as the action → the report on stdout. Returns the exit status:
 * 0 everything pushed, 1 a push or the login failed, 2 bad input.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  hooks: RunHooks = {}
): Promise<number> {
  const terminal = new Terminal(io.stdout, io.stderr, io.env)
  const restoreStdout = io.divertStdout?.(text => terminal.stray(text))
  try {
    const args = parseCommandLine(argv)
    if (args.help) {
      terminal.print(usage())
      return EXIT.ok
    }
    if (argv.length === 0) {
      terminal.note(usage())
      return EXIT.badInput
    }
    if (args.passwordStdin && args.sourcePasswordStdin) {
      throw new InputError(
        '--password-stdin and --source-password-stdin were both given, and standard input holds one secret: pipe one of them, and set the other in its variable (HARBOR_PASSWORD or HARBOR_SOURCE_PASSWORD)'
      )
    }
    const password = await readSecret(args.passwordStdin, DESTINATION_SECRET, io, terminal)
    const sourcePassword = await readSecret(args.sourcePasswordStdin, SOURCE_SECRET, io, terminal)
    const raw = withHarborVariables(
      { ...args.inputs, password, 'source-password': sourcePassword },
      io.env,
      terminal.log,
      { passwordStdin: args.passwordStdin }
    )
    checkCredentialsPaired(raw, args.passwordStdin ? '--password-stdin' : 'HARBOR_PASSWORD')
    checkSourceCredentialsPaired(
      raw,
      args.sourcePasswordStdin ? '--source-password-stdin' : 'HARBOR_SOURCE_PASSWORD'
    )
    const settings = loadSettings(
      raw,
      message => terminal.log.warning(message),
      message => terminal.log.info(message)
    )
    // The auth files hold base64(user:password): hide that form too.
    if (settings.credentials) secretForms(settings.credentials).forEach(s => terminal.addSecret(s))
    if (settings.sourceCredentials) {
      secretForms(settings.sourceCredentials).forEach(s => terminal.addSecret(s))
    }

    if (args.subjectChecksums) checkWritable(args.subjectChecksums)

    const report = await harborPush(settings, terminal.log, hooks)
    if (beingStopped()) return EXIT.failed
    if (args.json) terminal.print(reportJson(report))
    else if (settings.summary) terminal.print(reportTable(report, terminal))
    else terminal.print(countLine([...report.images, ...report.charts]))
    if (args.subjectChecksums) writeSubjectChecksums(args.subjectChecksums, report)
    const failures = failureList(report)
    if (failures) {
      terminal.error(failures)
      return EXIT.failed
    }
    return EXIT.ok
  } catch (error) {
    // The tools were stopped under it: the signal's handler says so, not this.
    if (beingStopped()) return EXIT.failed
    if (error instanceof InputError) {
      terminal.error(`invalid input: ${messageOf(error)}`)
      return EXIT.badInput
    }
    terminal.error(messageOf(error))
    return EXIT.failed
  } finally {
    restoreStdout?.()
  }
}

/** Where one secret comes from: its stdin flag and its variable. */
interface SecretSource {
  flag: string
  variable: string
}

const DESTINATION_SECRET: SecretSource = { flag: '--password-stdin', variable: 'HARBOR_PASSWORD' }
const SOURCE_SECRET: SecretSource = {
  flag: '--source-password-stdin',
  variable: 'HARBOR_SOURCE_PASSWORD'
}

/**
 * A secret: its stdin flag, else its variable, else none. Never a flag value
 * (parseCommandLine refuses `--password` and `--source-password`). The
 * terminal is told every form before anything else can print it.
 */
async function readSecret(
  fromStdin: boolean,
  { flag, variable }: SecretSource,
  io: CliIo,
  terminal: Terminal
): Promise<string> {
  const fromEnv = io.env[variable] ?? ''
  terminal.addSecret(fromEnv)
  terminal.addSecret(fromEnv.trim())
  if (!fromStdin) return fromEnv
  if (fromEnv) terminal.log.warning(`${variable} is ignored: ${flag} was given`)
  if (io.stdin.isTTY) {
    throw new InputError(
      `${flag} reads the secret from a pipe or a file, and standard input is a terminal: run e.g. printf %s "$HARBOR_CLI_SECRET" | harbor-push ${flag} ..., or set ${variable}`
    )
  }
  let text = ''
  for await (const chunk of io.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString()
  terminal.addSecret(text)
  // One final newline is not part of the secret; spaces are (settings check the rest).
  const secret = withoutFinalNewline(text)
  terminal.addSecret(secret)
  terminal.addSecret(secret.trim())
  if (!secret.trim()) {
    throw new InputError(
      `${flag}: standard input was empty; pipe the secret, e.g. printf %s "$HARBOR_CLI_SECRET" | harbor-push ${flag} ...`
    )
  }
  return secret
}

/**
 * Bad input before anything is pushed: `--subject-checksums` names a file in
 * a folder that exists and may be written, and not a folder itself.
 */
function checkWritable(file: string): void {
  const folder = path.dirname(path.resolve(file))
  try {
    fs.accessSync(folder, fs.constants.W_OK)
  } catch {
    throw new InputError(
      `--subject-checksums "${file}": the folder "${folder}" does not exist or may not be written; create it or name a file elsewhere`
    )
  }
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new InputError(`--subject-checksums "${file}" is a folder; name a file`)
  }
}

/**
 * `--subject-checksums FILE`: the same lines as the action's
 * `subject-checksums` file, written even when empty, so a file from an
 * earlier run never passes for this one's.
 */
function writeSubjectChecksums(file: string, report: Report): void {
  try {
    fs.writeFileSync(file, subjectChecksumsText(subjectChecksumsOf(report)))
  } catch (error) {
    throw new Error(`--subject-checksums "${file}" could not be written: ${messageOf(error)}`)
  }
}

/** The command's words for a login half given (the action's name inputs the command has no flag for). */
function checkCredentialsPaired(raw: RawInputs, secretFrom: string): void {
  const username = (raw.username ?? '').trim()
  const password = (raw.password ?? '').trim()
  if (password && !username) {
    throw new InputError(
      `a secret was given (${secretFrom}) but no -u/--username and no HARBOR_USERNAME: give the Harbor user or the robot account (robot$<project>+<name>) with -u, or set HARBOR_USERNAME`
    )
  }
  if (username && !password) {
    throw new InputError(
      `-u/--username "${username}" was given without a secret: pipe the CLI secret to --password-stdin, or set HARBOR_PASSWORD`
    )
  }
}

/** The same for the login of `docker://` sources. */
function checkSourceCredentialsPaired(raw: RawInputs, secretFrom: string): void {
  const username = (raw['source-username'] ?? '').trim()
  const password = (raw['source-password'] ?? '').trim()
  if (password && !username) {
    throw new InputError(
      `a source secret was given (${secretFrom}) but no --source-username: give the user or robot account of the source registry with --source-username`
    )
  }
  if (username && !password) {
    throw new InputError(
      `--source-username "${username}" was given without a secret: pipe the source registry's secret to --source-password-stdin, or set HARBOR_SOURCE_PASSWORD`
    )
  }
}

/**
 * What the action's post step does for a killed main step, done at once:
 * on Ctrl-C (or SIGTERM, SIGHUP) the tools still running are stopped and
 * waited for, then docker's temporary tags are put back and the private
 * login and a CA file placed for docker removed, before the command exits.
 * Returns the hooks that tell it what there is to clean up.
 */
export function cleanupOnSignals(stderr: OutStream): RunHooks {
  const leftovers = trackLeftovers()
  cleanUpOnSignals(
    leftovers.current,
    message => stderr.write(`harbor-push: ${message}\n`),
    (signal, status) => {
      stderr.write(`harbor-push: stopped by ${signal}; the private login was removed\n`)
      process.exit(status)
    }
  )
  return leftovers.hooks
}
