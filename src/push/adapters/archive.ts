/** Images in archives and layouts (`oci-archive:`, `oci:`, `docker-archive:`) when no login is given, pushed by skopeo with its own: no container engine. */
import type { ArchiveSource } from '../../settings/settings.js'
import type { Skopeo } from '../../tools/skopeo.js'
import type { Adapter } from '../pipeline.js'
import { type ImageContent, type ImageSource, imageContent, imageLabels } from './image.js'

export interface ArchiveImageSource extends ImageSource {
  archive: ArchiveSource
}

export function archiveAdapter(skopeo: Skopeo): Adapter<ArchiveImageSource, ImageContent> {
  return {
    ...imageLabels,
    tool: 'skopeo',
    prepare: async () => `Using ${await skopeo.prepare()} for archives and layouts`,
    login: (host, credentials) => skopeo.login(host, credentials),
    loginKept: 'private credentials',
    // An unreadable archive is an input error, before anything is pushed.
    read: sources =>
      Promise.all(sources.map(async source => imageContent(await skopeo.inspect(source.archive)))),
    push: async ({ source, destination }) => ({
      digest: await skopeo.push(source.archive, destination.reference)
    })
  }
}
