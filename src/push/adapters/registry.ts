/**
 * Images in a registry (`docker://HOST/REPO:TAG|@DIGEST`): another registry,
 * or the destination itself (a promotion). No tool and no login of its own:
 * the source is read with the project's client (checked in the preflight,
 * see registry-sources.ts) and copied byte for byte with the session's
 * client (registry/copy.ts): blobs mounted within one registry, streamed
 * between two.
 */
import type { Log } from '../../log.js'
import { type CopyResult, copyImage } from '../../registry/copy.js'
import type { RegistryContentSource } from '../../registry/registry-source.js'
import type { RegistrySource, Settings } from '../../settings/settings.js'
import type { Adapter, Content, KindResult, Outcome, Target } from '../pipeline.js'
import { digestLine } from '../pipeline.js'
import { checkRegistrySources } from '../registry-sources.js'

export interface RegistryImageSource {
  /** `docker://host/repo:tag` or `@digest`, as the report names it. */
  reference: string
  registry: RegistrySource
}

export interface RegistryImageContent extends Content {
  source: RegistryContentSource
  /** What the last copy of it moved: bytes, blobs mounted (none yet: unchanged, or not pushed). */
  copied?: CopyResult
}

type AdapterSettings = Pick<
  Settings,
  'registry' | 'credentials' | 'sourceCredentials' | 'tlsVerify' | 'caFile' | 'retries' | 'parallel'
>

export function registryAdapter(
  settings: AdapterSettings,
  log: Log
): Adapter<RegistryImageSource, RegistryImageContent> {
  return {
    kind: 'image',
    tool: 'registry client',
    // Every source checked before anything is pushed: it exists, and the account may pull it.
    read: async sources => {
      const checked = await checkRegistrySources(
        sources.map(source => source.registry),
        settings,
        log
      )
      return checked.map(({ source, digest }) => ({
        source,
        // Byte for byte: the destination holds the source's own digest once copied.
        expected: { manifestDigest: digest }
      }))
    },
    push: async ({ destination }, content, client) => {
      if (!client) {
        throw new Error(
          `a docker:// source is copied by harbor-push's own registry client, which needs "username" and "password" for "${destination.host}"`
        )
      }
      const copied = await copyImage(
        client,
        content.source,
        { repository: destination.repository, tags: [destination.tag] },
        {
          parallel: settings.parallel,
          retry: {
            retries: settings.retries,
            onRetry: (attempt, cause, delay) =>
              log.warning(
                `${destination.reference}: blob copy attempt ${attempt} failed (${cause}); retrying in ${delay} ms`
              )
          }
        }
      )
      content.copied = copied
      const moved = bytesMoved(copied)
      return { digest: copied.digest, notes: [moved], note: moved }
    },
    label: ({ source, destination }) => ({
      reference: destination.reference,
      source: source.reference,
      noun: ''
    }),
    result: (target, content, outcome): KindResult => {
      const platforms = platformsOf(content, outcome)
      return {
        kind: 'image',
        fields: {
          source: target.source.reference,
          destination: target.destination.reference,
          ...(platforms ? { platforms } : {})
        }
      }
    },
    describe: (target: Target<RegistryImageSource>, content, outcome) => {
      const platforms = platformsOf(content, outcome)
      return [
        `source:      ${target.source.reference}`,
        `destination: ${target.destination.reference}`,
        digestLine(outcome),
        ...(platforms ? [`platforms:   ${platforms.join(', ')}`] : [])
      ]
    }
  }
}

/** What a copy moved, in words: `3 blobs mounted, 0 bytes uploaded`. */
export function bytesMoved(copied: CopyResult): string {
  const parts = [
    ...(copied.blobsMounted > 0 ? [`${copied.blobsMounted} blobs mounted`] : []),
    ...(copied.blobsSkipped > 0 ? [`${copied.blobsSkipped} blobs already there`] : []),
    `${copied.bytesUploaded} bytes uploaded${copied.blobsUploaded > 0 ? ` (${copied.blobsUploaded} blobs)` : ''}`
  ]
  return parts.join(', ')
}

/** The platforms of a multi-platform index this step copied. */
function platformsOf(content: RegistryImageContent, outcome: Outcome): string[] | undefined {
  if (outcome.status !== 'pushed') return undefined
  return content.copied?.platforms
}
