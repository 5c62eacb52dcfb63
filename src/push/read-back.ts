import { PushError } from '../errors.js'
import type { RegistryClient } from '../registry/client.js'
import { type Expected, type TagTarget, readTag, tagState } from './tag-state.js'
import { type FailureContext, translateFailure } from './translate.js'

/**
 * Reads a pushed tag's digest back (a HEAD: no pull in Harbor's books) and
 * checks that it is what the tool says it pushed. Returns a note when a pull
 * policy of the project refuses to say (Harbor's content trust or
 * vulnerability prevention answer 412 to reading a manifest): the push landed,
 * and the digest is the one the push reported. Throws when the tag holds
 * something else (another push raced this one) or nothing.
 */
export async function readBack(
  client: RegistryClient,
  target: TagTarget,
  pushed: string,
  context: FailureContext
): Promise<string | undefined> {
  const held = await client.tagDigest(target.repository, target.tag).catch((error: unknown) => {
    throw translateFailure(error, context)
  })
  if (held !== undefined && typeof held !== 'string') {
    return `pushed; the project's pull policy keeps it from being read back (${held.policy}), so the digest is the one the push reported`
  }
  if (held !== pushed) {
    throw new PushError(
      `the push of "${context.reference ?? ''}" reported ${pushed}, but the registry holds ${held ?? 'nothing'} for that tag: another push may have raced this one; check the tag`
    )
  }
  return undefined
}

/**
 * After a tool reported a failure: whether the tag holds what was to be
 * pushed all the same (a tool may fail after the registry took the push, for
 * example writing its digest file on a full disk). Its digest when it does;
 * undefined when it does not, or when the registry cannot tell.
 */
export async function landedAnyway(
  client: RegistryClient,
  target: TagTarget,
  expected: Expected
): Promise<string | undefined> {
  const held = await readTag(client, target).catch(() => 'unknown' as const)
  const state = tagState(held, expected)
  return state.kind === 'same' ? state.digest : undefined
}
