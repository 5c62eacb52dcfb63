import type { Log } from '../log.js'
import {
  type ArchiveSource,
  type RegistrySource,
  type Settings,
  archiveReference,
  registryReference
} from '../settings/settings.js'
import type { ContainerTool } from '../tools/container-tool.js'
import type { Skopeo } from '../tools/skopeo.js'
import { archiveAdapter } from './adapters/archive.js'
import { localImageAdapter } from './adapters/local-image.js'
import { registryAdapter } from './adapters/registry.js'
import { type Destination, destinationOf } from './destination.js'
import type { Batch } from './pipeline.js'

/** One image and every destination it is to be pushed as. */
export interface ImagePlan {
  /** `<source-path>/<name>:<tag>` in local storage, `<transport>:<path>[:<ref>]` of an archive or layout, or `docker://host/repo:tag`. */
  source: string
  /** Where the source is when it is an archive or layout. */
  archive?: ArchiveSource
  /** Where the source is when it is in a registry. */
  registry?: RegistrySource
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
        : image.registry
          ? registryReference(image.registry)
          : `${prefix}${image.name}:${image.tag}`,
      ...(image.archive ? { archive: image.archive } : {}),
      ...(image.registry ? { registry: image.registry } : {}),
      destinations: tags.map(tag => destinationOf(settings.registry, image.name, tag))
    }
  })
}

/**
 * Every image as a batch of the pipeline, in the order given (each kind is
 * still read at once): local ones pushed by `container` (docker or podman),
 * archives and layouts by skopeo, registry sources (`docker://`) by the
 * project's own client, which needs no tool.
 */
export function imageBatches(
  settings: Settings,
  log: Log,
  container?: ContainerTool,
  skopeo?: Skopeo
): Batch[] {
  const local = container && localImageAdapter(container, settings.registry.host)
  const archives = skopeo && archiveAdapter(skopeo)
  const registries = settings.images.some(image => image.registry)
    ? registryAdapter(settings, log)
    : undefined
  return planImages(settings).map(({ source, archive, registry, destinations }): Batch => {
    if (registry && registries) {
      return {
        adapter: registries,
        entries: [{ source: { reference: source, registry }, destinations }]
      }
    }
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
