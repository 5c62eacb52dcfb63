import { InputError, messageOf } from '../errors.js'
import type { Log } from '../log.js'
import type { RegistryClient } from '../registry/client.js'
import type { ArchiveSource, Credentials, Settings } from '../settings/settings.js'
import type { Skopeo } from '../tools/skopeo.js'
import type { ContainerTool, LocalImage } from '../tools/container-tool.js'
import { planImages, projectOf, repositoryAndTag } from './plan.js'
import { mapAfter } from '../pool.js'
import { decide, heldBy, planLine, refuseConflicts, stateDigest } from './decide.js'
import { landedAnyway, readBack } from './read-back.js'
import type { RegistryCheck } from './session.js'
import type { Expected, TagState, TagTarget } from './tag-state.js'
import type { ImageResult } from './results.js'
import { withRetries } from './retry.js'
import { type FailureContext, lastLine, translateFailure } from './translate.js'

/** How often a long push says it is still going. */
const HEARTBEAT_MS = 20_000

/** One destination reference and what is known about it before pushing. */
interface Target {
  source: string
  destination: string
  repository: string
  tag: string
  /** The source as read (its ID is the config digest the registry will hold). */
  local: LocalImage
  /** Where the source is when it is not in local storage. */
  archive?: ArchiveSource
  state: TagState
}

/** What pushes images: docker or podman for local storage, skopeo for archives and layouts. */
export interface ImageTools {
  /** When any image is in local storage. */
  container?: ContainerTool
  /** When any image is in an archive or layout. */
  skopeo?: Skopeo
}

/** Images whose tools are ready and whose sources are being read: what is left is the registry's word on each, then the push. */
export interface ImagePush {
  /** Every destination tag, in order. */
  targets: TagTarget[]
  /**
   * What each target holds once pushed, read from the sources; rejects when
   * one is missing from local storage or unreadable (bad input, whatever the
   * registry says).
   */
  expected: Promise<Expected[]>
  /** `if-exists: fail`: throws, naming every destination holding other content (`states` in the order of `targets`). */
  refuseConflicts(states: readonly TagState[]): void
  /** Logs in and pushes (in a dry run: logs in and prints the plan). */
  push(check: RegistryCheck): Promise<ImageResult[]>
}

/**
 * Everything about the images that needs no registry: the tools checked,
 * each destination planned, every source being read (from local storage,
 * archives and layouts) while the registry is asked. Throws when a tool does
 * not work; a missing source rejects `expected`.
 */
export async function prepareImagePush(
  settings: Settings,
  tools: ImageTools,
  log: Log
): Promise<ImagePush> {
  const plans = planImages(settings)
  // Local storage is read while the tools are checked (each is a tool start
  // of its own); a tool that does not work is still the error reported first.
  const local = readSources(plans, tools)
  local.catch(() => undefined)
  const [container, skopeo] = await Promise.all([
    tools.container?.prepare(settings.registry.host),
    tools.skopeo?.prepare()
  ])
  if (container) log.info(`Using ${container}`)
  if (skopeo) log.info(`Using ${skopeo} for archives and layouts`)

  const destinations = plans.flatMap((plan, index) =>
    plan.destinations.map(destination => ({
      source: plan.source,
      ...(plan.archive ? { archive: plan.archive } : {}),
      image: index,
      destination,
      ...repositoryAndTag(destination)
    }))
  )
  const expected = local.then(images =>
    destinations.map(target => expectedOf(images[target.image]))
  )
  // Whoever awaits it hears why; a registry failure may come first.
  expected.catch(() => undefined)
  return {
    targets: destinations.map(({ repository, tag }) => ({ repository, tag })),
    expected,
    refuseConflicts: states =>
      refuseConflicts(
        settings.ifExists,
        destinations.map((target, index) => ({
          reference: target.destination,
          state: states[index]
        }))
      ),
    push: async check => {
      const images = await local
      const targets: Target[] = destinations.map(({ image, ...target }, index) => ({
        ...target,
        local: images[image],
        state: check.states[index]
      }))
      return pushTargets(settings, tools, log, targets, check.client)
    }
  }
}

/**
 * Logs the tool in (when there is anything to push, or in a dry run as the
 * check that the secret works) and pushes every target that needs it with
 * bounded parallelism and retries, reading each digest back.
 */
