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
  /** Start and end time (ms) of every call whose first argument is `subcommand`. */
  spans(subcommand: string): { start: number; end: number }[]
  dispose(): void
}

/**
 * Shims for `tools`. With HP_SHIM_HANG_ON=<subcommand> in the environment a
 * shim sleeps before running that subcommand, so a test can kill the step
 * mid-way at a known point. `real` names the binary a shim runs when it is
 * not the one on PATH (e.g. one of several helm versions).
 */
export function makeShims(tools: string[], real: Record<string, string> = {}): Shims {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-shims-'))
  const log = path.join(dir, 'calls.log')
  const times = path.join(dir, 'times.log')
  fs.writeFileSync(log, '')
  fs.writeFileSync(times, '')
  for (const tool of tools) {
    const binary = real[tool] ?? requireTool(tool, `apt-get install -y ${tool}`)
    const script = [
      '#!/bin/bash',
      `printf '%s\\n' "${tool} $*" >> '${log}'`,
      'if [[ -n "$HP_SHIM_HANG_ON" && "$1" == "$HP_SHIM_HANG_ON" ]]; then sleep 120; fi',
      `printf '%s %s start %s\\n' "$(date +%s%3N)" "$$" "$1" >> '${times}'`,
      `'${binary}' "$@"`,
      'code=$?',
      `printf '%s %s end %s\\n' "$(date +%s%3N)" "$$" "$1" >> '${times}'`,
      'exit $code'
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
    spans: subcommand => {
      const open = new Map<string, number>()
      const spans: { start: number; end: number }[] = []
      for (const line of fs.readFileSync(times, 'utf8').split('\n')) {
        const [time, pid, event, first] = line.split(' ')
        if (first !== subcommand) continue
        if (event === 'start') open.set(pid, Number(time))
        if (event === 'end') spans.push({ start: open.get(pid) ?? Number(time), end: Number(time) })
      }
      return spans
    },
    dispose: () => fs.rmSync(dir, { recursive: true, force: true })
  }
}
