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
