import { ToolError } from '../errors.js'
import type { Credentials } from '../settings/settings.js'
import type { TlsOptions } from '../settings/tls.js'

/**
 * What the push core needs from a container tool. docker and podman differ
 * in flags, storage and TLS handling; everything above this interface is the
 * same for both.
 */
export interface ContainerTool {
  readonly name: 'docker' | 'podman'
  /**
   * Whether the engine records each push's manifest digest with the image
   * (docker's RepoDigests): a re-run then knows its tags without reading
   * their manifests. podman does not (its RepoDigests name the manifest it
   * stores, which a push that compresses the layers changes).
   */
  readonly recordsPushes: boolean
  /**
   * Checks the tool works and can reach `host` with the TLS settings asked
   * for, preparing what that needs; returns the tool's version. Throws an
   * InputError when the tool is missing or the TLS settings cannot be met.
   */
  prepare(host: string): Promise<string>
  /** The TLS settings the tool will really use towards the registry (known after `prepare` when `daemonDecidesTls`). */
  registryTls(): TlsOptions
  /** Whether a daemon's settings decide the TLS (docker: its insecure registries), learnt in `prepare`. */
  readonly daemonDecidesTls: boolean
  /** Undoes what `prepare` placed outside the private directory. */
  cleanup(): void
  /** The local image ID (`sha256:<hex>`), or undefined when `ref` is not in local storage. */
  imageId(ref: string): Promise<string | undefined>
  /** ID and layers of many images, in order (undefined: not in local storage), with one tool call when all are there. */
  localImages(refs: string[]): Promise<(LocalImage | undefined)[]>
  /** Logs in to `host` with the password on stdin, into the step's private directory. */
  login(host: string, credentials: Credentials): Promise<void>
  /**
   * Pushes local `source` as `destination` (a multi-platform image with every
   * platform, as its index); returns the manifest digest the registry holds.
   */
  push(source: string, destination: string, image?: LocalImage): Promise<string>
}

/** Files and folders a tool may keep inside the step's private directory. */
export interface PrivatePaths {
  /** The 0700 directory itself. */
  dir: string
  /** Whether to log in into the private directory (false: rely on an existing login). */
  isolated: boolean
}

/** A digest as registries print it. */
export const DIGEST = /sha256:[a-f0-9]{64}/

/** Image IDs are printed with or without the algorithm; always keep it. */
export function normaliseImageId(id: string): string {
  const trimmed = id.trim()
  return trimmed.startsWith('sha256:') ? trimmed : `sha256:${trimmed}`
}

/** An image in local storage. */
export interface LocalImage {
  /** `sha256:<hex>`: the config digest the registry will hold for it (a multi-platform image: its native platform's). */
  id: string
  /** Its layers' diff IDs: images that share one upload it once if pushed one after another. */
  layers: string[]
  /** A multi-platform image (a manifest list): each platform's image, pushed together as one index. */
  platforms?: PlatformImage[]
  /** The manifest digest the registry will hold, when the push keeps it byte for byte (an OCI archive or layout). */
  digest?: string
  /**
   * `repository@digest` of manifests the engine knows to hold this image
   * (`RepoDigests`): docker records one on every push and pull, podman the
   * digest of its own stored manifest. A tag holding one of them holds this
   * image, byte for byte.
   */
  recorded?: string[]
}

/** One platform of a multi-platform image. */
export interface PlatformImage {
  /** `os/architecture[/variant]` */
  platform: string
  /** The platform image's ID: the config digest its manifest names (of an archive: the platform manifest's digest). */
  id: string
}

/** `<tool> image inspect --format` for a LocalImage, one line per image. */
export const LOCAL_IMAGE_FORMAT = '{{.Id}} {{.RootFS.Layers}} {{json .RepoDigests}}'

/** One line of LOCAL_IMAGE_FORMAT: `<id> [sha256:... sha256:...] ["host/repo@sha256:..."]` (podman: `null` for none). */
export function parseLocalImage(line: string): LocalImage {
  const text = line.trim()
  const space = text.indexOf(' ')
  const rest = space === -1 ? '' : text.slice(space + 1)
  const layersEnd = rest.indexOf(']') + 1
  const recorded = recordedNames(rest.slice(layersEnd).trim())
  return {
    id: normaliseImageId(space === -1 ? text : text.slice(0, space)),
    layers: rest.slice(0, layersEnd).match(new RegExp(DIGEST.source, 'g')) ?? [],
    ...(recorded.length > 0 ? { recorded } : {})
  }
}

/** `{{json .RepoDigests}}`; anything else (an engine printing it otherwise) tells nothing. */
function recordedNames(json: string): string[] {
  try {
    const names: unknown = JSON.parse(json)
    return Array.isArray(names) ? names.filter(name => typeof name === 'string') : []
  } catch {
    return []
  }
}

/**
 * The local images `refs` name, in order. One `<tool> image inspect` for all
 * of them costs one tool start instead of one per image (podman takes ~0.1 s
 * to start); when some are missing the tool fails the whole call, so each is
 * then asked alone to know which.
 */
export async function inspectLocalImages(
  inspectAll: (refs: string[]) => Promise<string>,
  inspectOne: (ref: string) => Promise<LocalImage | undefined>,
  refs: string[]
): Promise<(LocalImage | undefined)[]> {
  if (refs.length === 0) return []
  try {
    const lines = (await inspectAll(refs))
      .split('\n')
      .map(line => line.trim())
      .filter(line => line !== '')
    if (lines.length === refs.length) return lines.map(parseLocalImage)
  } catch (error) {
    if (!(error instanceof ToolError)) throw error
  }
  return Promise.all(refs.map(inspectOne))
}