async function pushTargets(
  settings: Settings,
  tools: ImageTools,
  log: Log,
  targets: Target[],
  client: RegistryClient | undefined
): Promise<ImageResult[]> {
  const { host } = settings.registry
  const context = (tool: string): FailureContext => ({
    action: 'login',
    tool,
    host,
    project: settings.registry.path.split('/')[0],
    username: settings.credentials?.username
  })
  const retry = { retries: settings.retries }
  const toPush = targets.filter(target => decide(settings.ifExists, target.state) === 'push')
  // Each tool that will push logs in: docker or podman for local images, skopeo for archives.
  const loggingIn: {
    name: string
    login: (host: string, credentials: Credentials) => Promise<void>
  }[] = []
  const needs = (archive: boolean): boolean =>
    (settings.dryRun ? targets : toPush).some(target => (target.archive !== undefined) === archive)
  if (tools.container && needs(false)) loggingIn.push(tools.container)
  if (tools.skopeo && needs(true))
    loggingIn.push({ name: 'skopeo', login: (h, c) => tools.skopeo!.login(h, c) })
  for (const tool of loggingIn) {
    if (!settings.credentials) {
      log.info(`No username/password given: relying on the existing ${tool.name} login for ${host}`)
      continue
    }
    const credentials = settings.credentials
    await withRetries(
      () => tool.login(host, credentials),
      error => translateFailure(error, context(tool.name)),
      {
        ...retry,
        onRetry: (attempt, error, delay) =>
          log.warning(`login attempt ${attempt} failed, retrying in ${delay} ms: ${error.message}`)
      }
    )
    log.info(`Logged in to ${host} as ${credentials.username} (${tool.name}, private credentials)`)
  }
  if (settings.dryRun) return dryRunResults(settings, targets, log)

  // Parallel across images, in order across the tags of one image: the first
  // push uploads the layers, the next tags of that image only add a manifest,
  // and two uploads of the same layers never race each other.
  const bySource = new Map<string, Target[]>()
  for (const target of targets) {
    bySource.set(target.source, [...(bySource.get(target.source) ?? []), target])
  }
  const groups = [...bySource.values()]
  const after = uploadOrder(groups, target => toPush.includes(target))
  if (after.some(earlier => earlier.length > 0)) {
    log.info(
      'Images that share layers with an earlier one start once it is pushed: each shared layer is uploaded once, then mounted'
    )
  }
  const progress = { done: 0, total: toPush.length }
  const run = { settings, tools, log, context, retry, progress, client }
  const perImage = await mapAfter(
    groups,
    settings.parallel,
    index => after[index],
    async group => {
      const results: ImageResult[] = []
      for (const target of group) results.push(await handleTarget(target, run))
      return results
    }
  )
  return perImage.flat()
}

/**
 * For each image (a group of targets with one source), the earlier images it
 * must wait for: those that upload first a layer it shares. Parallel pushes
 * of images with a common base would each upload the base at once (none can
 * mount what is not there yet); one after the other, the first uploads it
 * and the rest mount it. Images with nothing to push wait for nobody and
 * upload nothing.
 */
export function uploadOrder<T extends { local: LocalImage }>(
  groups: T[][],
  pushes: (target: T) => boolean
): number[][] {
  const uploader = new Map<string, number>()
  return groups.map((group, index) => {
    if (!group.some(pushes)) return []
    const after = new Set<number>()
    for (const layer of group[0].local.layers) {
      const first = uploader.get(layer)
      if (first === undefined) uploader.set(layer, index)
      else if (first !== index) after.add(first)
    }
    return [...after]
  })
}

/** The plan, printed; nothing pushed. Tags that would be pushed are reported as skipped. */
function dryRunResults(settings: Settings, targets: Target[], log: Log): ImageResult[] {
  log.group(
    `Dry run: the plan for ${targets.length} destinations; nothing is pushed`,
    targets.map(target => `${target.destination}: ${planLine(settings.ifExists, target.state)}`)
  )
  return targets.map(target => {
    const decision = decide(settings.ifExists, target.state)
    return {
      source: target.source,
      destination: target.destination,
      digest: stateDigest(target.state),
      status: decision === 'unchanged' ? 'unchanged' : 'skipped',
      ...(decision === 'push' ? { error: 'dry run: would push' } : {}),
      seconds: 0
    }
  })
}

interface TargetContext {
  settings: Settings
  tools: ImageTools
  log: Log
  context: (tool: string) => FailureContext
  retry: { retries: number; baseDelayMs?: number }
  progress: { done: number; total: number }
  client?: RegistryClient
}

