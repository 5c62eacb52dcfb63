/**
 * Reads a step's output the way the GitHub runner does (actions/runner,
 * ActionCommandManager and ActionCommand): every line that starts with `::`
 * after white space is a command (`::name key=value::data`), so is any line
 * holding `##[name ...]data` (the old syntax), and `::stop-commands::TOKEN`
 * switches every command off until a line `::TOKEN::`.
 */

export interface RunnerCommand {
  name: string
  /** `key=value,...` after the name, as written. */
  properties: string
  data: string
}

/** The workflow commands a runner would obey in `output` (stdout or stderr of a step). */
export function runnerCommands(output: string): RunnerCommand[] {
  const commands: RunnerCommand[] = []
  let stopToken: string | undefined
  for (const line of output.split(/\r\n|\r|\n/)) {
    const command = parseV2(line) ?? parseV1(line)
    if (!command) continue
    if (stopToken !== undefined) {
      if (command.name.toLowerCase() === stopToken.toLowerCase()) stopToken = undefined
      continue
    }
    if (command.name === 'stop-commands') {
      stopToken = command.data
      continue
    }
    commands.push(command)
  }
  return commands
}

function parseV2(line: string): RunnerCommand | undefined {
  const text = line.trimStart()
  if (!text.startsWith('::')) return undefined
  const end = text.indexOf('::', 2)
  if (end < 0) return undefined
  const info = text.slice(2, end)
  const space = info.indexOf(' ')
  return {
    name: space < 0 ? info : info.slice(0, space),
    properties: space < 0 ? '' : info.slice(space + 1),
    data: unescape(text.slice(end + 2))
  }
}

function parseV1(line: string): RunnerCommand | undefined {
  const start = line.indexOf('##[')
  if (start < 0) return undefined
  const close = line.indexOf(']', start)
  if (close < 0) return undefined
  const info = line.slice(start + 3, close)
  const space = info.indexOf(' ')
  return {
    name: space < 0 ? info : info.slice(0, space),
    properties: space < 0 ? '' : info.slice(space + 1),
    data: line.slice(close + 1)
  }
}

function unescape(data: string): string {
  return data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}
