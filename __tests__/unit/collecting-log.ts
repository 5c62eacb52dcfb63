import type { Log } from '../../src/log.js'

/** A Log that keeps what it is told: info and group lines (group lines after `indent`), and warnings. */
export function collectingLog(indent = '  '): Log & { lines: string[]; warnings: string[] } {
  const lines: string[] = []
  const warnings: string[] = []
  return {
    lines,
    warnings,
    info: message => lines.push(message),
    warning: message => warnings.push(message),
    group: (title, groupLines) => lines.push(title, ...groupLines.map(line => `${indent}${line}`))
  }
}
