import { type Log, inertForRunner } from '../log.js'
import type { Status } from '../push/results.js'
import { redactUserinfo } from '../redact.js'

/** The part of a stream the command writes to (process.stdout, or a test's collector). */
export interface OutStream {
  write(text: string): unknown
  isTTY?: boolean
}

const STATUS_COLOR: Record<Status, string> = {
  pushed: '32', // green
  unchanged: '2', // dim
  skipped: '33', // yellow
  failed: '31' // red
}

/**
 * The command's terminal: the report on stdout, progress and messages on
 * stderr, so `--json` output stays parseable. Everything written goes
 * through `redact`: a secret this terminal was told about is printed as
 * `***`, whatever code path tried to print it. No workflow commands
 * (`::add-mask::`, `::group::`) are written outside GitHub Actions; inside
 * it, the secret forms are also handed to the runner's masking, on stderr.
 */
export class Terminal {
  private readonly secrets: string[] = []
  /** Lines already handed to the runner's masking. */
  private readonly masked = new Set<string>()

  constructor(
    private readonly stdout: OutStream,
    private readonly stderr: OutStream,
    private readonly env: Partial<Record<string, string>>
  ) {}

  /** Hides every later occurrence of `secret` in what this terminal prints. */
  addSecret(secret: string): void {
    if (!secret || this.secrets.includes(secret)) return
    this.secrets.push(secret)
    // Longest first, so a secret that contains another is hidden whole.
    this.secrets.sort((a, b) => b.length - a.length)
    if (this.env.GITHUB_ACTIONS === 'true') {
      for (const line of secret.split(/\r?\n/).filter(part => part.trim() !== '')) {
        if (this.masked.has(line)) continue
        this.masked.add(line)
        this.stderr.write(`::add-mask::${line}\n`)
      }
    }
  }

  redact(text: string): string {
    let result = text
    for (const secret of this.secrets) result = result.split(secret).join('***')
    return result
  }

  /** The report: stdout. */
  print(text: string): void {
    this.stdout.write(`${this.redact(text)}\n`)
  }

  /**
   * Progress and messages: stderr. Inside GitHub Actions the runner reads
   * stderr for workflow commands too: text from outside is kept inert.
   */
  note(text: string): void {
    const shown = redactUserinfo(this.redact(text))
    const lines = this.env.GITHUB_ACTIONS === 'true' ? inertForRunner([shown]) : [shown]
    this.stderr.write(`${lines.join('\n')}\n`)
  }

  /** Colours on a terminal, unless NO_COLOR or TERM=dumb says otherwise; FORCE_COLOR forces them. */
  colors(stream: 'stdout' | 'stderr'): boolean {
    const { FORCE_COLOR, NO_COLOR, TERM } = this.env
    if (FORCE_COLOR !== undefined && FORCE_COLOR !== '0') return true
    if (NO_COLOR !== undefined && NO_COLOR !== '') return false
    if (TERM === 'dumb') return false
    return this[stream].isTTY === true
  }

  paint(stream: 'stdout' | 'stderr', code: string, text: string): string {
    return this.colors(stream) ? `\u001b[${code}m${text}\u001b[0m` : text
  }

  paintStatus(stream: 'stdout' | 'stderr', status: Status, text: string = status): string {
    return this.paint(stream, STATUS_COLOR[status], text)
  }

  /** The core's Log, on stderr: progress lines while pushing, one block per finished push. */
  readonly log: Log = {
    info: message => this.note(message),
    warning: message => this.note(`${this.paint('stderr', '33', 'warning:')} ${message}`),
    group: (title, lines) => {
      const [first, ...rest] = title.split(' ')
      const status = first as Status
      const head = Object.hasOwn(STATUS_COLOR, first)
        ? [this.paintStatus('stderr', status), ...rest].join(' ')
        : title
      // The table at the end shows source, destination and digest; the
      // progress block keeps what only it has (errors, retries, notes).
      const extra = lines.filter(line => !/^(source|destination|digest):/.test(line))
      this.note([head, ...extra.map(line => `    ${line}`)].join('\n'))
    }
  }

  error(message: string): void {
    this.note(`${this.paint('stderr', '31', 'harbor-push:')} ${message}`)
  }

  /**
   * Text that library code (the actions toolkit behind charts: glob,
   * tool-cache) wrote to stdout, diverted here so that stdout holds the
   * report only. Its workflow commands are for a runner: inside GitHub
   * Actions they go on as they are (the runner reads stderr too); outside,
   * `::debug::` and the like are dropped and warnings become plain lines.
   */
  stray(text: string): void {
    for (const line of text.split(/\r?\n/)) {
      if (line === '') continue
      const command = /^::([A-Za-z-]+)(?: [^:]*)?::(.*)$/.exec(line)
      if (!command) {
        this.note(line)
        continue
      }
      if (this.env.GITHUB_ACTIONS === 'true') {
        // The toolkit's own commands (it escapes their data), for the runner to obey.
        this.stderr.write(`${redactUserinfo(this.redact(line))}\n`)
        continue
      }
      const [, name, message] = command
      if (name === 'warning' || name === 'error') this.note(`${name}: ${message}`)
      else if (name === 'notice' || name === 'group') this.note(message)
    }
  }
}

/** A stream whose `write` can be diverted (process.stdout). */
export interface DivertableStream {
  write: (...args: never[]) => boolean
}

/**
 * Sends every later `stream.write` to `sink` instead, until the returned
 * function is called; the caller keeps the original `write` for itself.
 */
export function divertWrites(stream: DivertableStream, sink: (text: string) => void): () => void {
  const original = stream.write
  const diverted = (chunk: unknown, ...rest: unknown[]): boolean => {
    sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString())
    const callback = rest.find(arg => typeof arg === 'function') as (() => void) | undefined
    if (callback) process.nextTick(callback)
    return true
  }
  stream.write = diverted
  return () => {
    stream.write = original
  }
}
