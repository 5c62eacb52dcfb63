import { readDefaultsFile } from './defaults-file.js'
import { type RawInputs, type Warn, parseSettings } from './parse.js'
import type { Settings } from './settings.js'

/** Raw inputs after the defaults file, and which of them the file gave. */
export interface MergedInputs {
  inputs: RawInputs
  /** Inputs whose value came from the defaults file. */
  fromFile: string[]
  /** Inputs the file set too, where the explicit value won. */
  overridden: string[]
}

/**
 * Fills in the inputs left empty from `defaults-file`, if one is named. The
 * rule, for the action and the command alike: an input (or flag) counts as
 * given when it is not empty after trimming, and a given value always wins
 * over the file. That is why inputs the file can set have an empty default
 * in action.yml (`container-tool` too): a non-empty default would always
 * win. Their real defaults (`docker`, ...) apply after the file.
 */
export function applyDefaultsFile(raw: RawInputs): MergedInputs {
  const file = (raw['defaults-file'] ?? '').trim()
  const inputs: RawInputs = { ...raw }
  const fromFile: string[] = []
  const overridden: string[] = []
  if (!file) return { inputs, fromFile, overridden }
  for (const entry of readDefaultsFile(file)) {
    if ((raw[entry.input] ?? '').trim() !== '') {
      overridden.push(entry.input)
    } else if (entry.value.trim() !== '') {
      inputs[entry.input] = entry.value
      fromFile.push(entry.input)
    }
  }
  return { inputs, fromFile, overridden }
}

/**
 * What every front end calls: raw inputs by their action.yml name, merged
 * with the defaults file, validated into settings. Throws an InputError
 * naming the bad value (or the defaults file's `file:line`) and the fix.
 */
export function loadSettings(
  raw: RawInputs,
  warn: Warn,
  info: (message: string) => void = () => undefined
): Settings {
  const { inputs, fromFile, overridden } = applyDefaultsFile(raw)
  if (fromFile.length > 0 || overridden.length > 0) {
    const given = overridden.length > 0 ? `; given explicitly: ${overridden.join(', ')}` : ''
    info(
      `Defaults from ${(raw['defaults-file'] ?? '').trim()}: ${fromFile.join(', ') || 'none used'}${given}`
    )
  }
  return parseSettings(inputs, warn)
}
