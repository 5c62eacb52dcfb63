import fs from 'node:fs'
import path from 'node:path'
import { InputError, messageOf } from '../errors.js'

/**
 * The keys of a product defaults file (the reference script's
 * `PRODUCT_DEFAULTS`) and the input each one gives a default for.
 */
export const DEFAULTS_KEYS = {
  REGISTRY: 'registry',
  IMAGES: 'images',
  SOURCE_PATH: 'source-path',
  SOURCE_TAG: 'source-tag',
  DESTINATION_TAG: 'destination-tag',
  CONTAINER_TOOL: 'container-tool',
  CHARTS: 'charts'
} as const

export type DefaultsKey = keyof typeof DEFAULTS_KEYS

/** Keys that take a list: a bash array `KEY=(a b)` or words separated by spaces or newlines. */
const LIST_KEYS: ReadonlySet<DefaultsKey> = new Set(['IMAGES', 'DESTINATION_TAG', 'CHARTS'])

/** One `KEY=VALUE` of a defaults file. */
export interface DefaultsEntry {
  key: DefaultsKey
  /** The action input (and long flag) it gives a default for. */
  input: (typeof DEFAULTS_KEYS)[DefaultsKey]
  /** The value; a list's entries are joined with newlines. */
  value: string
  /** 1-based line of the key, for messages. */
  line: number
}

const isKey = (name: string): name is DefaultsKey => Object.hasOwn(DEFAULTS_KEYS, name)

/**
 * Parses the text of a defaults file. The file is data, read the way bash
 * would read its assignments, but never run: `export`, quotes, comments,
 * blank lines and bash arrays are understood; `$VAR`, `$(...)` and other
 * shell syntax are refused rather than silently taken literally. `file`
 * names the file in every error, as `file:line`.
 */
export function parseDefaultsFile(text: string, file: string): DefaultsEntry[] {
  return new DefaultsParser(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'), file).entries()
}

/**
 * Reads and parses a defaults file. Relative `CHARTS` entries are resolved
 * against the file's folder, where the file's author meant them.
 */
export function readDefaultsFile(file: string): DefaultsEntry[] {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? messageOf(error)
    throw new InputError(
      `defaults-file "${file}" cannot be read (${reason}); give the path of a KEY=VALUE file, relative to ${process.cwd()}`
    )
  }
  const folder = path.dirname(path.resolve(file))
  return parseDefaultsFile(text, file).map(entry =>
    entry.key === 'CHARTS' ? { ...entry, value: resolveCharts(entry.value, folder) } : entry
  )
}

function resolveCharts(value: string, folder: string): string {
  return value
    .split(/[\s,]+/)
    .filter(entry => entry !== '')
    .map(entry => {
      // A glob's exclusion ("!pattern") keeps its "!" in front of the resolved path.
      const negated = entry.startsWith('!')
      const pattern = negated ? entry.slice(1) : entry
      const resolved = path.isAbsolute(pattern) ? pattern : path.join(folder, pattern)
      return negated ? `!${resolved}` : resolved
    })
    .join('\n')
}

class DefaultsParser {
  private pos = 0
  private line = 1

  constructor(
    private readonly text: string,
    private readonly file: string
  ) {}

  entries(): DefaultsEntry[] {
    const entries: DefaultsEntry[] = []
    const seen = new Map<DefaultsKey, number>()
    for (;;) {
      this.skipBlankAndComments()
      if (this.pos >= this.text.length) return entries
      const entry = this.assignment()
      const previous = seen.get(entry.key)
      if (previous !== undefined) {
        throw this.error(
          entry.line,
          `${entry.key} is set twice (lines ${previous} and ${entry.line}); keep one`
        )
      }
      seen.set(entry.key, entry.line)
      entries.push(entry)
    }
  }

  private assignment(): DefaultsEntry {
    const line = this.line
    const match = /(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)(\+?=)/y
    match.lastIndex = this.pos
    const found = match.exec(this.text)
    if (!found) {
      const rest = this.text.slice(this.pos).split('\n')[0].trim()
      const spaced = /^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s+\+?=/.test(rest)
      throw this.error(
        line,
        spaced
          ? `expected KEY=VALUE, found "${rest.slice(0, 60)}"; write no spaces around "="`
          : `expected KEY=VALUE, found "${rest.slice(0, 60)}"; the file is read as data, not run as a shell script`
      )
    }
    const [whole, name, operator] = found
    if (!isKey(name)) {
      const secret = /PASS|SECRET|TOKEN|USER/i.test(name)
        ? '; credentials never go in a defaults file (use the password input, --password-stdin or HARBOR_PASSWORD)'
        : ''
      throw this.error(
        line,
        `unknown key "${name}"; the keys are ${Object.keys(DEFAULTS_KEYS).join(', ')}${secret}`
      )
    }
    if (operator === '+=') {
      throw this.error(line, `"${name}+=" is not supported; give ${name} once, with every value`)
    }
    this.pos += whole.length
    const isList = this.text[this.pos] === '('
    if (isList && !LIST_KEYS.has(name)) {
      throw this.error(line, `${name} takes one value, not a list "(...)"`)
    }
    const value = isList ? this.array(name) : this.scalar()
    return { key: name, input: DEFAULTS_KEYS[name], value, line }
  }

