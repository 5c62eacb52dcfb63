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
    push: async ({ source, destination }, { image }) => ({
      digest: await tool.push(source.reference, destination.reference, image)
    })
  }
}
