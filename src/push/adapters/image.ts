/** What every image kind shares: what a tag holds once it is pushed, and how images are named in logs and results. */
import type { LocalImage } from '../../tools/container-tool.js'
import type { Expected } from '../tag-state.js'
import {
  type Adapter,
  type Content,
  type KindResult,
  type Outcome,
  type Target,
  digestLine
} from '../pipeline.js'

/** An image source, as the report names it: `<source-path>/<name>:<tag>`, `oci-archive:<path>`. */
export interface ImageSource {
  reference: string
}

/** An image as read from its source. */
export interface ImageContent extends Content {
  image: LocalImage
}

/** What reading an image tells the pipeline. */
export function imageContent(image: LocalImage): ImageContent {
  return { expected: expectedOf(image), layers: image.layers, image }
}

/** What a tag holds once this image is in it: its ID, or each platform's for a multi-platform image. */
function expectedOf(image: LocalImage): Expected {
  const recorded = image.recorded ? { recorded: image.recorded } : {}
  if (image.digest) return { manifestDigest: image.digest, ...recorded }
  return image.platforms
    ? { platformIds: image.platforms.map(platform => platform.id), ...recorded }
    : { configDigest: image.id, ...recorded }
}

/** How an image is named and reported, whatever pushes it. */
export const imageLabels: Pick<
  Adapter<ImageSource, ImageContent>,
  'kind' | 'label' | 'result' | 'describe'
> = {
  kind: 'image',
  label: ({ source, destination }) => ({
    reference: destination.reference,
    source: source.reference,
    noun: ''
  }),
  result: (target, content, outcome): KindResult => {
    const platforms = platformsOf(content, outcome)
    const { source, destination } = target
    return {
      kind: 'image',
      fields: {
        source: source.reference,
        destination: destination.reference,
        ...(platforms ? { platforms } : {})
      }
    }
  },
  describe: (target: Target<ImageSource>, content, outcome) => {
    const platforms = platformsOf(content, outcome)
    return [
      `source:      ${target.source.reference}`,
      `destination: ${target.destination.reference}`,
      digestLine(outcome),
      ...(platforms ? [`platforms:   ${platforms.join(', ')}`] : [])
    ]
  }
}

/**
 * A multi-platform image's platforms, when the tag holds it now: as the
 * source lists them, else as the registry does (docker's containerd image
 * store pushes an index the step cannot list locally).
 */
function platformsOf(content: ImageContent, outcome: Outcome): string[] | undefined {
  if (outcome.status !== 'pushed' && outcome.status !== 'unchanged') return undefined
  return content.image.platforms?.map(image => image.platform) ?? outcome.platforms
}
