import { type ArchiveSource, type Settings, archiveReference } from '../settings/settings.js'
import type { ContainerTool } from '../tools/container-tool.js'
import type { Skopeo } from '../tools/skopeo.js'
import { archiveAdapter } from './adapters/archive.js'
import { localImageAdapter } from './adapters/local-image.js'
import { type Destination, destinationOf } from './destination.js'
import type { Batch } from './pipeline.js'

/** One image and every destination it is to be pushed as. */
export interface ImagePlan {
  /** `<source-path>/<name>:<tag>` in local storage, or `<transport>:<path>[:<ref>]` of an archive or layout. */
  source: string
  /** Where the source is when it is not in local storage. */
  archive?: ArchiveSource
  /** `<registry>/<name>:<tag>` for each destination tag. */
  destinations: Destination[]
}

/** Resolves the settings into the pushes to make; pure, so it is cheap to test. */
export function planImages(settings: Settings): ImagePlan[] {
  const prefix = settings.sourcePath ? `${settings.sourcePath}/` : ''
  return settings.images.map(image => {
    const tags = settings.destinationTags.length ? settings.destinationTags : [image.tag]
    return {
      source: image.archive
        ? archiveReference(image.archive)
        : `${prefix}${image.name}:${image.tag}`,
      ...(image.archive ? { archive: image.archive } : {}),
      destinations: tags.map(tag => destinationOf(settings.registry, image.name, tag))
    }
  })
}

/**
 * Every image as a batch of the pipeline, in the order given (each kind is
 * still read at once): local ones pushed by `container` (docker or podman),
 * archives and layouts by skopeo.
 */
export function imageBatches(
  settings: Settings,
  container?: ContainerTool,
  skopeo?: Skopeo
): Batch[] {
  const local = container && localImageAdapter(container, settings.registry.host)
  const archives = skopeo && archiveAdapter(skopeo)
  return planImages(settings).map(({ source, archive, destinations }): Batch => {
    if (archive) {
      if (!archives) throw new Error('an archive source without skopeo')
      return {
        adapter: archives,
        entries: [{ source: { reference: source, archive }, destinations }]
      }
    }
    if (!local) throw new Error('a local source without a container tool')
    return { adapter: local, entries: [{ source: { reference: source }, destinations }] }
  })
}
