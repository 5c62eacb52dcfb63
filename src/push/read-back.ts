import { PushError } from '../errors.js'
import type { RegistryClient } from '../registry/client.js'
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
  target: { repository: string; tag: string },
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
