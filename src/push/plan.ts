import { type ArchiveSource, type Settings, archiveReference } from '../settings/settings.js'

/** One image and every reference it is to be pushed as. */
export interface ImagePlan {
  /** `<source-path>/<name>:<tag>` in local storage, or `<transport>:<path>[:<ref>]` of an archive or layout. */
  source: string
  /** Where the source is when it is not in local storage. */
  archive?: ArchiveSource
  /** `<registry>/<name>:<tag>` for each destination tag. */
  destinations: string[]
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
      destinations: tags.map(tag => `${settings.registry.prefix}/${image.name}:${tag}`)
    }
  })
}

/** The Harbor project a destination lands in: the first path segment after the host. */
export function projectOf(destination: string): string {
  const parts = destination.split('/')
  return parts.length > 2 ? parts[1] : ''
}

/** `host/repo/sitory:tag` split into the repository (without the host) and the tag. */
export function repositoryAndTag(reference: string): { repository: string; tag: string } {
  const slash = reference.indexOf('/')
  const colon = reference.lastIndexOf(':')
  return { repository: reference.slice(slash + 1, colon), tag: reference.slice(colon + 1) }
}
