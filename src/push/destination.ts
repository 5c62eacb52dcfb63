import type { RegistryTarget } from '../settings/settings.js'

/**
 * Where one push lands, built once from the settings: the registry API
 * addresses the repository and the tag, logs and outputs the string form.
 */
export interface Destination {
  /** `host[:port]` */
  readonly host: string
  /** The path below the host: `project/name` in Harbor. */
  readonly repository: string
  readonly tag: string
  /** `host[:port]/repository:tag` */
  readonly reference: string
}

/** `name:tag` below the registry's host and path. */
export function destinationOf(
  registry: Pick<RegistryTarget, 'host' | 'path'>,
  name: string,
  tag: string
): Destination {
  const repository = [registry.path, name].filter(Boolean).join('/')
  return {
    host: registry.host,
    repository,
    tag,
    reference: `${registry.host}/${repository}:${tag}`
  }
}

/** The Harbor project a destination lands in: the repository's first segment when there is more than one, else ''. */
export function projectOf(destination: Pick<Destination, 'repository'>): string {
  const segments = destination.repository.split('/')
  return segments.length > 1 ? segments[0] : ''
}
