import { randomUUID } from 'node:crypto'

/**
 * Where the core reports progress. The action prints through @actions/core;
 * tests collect lines. Keeping the core off @actions/core directly lets the
 * same core serve other front ends.
 */
export interface Log {
  info(message: string): void
  warning(message: string): void
  /** Prints lines as one collapsible group, in one piece, so parallel work never interleaves. */
  group(title: string, lines: string[]): void
}

/**
 * Lines that a GitHub runner shows and never obeys. The runner reads any
 * output line that starts with `::` (after white space) as a workflow
 * command, and any line holding `##[` as one in the old syntax: text from
 * outside (registry answers, tool output) could end the step with its own
 * `::error::`, save state the post step trusts, or stop masking. When a
 * line could be read so, the block is fenced with `::stop-commands::` and a
 * token nobody outside can know, which switches every command off until
 * the token comes back: nothing needs escaping, and the text is shown as
 * it came.
 */
export function inertForRunner(lines: string[], token = `hp-${randomUUID()}`): string[] {
  if (!lines.some(line => /::|##\[/.test(line))) return lines
  return [`::stop-commands::${token}`, ...lines, `::${token}::`]
}
