import { PushError } from '../errors.js'
import type { IfExists } from '../settings/settings.js'
import type { TagState } from './tag-state.js'

/** What to do with one destination tag, given what it holds now. */
export type Decision = 'push' | 'unchanged' | 'skip'

/**
 * Identical content is never pushed again; different content follows
 * `if-exists` (`fail` never gets here: refuseConflicts stops the step first).
 */
export function decide(ifExists: IfExists, state: TagState): Decision {
  if (state.kind === 'same') return 'unchanged'
  // A tag whose content a pull policy hides may hold anything: it counts as different.
  if ((state.kind === 'different' || state.kind === 'unreadable') && ifExists === 'skip') {
    return 'skip'
  }
  return 'push'
}

/** `if-exists: fail`: any tag holding different content stops the step before anything is pushed. */
export function refuseConflicts(
  ifExists: IfExists,
  entries: readonly { reference: string; state: TagState }[]
): void {
  if (ifExists !== 'fail') return
  const conflicts = entries.filter(
    entry => entry.state.kind === 'different' || entry.state.kind === 'unreadable'
  )
  if (conflicts.length === 0) return
  const list = conflicts
    .map(entry =>
      entry.state.kind === 'unreadable'
        ? `"${entry.reference}" (${heldBy(entry.state)})`
        : `"${entry.reference}" (holds ${stateDigest(entry.state)})`
    )
    .join(', ')
  throw new PushError(
    `if-exists: fail: ${list} already ${conflicts.length === 1 ? 'holds' : 'hold'} ${conflicts.every(entry => entry.state.kind === 'different') ? 'different' : 'different or unreadable'} content; nothing was pushed. Push a new tag, or set if-exists: overwrite or skip`
  )
}

/** One line of a dry run's plan. */
export function planLine(ifExists: IfExists, state: TagState): string {
  switch (decide(ifExists, state)) {
    case 'unchanged':
      return 'unchanged (already holds this content)'
    case 'skip':
      return `skip (${heldBy(state)}; if-exists: skip)`
    default:
      if (state.kind === 'different') return `would overwrite (holds ${state.digest})`
      if (state.kind === 'unreadable') return `would overwrite (${heldBy(state)})`
      return state.kind === 'unknown'
        ? 'would push (current content unknown)'
        : 'would push (new tag)'
  }
}

/** What a tag holds, in words: its digest, or why its content cannot be read. */
export function heldBy(state: TagState): string {
  if (state.kind === 'unreadable') {
    return `exists, but a pull policy of the project keeps its content from being read (${state.policy})`
  }
  return `holds other content (${stateDigest(state)})`
}

/** The digest a tag holds now, or ''. */
export function stateDigest(state: TagState): string {
  return 'digest' in state ? state.digest : ''
}
