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
 * Whether skopeo copies an archive or layout: a docker archive (its manifest
 * is made anew), and any of them when no username/password is given (then
 * the skopeo login already on this machine is what pushes). OCI layouts and
 * archives are otherwise copied by the project's own registry client, with
 * the session's login (measured faster, with no temporary copy: README, "How
 * archives and layouts are pushed").
 */
export function needsSkopeo(settings: Settings, archive: ArchiveSource): boolean {
  return !isLayout(archive) || settings.credentials === undefined
}

/**
 * Every image as a batch of the pipeline, in the order given (each kind is
 * still read at once): local ones pushed by `container` (docker or podman),
 * OCI layouts and archives by the own registry client, docker archives (and
 * every archive when no login is given) by skopeo, registry sources
 * (`docker://`) by the own registry client too, with no tool at all.
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
    if (archive && !needsSkopeo(settings, archive)) {
      return {
        adapter: layouts,
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
