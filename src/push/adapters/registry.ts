/**
 * Images in a registry (`docker://HOST/REPO:TAG|@DIGEST`): another registry,
 * or the destination itself (a promotion). No tool and no login of its own:
 * the source is read with the project's client (checked in the preflight,
 * see registry-sources.ts) and copied byte for byte with the session's
 * client (registry/copy.ts): blobs mounted within one registry, streamed
 * between two.
 */
import type { Log } from '../../log.js'
import type { RegistryClient } from '../../registry/client.js'
import { type CopyResult, copyImage } from '../../registry/copy.js'
import type { RegistryContentSource } from '../../sources/registry.js'
import type { RegistrySource, Settings } from '../../settings/settings.js'
import type { Adapter, Pushed } from '../pipeline.js'
import { type ImageContent, imageContent, imageLabels } from './image.js'
import { checkRegistrySources } from '../registry-sources.js'

export interface RegistryImageSource {
  /** `docker://host/repo:tag` or `@digest`, as the report names it. */
  reference: string
  registry: RegistrySource
}

export interface RegistryImageContent extends ImageContent {
  source: RegistryContentSource
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
    ...imageLabels,
    tool: 'registry client',
    // Every source checked before anything is pushed: it exists, and the account may pull it.
    read: async sources => {
      const checked = await checkRegistrySources(
        sources.map(source => source.registry),
        settings,
        log
      )
      // Byte for byte: the destination holds the source's own digest once copied.
      return checked.map(({ source, digest }) => ({
        ...imageContent({ id: digest, digest, layers: [] }),
        source
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
      // An index's platforms are known once it was read for the copy.
      if (copied.platforms) {
        content.image.platforms = copied.platforms.map(platform => ({ platform, id: '' }))
      }
      return copiedResult(copied)
    }
  }
}

/** The session's client, which a push by the own client needs: there is one whenever credentials are given or the registry asks for none. */
export function sessionClient(client: RegistryClient | undefined, label: string): RegistryClient {
  if (!client) {
    throw new Error(`the registry API cannot be used for "${label}": give username and password`)
  }
  return client
}

/** A copy's result for the pipeline: the digest, and what moved in words for the log and the summary. */
export function copiedResult(copied: CopyResult): Pushed {
  const moved = bytesMoved(copied)
  return { digest: copied.digest, notes: [moved], note: moved }
}

/** What a copy moved, in words: `3 blobs mounted, 0 bytes uploaded`. */
function bytesMoved(copied: CopyResult): string {
  const parts = [
    ...(copied.blobsMounted > 0 ? [`${copied.blobsMounted} blobs mounted`] : []),
    ...(copied.blobsSkipped > 0 ? [`${copied.blobsSkipped} blobs already there`] : []),
    `${size(copied.bytesUploaded)} uploaded${copied.blobsUploaded > 0 ? ` (${copied.blobsUploaded} blobs)` : ''}`
  ]
  return parts.join(', ')
}

/** Bytes as a person reads them at a glance: exact below a megabyte, else in MB. */
function size(bytes: number): string {
  return bytes < 1e6 ? `${bytes} bytes` : `${(bytes / 1e6).toFixed(1)} MB`
}
