import * as core from '@actions/core'
import type { ImageResult } from '../push/results.js'

/** Sets the `images`, `charts` and `refs` outputs of action.yml. */
export function setOutputs(images: ImageResult[]): void {
  core.setOutput(
    'images',
    JSON.stringify(
      images.map(({ source, destination, digest, status }) => ({
        source,
        destination,
        digest,
        status
      }))
    )
  )
  core.setOutput('charts', '[]')
  core.setOutput('refs', refsOf(images).join('\n'))
}

/**
 * `<destination>@<digest>` (tag and digest: a valid reference) of everything
 * now in the registry, for signing or attestation steps.
 */
export function refsOf(images: ImageResult[]): string[] {
  return images
    .filter(image => image.digest && image.status !== 'failed')
    .map(image => `${image.destination}@${image.digest}`)
}
