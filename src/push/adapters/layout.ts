/**
 * Images in OCI layouts and OCI archives (`oci:`, `oci-archive:`), copied by
 * the project's own registry client (registry/copy.ts) with the session's
 * client and login: no tool, no temporary copy of an archive, every digest
 * byte for byte, an index whole, blobs that copies of this run share sent
 * once. Chosen over skopeo by measurement (bench/REPORT.md, "Archives and
 * layouts: own client vs skopeo").
 */
import { copyImage } from '../../registry/copy.js'
import type { RetryPolicy } from '../../registry/http.js'
import type { ArchiveSource } from '../../settings/settings.js'
import { ociArchiveSource } from '../../sources/oci-archive.js'
import { type LayoutSource, ociLayoutSource } from '../../sources/oci-layout.js'
import type { Adapter } from '../pipeline.js'
import type { ArchiveImageSource } from './archive.js'
import { type ImageContent, imageContent, imageLabels } from './image.js'
import { copiedResult, sessionClient } from './registry.js'

/** What reading a layout tells: the image, and the source the copy reads it from. */
export interface LayoutContent extends ImageContent {
  layout: LayoutSource
}

/** Blobs of one image copied at once. */
const BLOBS_AT_ONCE = 4

/** The transports this adapter reads; `docker-archive:` is docker-archive.ts's (its manifest is made anew). */
export function isLayout(archive: ArchiveSource): boolean {
  return archive.transport === 'oci' || archive.transport === 'oci-archive'
}

export function layoutAdapter(retry: RetryPolicy): Adapter<ArchiveImageSource, LayoutContent> {
  return {
    ...imageLabels,
    tool: 'registry client',
    // A missing, unreadable or corrupt layout is an input error, before anything is pushed.
    read: sources =>
      Promise.all(
        sources.map(async ({ archive }) => {
          const layout =
            archive.transport === 'oci'
              ? ociLayoutSource(archive.path, archive.ref)
              : ociArchiveSource(archive.path, archive.ref)
          const held = await layout.inspect()
          const platforms = held.platforms?.map(({ platform, digest }) => ({
            platform,
            id: digest
          }))
          return {
            ...imageContent({
              id: held.configDigest ?? held.digest,
              layers: [],
              digest: held.digest,
              ...(platforms ? { platforms } : {})
            }),
            layout
          }
        })
      ),
    push: async ({ destination }, { layout }, client) => {
      const copied = await copyImage(
        sessionClient(client, layout.label),
        layout,
        { repository: destination.repository, tags: [destination.tag] },
        { parallel: BLOBS_AT_ONCE, retry }
      )
      return copiedResult(copied)
    }
  }
}
