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
import { dockerArchiveAdapter } from './adapters/docker-archive.js'
import { isLayout, layoutAdapter } from './adapters/layout.js'
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
 * Whether skopeo copies an archive or layout: only when no username/password
 * is given (then the skopeo login already on this machine is what pushes).
 * Otherwise OCI layouts and archives are copied by the project's own
 * registry client, and docker archives pushed by it with a manifest made on
 * the way, with the session's login (measured faster, with no temporary
 * copy: README, "How archives and layouts are pushed").
 */
export function needsSkopeo(settings: Pick<Settings, 'credentials'>): boolean {
  return settings.credentials === undefined
}

/**
 * Every image as a batch of the pipeline, in the order given (each kind is
 * still read at once): local ones pushed by `container` (docker or podman),
 * archives and layouts by the own registry client (every archive by skopeo
 * when no login is given), registry sources (`docker://`) by the own
 * registry client too, with no tool at all.
 */
export function imageBatches(
  settings: Settings,
  container: ContainerTool | undefined,
  skopeo: Skopeo | undefined,
  log: Log
): Batch[] {
  const local = container && localImageAdapter(container, settings.registry.host)
  const archives = skopeo && archiveAdapter(skopeo)
  const layouts = layoutAdapter({ retries: settings.retries })
  const dockerArchives = dockerArchiveAdapter({ retries: settings.retries })
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
    if (archive && !needsSkopeo(settings)) {
      return {
        adapter: isLayout(archive) ? layouts : dockerArchives,
        entries: [{ source: { reference: source, archive }, destinations }]
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
