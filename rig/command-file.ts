import fs from 'node:fs'

/** Reads a GITHUB_OUTPUT / GITHUB_STATE file (`name<<delimiter` blocks). */
export function parseCommandFile(file: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  for (let index = 0; index < lines.length; index++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[index])
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    while (++index < lines.length && lines[index] !== delimiter) value.push(lines[index])
    values[name] = value.join('\n')
  }
  return values
}
