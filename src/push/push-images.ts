import { InputError, messageOf } from '../errors.js'
import type { Log } from '../log.js'
import type { Settings } from '../settings/settings.js'
import type { ContainerTool } from '../tools/container-tool.js'
import { type ImagePlan, planImages, projectOf } from './plan.js'
import { mapWithLimit } from './pool.js'
import type { ImageResult } from './results.js'
import { withRetries } from './retry.js'
import { type FailureContext, translateFailure } from './translate.js'

export interface PushOptions {
  /** First retry delay; tests shorten it. */
  retryBaseDelayMs?: number
}

/**
 * The image push from start to end: check the tool and every source image,
 * log in, push each destination with bounded parallelism and retries.
 * Anything wrong with the inputs or local storage throws before the first
 * push; a failed push is a result, so the others go on.
 */
export async function pushImages(
  settings: Settings,
  tool: ContainerTool,
  log: Log,
  options: PushOptions = {}
): Promise<ImageResult[]> {
  const { host } = settings.registry
  log.info(`Using ${await tool.prepare(host)}`)

  const plans = planImages(settings)
  await checkSourcesPresent(plans, tool)

  const context: FailureContext = {
    action: 'login',
    tool: tool.name,
    host,
    project: settings.registry.path.split('/')[0],
    username: settings.credentials?.username
  }
  const retry = { retries: settings.retries, baseDelayMs: options.retryBaseDelayMs }
  if (settings.credentials) {
    const credentials = settings.credentials
    await withRetries(
      () => tool.login(host, credentials),
      error => translateFailure(error, context),
      {
        ...retry,
        onRetry: (attempt, error, delay) =>
          log.warning(`login attempt ${attempt} failed, retrying in ${delay} ms: ${error.message}`)
      }
    )
    log.info(`Logged in to ${host} as ${credentials.username} (${tool.name}, private credentials)`)
  } else {
    log.info(`No username/password given: relying on the existing ${tool.name} login for ${host}`)
  }

  // Parallel across images, in order across the tags of one image: the first
  // push uploads the layers, the next tags of that image only add a manifest,
  // and two uploads of the same layers never race each other.
  const total = plans.reduce((sum, plan) => sum + plan.destinations.length, 0)
  const progress = { done: 0, total }
  const perImage = await mapWithLimit(plans, settings.parallel, async plan => {
    const results: ImageResult[] = []
    for (const destination of plan.destinations) {
      results.push(await pushOne(plan.source, destination, { tool, log, context, retry, progress }))
    }
    return results
  })
  return perImage.flat()
}

interface PushOneContext {
  tool: ContainerTool
  log: Log
  context: FailureContext
  retry: { retries: number; baseDelayMs?: number }
  progress: { done: number; total: number }
}

/** One destination: pushed with retries, or failed with the reason; never throws. */
async function pushOne(
  source: string,
  destination: string,
  { tool, log, context, retry, progress }: PushOneContext
): Promise<ImageResult> {
  log.info(`Pushing ${source} -> ${destination}`)
  const started = Date.now()
  const notes: string[] = []
  const pushContext: FailureContext = {
    ...context,
    action: 'push',
    project: projectOf(destination),
    reference: destination
  }
  let result: ImageResult
  try {
    const digest = await withRetries(
      () => tool.push(source, destination),
      error => translateFailure(error, pushContext),
      {
        ...retry,
        onRetry: (attempt, error, delay) =>
          notes.push(`attempt ${attempt} failed, retried after ${delay} ms: ${error.message}`)
      }
    )
    result = { source, destination, digest, status: 'pushed', seconds: since(started) }
  } catch (error) {
    const message = messageOf(error)
    result = {
      source,
      destination,
      digest: '',
      status: 'failed',
      error: message,
      seconds: since(started)
    }
  }
  progress.done++
  log.group(
    `${result.status} ${destination} (${progress.done}/${progress.total}, ${result.seconds}s)`,
    [
      `source:      ${source}`,
      `destination: ${destination}`,
      result.digest ? `digest:      ${result.digest}` : `error:       ${result.error ?? ''}`,
      ...notes
    ]
  )
  return result
}

/** Every source must be in local storage before anything is pushed; all missing ones are named at once. */
async function checkSourcesPresent(plans: ImagePlan[], tool: ContainerTool): Promise<void> {
  const missing: string[] = []
  for (const plan of plans) {
    if ((await tool.imageId(plan.source)) === undefined) missing.push(plan.source)
  }
  if (missing.length > 0) {
    const names = missing.map(source => `"${source}"`).join(', ')
    throw new InputError(
      `${names} not in local ${tool.name} storage; check the source tag / path (\`${tool.name} images\`). Nothing was pushed.`
    )
  }
}

function since(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10
}
