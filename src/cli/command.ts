/** The command `harbor-push`, the same core as the action, for any pipeline or a shell; loaded by src/cli/index.ts. */
import { beingStopped } from '../push/leftovers.js'
import { cleanupOnSignals, runCli } from './main.js'
import { divertWrites } from './terminal.js'

// The report owns stdout: the command keeps the real write for itself, and
// whatever else writes to process.stdout is diverted (see Terminal.stray).
const write = process.stdout.write.bind(process.stdout)
const stdout = { write: (text: string) => write(text), isTTY: process.stdout.isTTY }

void runCli(
  process.argv.slice(2),
  {
    stdin: process.stdin,
    stdout,
    stderr: process.stderr,
    env: process.env,
    divertStdout: sink => divertWrites(process.stdout, sink)
  },
  cleanupOnSignals(process.stderr)
).then(status => {
  // A signal's handler ends the command once its clean-up is done.
  if (beingStopped()) return
  // Exit now: a keep-alive connection left in a pool must not hold a finished command open.
  write('', () => process.exit(status))
})
