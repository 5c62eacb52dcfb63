/**
 * PATH shims that record every argv a tool is called with, then run the real
 * tool: the proof that a secret never reaches a command line.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { requireTool } from './tools.js'

export interface Shims {
  /** Put first on PATH. */
  dir: string
  /** Everything recorded: one line per call, the argv joined with spaces. */
  calls(): string[]
  dispose(): void
}

/**
 * Shims for `tools`. With HP_SHIM_HANG_ON=<subcommand> in the environment a
 * shim sleeps before running that subcommand, so a test can kill the step
 * mid-way at a known point.
 */
export function makeShims(tools: string[]): Shims {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-shims-'))
  const log = path.join(dir, 'calls.log')
  fs.writeFileSync(log, '')
  for (const tool of tools) {
    const real = requireTool(tool, `apt-get install -y ${tool}`)
    const script = [
      '#!/bin/bash',
      `printf '%s\\n' "${tool} $*" >> '${log}'`,
      'if [[ -n "$HP_SHIM_HANG_ON" && "$1" == "$HP_SHIM_HANG_ON" ]]; then sleep 120; fi',
      `exec '${real}' "$@"`
    ].join('\n')
    fs.writeFileSync(path.join(dir, tool), `${script}\n`, { mode: 0o755 })
  }
  return {
    dir,
    calls: () =>
      fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(line => line !== ''),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}
