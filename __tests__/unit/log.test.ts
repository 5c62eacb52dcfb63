import { describe, expect, test } from '@jest/globals'
import { inertForRunner } from '../../src/log.js'
import { runnerCommands } from '../../rig/runner-commands.js'

/** Outside text that a runner would read as commands, in every form it accepts. */
const HOSTILE = [
  '::error title=Injected::from the registry',
  '   ::save-state name=privateDir::/',
  '\t::add-mask::abc',
  '\u00a0::set-output name=refs::x',
  'text before ##[set-output name=refs;]x',
  '::stop-commands::another-token',
  '::endgroup::'
]

describe('inertForRunner', () => {
  test.each(HOSTILE)('%j is shown, and no command is obeyed', line => {
    const lines = inertForRunner(['before', line, 'after'])
    expect(lines).toContain(line)
    expect(runnerCommands(lines.join('\n'))).toEqual([])
    // The runner obeys what follows the fenced block again.
    expect(runnerCommands([...lines, '::warning::ours'].join('\n'))).toEqual([
      { name: 'warning', properties: '', data: 'ours' }
    ])
  })

  test('the fence token is new each time, so outside text cannot name it', () => {
    const first = inertForRunner(['::x::'])[0]
    const second = inertForRunner(['::x::'])[0]
    expect(first).toMatch(/^::stop-commands::hp-[0-9a-f-]{36}$/)
    expect(first).not.toBe(second)
  })

  test('lines no runner could read as a command are printed as they are', () => {
    const lines = ['Pushing a -> b', 'digest: sha256:abc', 'error: denied']
    expect(inertForRunner(lines)).toEqual(lines)
  })

  test('without the fence, the same lines would be obeyed (the rig reads them as the runner does)', () => {
    expect(runnerCommands(HOSTILE.join('\n')).map(command => command.name)).toEqual([
      'error',
      'save-state',
      'add-mask',
      'set-output',
      'set-output'
    ])
  })
})
