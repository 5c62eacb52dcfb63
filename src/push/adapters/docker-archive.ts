/**
 * Images in docker archives (`docker-archive:`, `docker save`, `podman save
 * --format docker-archive`), pushed by the project's own registry client
 * with the session's login: no tool, no temporary copy. The registry
 * manifest is made on the way (registry/compose.ts): the config byte for
 * byte, so a re-run finds the tag `unchanged` by the image ID without
 * compressing anything; each plain layer gzip-compressed as it streams and
 * checked against its diffID. A layer that archives of one run share is
 * compressed and sent once: the others wait for that layer only, then
 * mount it, while their own layers go up.
 */
import { pushComposed } from '../../registry/compose.js'
import type { ComposedImage } from '../../registry/compose.js'
import type { RetryPolicy } from '../../registry/http.js'
import { DockerArchiveSource } from '../../sources/docker-archive.js'
import type { Adapter } from '../pipeline.js'
import type { ArchiveImageSource } from './archive.js'
import { type ImageContent, imageContent, imageLabels } from './image.js'
import { copiedResult, sessionClient } from './registry.js'

/** What reading a docker archive tells: the image ID, the layers' diffIDs, and what to push. */
export interface DockerArchiveContent extends ImageContent {
  composed: ComposedImage
}

/** Layers of one image sent at once. */
const LAYERS_AT_ONCE = 4

export function dockerArchiveAdapter(
  retry: RetryPolicy
): Adapter<ArchiveImageSource, DockerArchiveContent> {
  return {
    ...imageLabels,
    tool: 'registry client',
    // A missing, unreadable, hostile or corrupt archive is an input error, before anything is pushed.
    read: sources =>
      Promise.all(
        sources.map(async ({ archive }) => {
          const composed = await new DockerArchiveSource(archive.path, archive.ref).inspect()
          return {
            // The tag is compared by image ID (config digest), as for every docker archive.
            // No layers for the pipeline to order images by: archives sharing a layer wait for
            // each other layer by layer (compose.ts), their own layers going up meanwhile.
            ...imageContent({ id: composed.config.digest, layers: [] }),
            composed
          }
        })
      ),
    push: async ({ destination }, { composed }, client) => {
      const pushed = await pushComposed(
        sessionClient(client, composed.label),
        composed,
        { repository: destination.repository, tags: [destination.tag] },
        { parallel: LAYERS_AT_ONCE, retry }
      )
      return copiedResult(pushed)
    }
  }
}