  /** `(a "b c" d)`, possibly over several lines, with comments; entries joined by newlines. */
  private array(name: string): string {
    const start = this.line
    this.pos++ // (
    const words: string[] = []
    for (;;) {
      this.skipBlankAndComments()
      if (this.pos >= this.text.length) {
        throw this.error(start, `the list of ${name} is not closed with ")"`)
      }
      if (this.text[this.pos] === ')') {
        this.pos++
        this.endOfLine()
        return words.join('\n')
      }
      words.push(this.word(true))
    }
  }

  /** The rest of the line: quoted and unquoted parts, up to a comment. */
  private scalar(): string {
    const value = this.word(false)
    this.endOfLine()
    return value.trim()
  }

  /**
   * Quoted and unquoted parts glued together, as bash joins them. In a list,
   * a word ends at white space; a single value runs to the end of the line
   * (unquoted spaces kept, as env files do).
   */
  private word(inList: boolean): string {
    let value = ''
    while (this.pos < this.text.length) {
      const char = this.text[this.pos]
      if (char === '\n') break
      if (char === ' ' || char === '\t') {
        const rest = /[ \t]*/y
        rest.lastIndex = this.pos
        const spaces = rest.exec(this.text)?.[0] ?? ''
        const next = this.text[this.pos + spaces.length]
        if (inList || next === '#' || next === '\n' || next === undefined) break
        value += spaces
        this.pos += spaces.length
        continue
      }
      if (char === ')' && inList) break
      if (char === "'") value += this.singleQuoted()
      else if (char === '"') value += this.doubleQuoted()
      else if (char === '\\') value += this.escaped(true)
      else {
        this.refuseShellSyntax(char, false)
        value += char
        this.pos++
      }
    }
    return value
  }

  private singleQuoted(): string {
    const start = this.line
    const end = this.text.indexOf("'", this.pos + 1)
    if (end === -1) throw this.error(start, "a single quote (') is not closed")
    const value = this.text.slice(this.pos + 1, end)
    this.line += value.split('\n').length - 1
    this.pos = end + 1
    return value
  }

  private doubleQuoted(): string {
    const start = this.line
    this.pos++ // "
    let value = ''
    while (this.pos < this.text.length) {
      const char = this.text[this.pos]
      if (char === '"') {
        this.pos++
        return value
      }
      if (char === '\\') {
        value += this.escaped(false)
        continue
      }
      this.refuseShellSyntax(char, true)
      if (char === '\n') this.line++
      value += char
      this.pos++
    }
    throw this.error(start, 'a double quote (") is not closed')
  }

  /** A backslash: line continuation, or an escaped character (inside "..." only \ " $ ` escape). */
  private escaped(unquoted: boolean): string {
    const next = this.text[this.pos + 1]
    this.pos += 2
    if (next === undefined) return '\\'
    if (next === '\n') {
      this.line++
      return ''
    }
    if (unquoted || '\\"$`'.includes(next)) return next
    return `\\${next}`
  }

  private refuseShellSyntax(char: string, inDoubleQuotes: boolean): void {
    const refused = inDoubleQuotes ? '$`' : '$`;&|<>()'
    if (!refused.includes(char)) return
    const what =
      char === '$' || char === '`'
        ? `"${char}": variables and commands are not expanded (the file is data, not a shell script); write the value itself`
        : `"${char}" is shell syntax; put the value in quotes`
    throw this.error(this.line, what)
  }

  /** After a value: only white space and a comment may follow on its line. */
  private endOfLine(): void {
    const rest = /[ \t]*(#[^\n]*)?(\n|$)/y
    rest.lastIndex = this.pos
    const found = rest.exec(this.text)
    if (!found) {
      const extra = this.text.slice(this.pos).split('\n')[0].trim()
      throw this.error(this.line, `unexpected "${extra.slice(0, 60)}" after the value`)
    }
    this.pos += found[0].length
    if (found[2] === '\n') this.line++
  }

  private skipBlankAndComments(): void {
    const blank = /[ \t]*(#[^\n]*)?\n/y
    for (;;) {
      blank.lastIndex = this.pos
      const found = blank.exec(this.text)
      if (found) {
        this.pos += found[0].length
        this.line++
        continue
      }
      // The last line, without a newline.
      const last = /[ \t]*(#[^\n]*)?$/y
      last.lastIndex = this.pos
      const end = last.exec(this.text)
      if (end && this.pos + end[0].length === this.text.length) this.pos = this.text.length
      else {
        const spaces = /[ \t]*/y
        spaces.lastIndex = this.pos
        this.pos += spaces.exec(this.text)?.[0].length ?? 0
      }
      return
    }
  }

  private error(line: number, message: string): InputError {
    return new InputError(`defaults-file ${this.file}:${line}: ${message}`)
  }
}