/** One destination: unchanged, skipped, or pushed with retries and read back; never throws. */
async function handleTarget(target: Target, run: TargetContext): Promise<ImageResult> {
  const { source, destination } = target
  const platforms = target.local.platforms?.map(image => image.platform)
  const decision = decide(run.settings.ifExists, target.state)
  if (decision !== 'push') {
    const digest = stateDigest(target.state)
    run.log.info(
      decision === 'unchanged'
        ? `Unchanged: ${destination} already holds ${source} (${digest})`
        : `Skipped: ${destination} ${heldBy(target.state)}; if-exists: skip`
    )
    return {
      source,
      destination,
      digest,
      status: decision === 'unchanged' ? 'unchanged' : 'skipped',
      ...(platforms && decision === 'unchanged' ? { platforms } : {}),
      seconds: 0
    }
  }
  if (target.state.kind === 'different' || target.state.kind === 'unreadable') {
    run.log.warning(`Overwriting ${destination}: it ${heldBy(target.state)}; if-exists: overwrite`)
  }
  run.log.info(`Pushing ${source} -> ${destination}`)
  const started = Date.now()
  // Big images take minutes: say now and then that the push is alive.
  const heartbeat = setInterval(() => {
    run.log.info(
      `... still pushing ${destination} (${since(started)}s; ${run.progress.done}/${run.progress.total} done)`
    )
  }, HEARTBEAT_MS)
  const notes: string[] = []
  const toolName = target.archive ? 'skopeo' : (run.tools.container?.name ?? '')
  const pushContext: FailureContext = {
    ...run.context(toolName),
    action: 'push',
    project: projectOf(destination),
    reference: destination
  }
  let result: ImageResult
  try {
    const digest = await withRetries(
      () => pushOne(run.tools, target),
      error => translateFailure(error, pushContext),
      {
        ...run.retry,
        onRetry: (attempt, error, delay) =>
          notes.push(`attempt ${attempt} failed, retried after ${delay} ms: ${error.message}`)
      }
    )
    const note = run.client && (await readBack(run.client, target, digest, pushContext))
    if (note) notes.push(note)
    result = {
      source,
      destination,
      digest,
      status: 'pushed',
      ...(note ? { note } : {}),
      seconds: since(started)
    }
  } catch (error) {
    // A tool may fail after the registry took the push: say what the registry holds, not what the tool said.
    const landed = run.client && (await landedAnyway(run.client, target, expectedOf(target.local)))
    const note = `${toolName} reported a failure after the push landed (${lastLine(messageOf(error))}); the registry holds this image`
    result = landed
      ? { source, destination, digest: landed, status: 'pushed', note, seconds: since(started) }
      : {
          source,
          destination,
          digest: '',
          status: 'failed',
          error: messageOf(error),
          seconds: since(started)
        }
    if (landed) notes.push(note)
  }
  clearInterval(heartbeat)
  if (platforms && result.status === 'pushed') result.platforms = platforms
  run.progress.done++
  run.log.group(
    `${result.status} ${destination} (${run.progress.done}/${run.progress.total}, ${result.seconds}s)`,
    [
      `source:      ${source}`,
      `destination: ${destination}`,
      result.digest ? `digest:      ${result.digest}` : `error:       ${result.error ?? ''}`,
      ...(result.platforms ? [`platforms:   ${result.platforms.join(', ')}`] : []),
      ...notes
    ]
  )
  return result
}

/** What a tag holds once this image is in it: its ID, or each platform's for a multi-platform image. */
function expectedOf(image: LocalImage): Expected {
  if (image.digest) return { manifestDigest: image.digest }
  return image.platforms
    ? { platformIds: image.platforms.map(platform => platform.id) }
    : { configDigest: image.id }
}

/** Pushes one target with the tool its source needs; returns the digest the tool reported. */
function pushOne(tools: ImageTools, target: Target): Promise<string> {
  if (target.archive) {
    if (!tools.skopeo) throw new Error('an archive source without skopeo')
    return tools.skopeo.push(target.archive, target.destination)
  }
  if (!tools.container) throw new Error('a local source without a container tool')
  return tools.container.push(target.source, target.destination, target.local)
}

/**
 * Every source, in order: local storage asked once for all of its images,
 * archives and layouts read alongside. Every missing local image is named
 * at once, and an unreadable archive is an input error, before anything is
 * pushed.
 */
async function readSources(
  plans: { source: string; archive?: ArchiveSource }[],
  tools: ImageTools
): Promise<LocalImage[]> {
  const local = plans.filter(plan => !plan.archive).map(plan => plan.source)
  const [stored, archives] = await Promise.all([
    local.length > 0 && tools.container ? tools.container.localImages(local) : [],
    Promise.all(
      plans.map(async plan =>
        plan.archive && tools.skopeo ? tools.skopeo.inspect(plan.archive) : undefined
      )
    )
  ])
  const missing = local.filter((_, index) => stored[index] === undefined)
  if (missing.length > 0 && tools.container) {
    const tool = tools.container.name
    const names = missing.map(source => `"${source}"`).join(', ')
    throw new InputError(
      `${names} not in local ${tool} storage; check the source tag / path (\`${tool} images\`). Nothing was pushed.`
    )
  }
  let next = 0
  return plans.map((plan, index) => {
    const image = plan.archive ? archives[index] : stored[next++]
    if (!image) throw new Error(`no image read for "${plan.source}"`)
    return image
  })
}

function since(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10
}
