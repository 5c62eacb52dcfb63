/** Images in local docker or podman storage, pushed by that tool. */
import { InputError } from '../../errors.js'
import type { ContainerTool } from '../../tools/container-tool.js'
import type { Adapter } from '../pipeline.js'
import { type ImageContent, type ImageSource, imageContent, imageLabels } from './image.js'

export function localImageAdapter(
  tool: ContainerTool,
  host: string
): Adapter<ImageSource, ImageContent> {
  return {
    ...imageLabels,
    tool: tool.name,
    prepare: async () => `Using ${await tool.prepare(host)}`,
    login: (host, credentials) => tool.login(host, credentials),
    loginKept: 'private credentials',
    // Local storage is asked once for all of its images, and every missing one is named at once.
    read: async sources => {
      const references = sources.map(source => source.reference)
      const stored = await tool.localImages(references)
      const missing = references.filter((_, index) => stored[index] === undefined)
      if (missing.length > 0) {
        const names = missing.map(source => `"${source}"`).join(', ')
        throw new InputError(
          `${names} not in local ${tool.name} storage; check the source tag / path (\`${tool.name} images\`). Nothing was pushed.`
        )
      }
      return stored.map(image => imageContent(image!))
    },
    push: async ({ source, destination }, { image }, client) => {
      const digest = await tool.push(source.reference, destination.reference, image)
      // docker's containerd image store names an image by the digest it pushes,
      // an index for a multi-platform image, whose platforms it does not list
      // (image inspect of API 1.45): the registry's copy says them. One GET (a
      // pull in Harbor's audit log), only for images of that store.
      if (!client || image.platforms || digest !== image.id) return { digest }
      const pushed = await client.manifest(destination.repository, digest).catch(() => undefined)
      const platforms = pushed && 'platforms' in pushed ? pushed.platforms : undefined
      return { digest, ...(platforms ? { platforms } : {}) }
    }
  }
}
