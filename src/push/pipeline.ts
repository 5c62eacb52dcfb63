/**
 * The one push pipeline: every kind of source (local images, archives and
 * layouts, charts) goes through the same steps here, and only an adapter per
 * kind says how to read, push and name it.
 */
import { messageOf } from '../errors.js'
import type { Log } from '../log.js'
import { mapAfter } from '../pool.js'
import type { RegistryClient } from '../registry/client.js'
import type { Credentials, Settings } from '../settings/settings.js'
import { type Decision, decide, heldBy, planLine, refuseConflicts, stateDigest } from './decide.js'
import { type Destination, projectOf } from './destination.js'
import { landedAnyway, readBack } from './read-back.js'
import type { ChartResult, ImageResult, Report, Status } from './results.js'
import { withRetries } from './retry.js'
import type { RegistryCheck } from './session.js'
import type { Expected, TagState } from './tag-state.js'
import { type FailureContext, lastLine, translateFailure } from './translate.js'

/** How often a long push says it is still going. */
const HEARTBEAT_MS = 20_000

/** One push: a source of some kind to one destination tag. */
export interface Target<S> {
  readonly source: S
  readonly destination: Destination
}

/** What reading a source tells, before the registry is asked. */
export interface Content {
  /** What the tag holds once pushed: compared before the push (unchanged?) and after a failed one (landed anyway?). */
  expected: Expected
  /** Blobs other sources may share (layer diff IDs): sources sharing one push one after the other, so it is uploaded once, then mounted. */
  layers?: readonly string[]
}

/** What one push reports. */
export interface Pushed {
  /** The manifest digest the registry holds now. */
  digest: string
  /** Where the tool says it pushed, when it names it (helm): the result's reference. */
  reference?: string
  /** Anything a person should read in the result's log group. */
  notes?: string[]
  /** A line for the result itself (the job summary, the table): what the push moved. */
  note?: string
  /** The platforms of the index pushed, when the registry told them (not known from the source). */
  platforms?: string[]
}

/** How logs, errors and results name a target. */
export interface Label {
  /** The destination as logs, errors and results name it: `host/repo:tag`, `oci://host/repo:tag`. */
  reference: string
  /** What it holds, in words: `app:v1`, `mychart 1.0.0`. */
  source: string
  /** Put before `source` when a push is announced and before the result group's reference: '', 'chart '. */
  noun: string
  /** Put before the decision in the dry run's plan line (a chart's name and version: its tag may differ). */
  plan?: string
}

/** What became of one target, whatever its kind. */
export interface Outcome {
  status: Status
  /** '' when the push failed. */
  digest: string
  error?: string
  note?: string
  /** Where the tool says it pushed, when it names it. */
  reference?: string
  /** The platforms of the index the tag holds, as the registry lists them (when it was read). */
  platforms?: string[]
  seconds: number
}

/** What only one kind's results hold; the pipeline adds the digest, status, error, note and seconds. */
export type KindResult =
  | { kind: 'image'; fields: Pick<ImageResult, 'source' | 'destination' | 'platforms'> }
  | { kind: 'chart'; fields: Pick<ChartResult, 'chart' | 'version' | 'reference'> }

/**
 * One kind of source (a local image, an archive or layout, a chart): what
 * the pipeline needs to know of it. Everything else is the pipeline's, the
 * same for every kind: the decision (fixed once per target after the
 * preflight), the logins, the dry run, the heartbeat, bounded parallelism
 * (sources sharing layers wait for each other), retries, the read-back, the
 * "landed anyway" check, progress and the result's log group.
 *
 * To add a kind (a `docker://` source, an OCI layout copied by the project's
 * own registry client): write one file in `push/adapters/` with a source type
 * `S` (what the settings name), a content type `C` extending `Content` (what
 * `read` learns) and a function returning an `Adapter<S, C>`; leave out
 * `prepare` when no tool must be checked and `login` when it pushes with the
 * `client` handed to `push` (the session's RegistryClient) instead of a tool
 * with a login of its own. Then build one `Batch` of it where the settings are
 * planned (`plan.ts`) and pass it to `preparePush` with the others. Nothing in
 * the pipeline changes.
 */
export interface Adapter<S, C extends Content = Content> {
  /** Whose results these are: the report's (and the outputs') `images` or `charts`. */
  readonly kind: KindResult['kind']
  /** What pushes, as logs and advice name it: 'podman', 'skopeo', 'helm'. */
  readonly tool: string
  /** Checks the tool works, while the sources are read; returns a line for the log. Throws when it does not. */
  prepare?(): Promise<string>
  /** Logs the tool in to `host`; left out when the kind pushes with the session's RegistryClient. */
  login?(host: string, credentials: Credentials): Promise<void>
  /** Where that login is kept, for the log: 'private credentials'. */
  readonly loginKept?: string
  /**
   * Reads every source of this kind, in order (one tool call where the tool
   * can); rejects with an InputError naming what is missing or unreadable.
   */
  read(sources: readonly S[]): Promise<C[]>
  /** Pushes one target (`client`: the session's, when the registry can be asked); throws what the tool said. */
  push(target: Target<S>, content: C, client: RegistryClient | undefined): Promise<Pushed>
  label(target: Target<S>): Label
  /** The result's own fields (`source`, `destination`: the `images` output; `chart`...: `charts`). */
  result(target: Target<S>, content: C, outcome: Outcome): KindResult
  /** The lines of the result's log group (the pipeline adds the notes); `digestLine` gives the digest's or error's. */
  describe(target: Target<S>, content: C, outcome: Outcome): string[]
}

/** The sources of one kind and where each goes. */
export interface Batch<S = unknown, C extends Content = Content> {
  adapter: Adapter<S, C>
  entries: readonly { source: S; destinations: readonly Destination[] }[]
}

export type PipelineSettings = Pick<
  Settings,
  'registry' | 'credentials' | 'ifExists' | 'dryRun' | 'parallel' | 'retries'
>

export interface PipelineOptions {
  /** How often a long push says it is still going; tests shorten it. */
  heartbeatMs?: number
  /** First retry delay; tests shorten it. */
  retryBaseDelayMs?: number
}

/** Sources being read, tools checked: what is left is the registry's word on each target, then the push. */
export interface PreparedPush {
  /** Every destination, in order (of the batches, their sources, their destinations). */
  targets: Destination[]
  /** What each target holds once pushed; rejects when a source is missing or unreadable. */
  expected: Promise<Expected[]>
  /** `if-exists: fail`: throws, naming every destination holding other content (`states` in the order of `targets`). */
  refuseConflicts(states: readonly TagState[]): void
  /** Logs in and pushes (in a dry run: logs in and prints the plan). */
  push(check: RegistryCheck): Promise<Report>
}

interface Planned {
  adapter: Adapter<unknown>
  target: Target<unknown>
  label: Label
  /** The source and its destinations, as the batch gave them. */
  entry: object
}

interface Decided extends Planned {
  content: Content
  state: TagState
  decision: Decision
}

/**
 * Starts reading every source while each kind's tool is checked (a tool
 * that does not work is the error thrown first; a missing source rejects
 * `expected`).
 */
export async function preparePush(
  batches: readonly Batch[],
  settings: PipelineSettings,
  log: Log,
  options: PipelineOptions = {}
): Promise<PreparedPush> {
  // One read and one tool check per kind, however many batches it has: local
  // storage is asked once for all of its images.
  const adapters = [...new Set(batches.map(batch => batch.adapter))]
  const read = Promise.all(
    adapters.map(async adapter => {
      const entries = batches.filter(batch => batch.adapter === adapter).flatMap(b => b.entries)
      const contents = await adapter.read(entries.map(entry => entry.source))
      return entries.map((entry, index) => [entry, contents[index]] as const)
    })
  ).then(pairs => new Map<object, Content>(pairs.flat()))
  // Whoever awaits it hears why; a tool or registry failure may come first.
  read.catch(() => undefined)
  const ready = await Promise.all(adapters.map(async adapter => adapter.prepare?.()))
  for (const line of ready) if (line) log.info(line)

  // The targets of one source, in order: they are pushed one after the other.
  const groups: Planned[][] = batches.flatMap(({ adapter, entries }) =>
    entries.map(entry =>
      entry.destinations.map(destination => {
        const target = { source: entry.source, destination }
        return { adapter, entry, target, label: adapter.label(target) }
      })
    )
  )
  const planned = groups.flat()
  const contents = read.then(held => planned.map(({ entry }) => held.get(entry)!))
  const expected = contents.then(all => all.map(content => content.expected))
  expected.catch(() => undefined)
  return {
    targets: planned.map(({ target }) => target.destination),
    expected,
    // One message naming every conflict, charts first (as the step always listed them).
    refuseConflicts: states => {
      const entries = planned.map(({ adapter, label }, index) => ({
        kind: adapter.kind,
        reference: label.reference,
        state: states[index]
      }))
      refuseConflicts(settings.ifExists, [
        ...entries.filter(entry => entry.kind === 'chart'),
        ...entries.filter(entry => entry.kind !== 'chart')
      ])
    },
    push: async check => {
      const everyContent = await contents
      let index = 0
      // The decision is made here, once per target; every later step reads it.
      const decided = groups.map(group =>
        group.map(planned => {
          const state = check.states[index]
          return {
            ...planned,
            content: everyContent[index++],
            state,
            decision: decide(settings.ifExists, state)
          }
        })
      )
      return runPipeline(decided, check.client, settings, log, options)
    }
  }
}

/**
 * Logs in each tool that will push (in a dry run every tool, as the check
 * that the secret works) and pushes every target that needs it, with bounded
 * parallelism and retries, reading each digest back. A rejected login throws;
 * a failed push is a result, and the others go on.
 */
async function runPipeline(
  groups: Decided[][],
  client: RegistryClient | undefined,
  settings: PipelineSettings,
  log: Log,
  options: PipelineOptions
): Promise<Report> {
  const { host } = settings.registry
  const retry = { retries: settings.retries, baseDelayMs: options.retryBaseDelayMs }
  const context = (tool: string): FailureContext => ({
    action: 'login',
    tool,
    host,
    project: settings.registry.path.split('/')[0],
    username: settings.credentials?.username
  })
  const targets = groups.flat()
  const pushing = targets.filter(target => target.decision === 'push')
  for (const adapter of new Set(
    (settings.dryRun ? targets : pushing).map(target => target.adapter)
  )) {
    const { tool, loginKept } = adapter
    const credentials = settings.credentials
    if (!adapter.login) continue
    if (!credentials) {
      log.info(`No username/password given: relying on the existing ${tool} login for ${host}`)
      continue
    }
    await withRetries(
      () => adapter.login!(host, credentials),
      error => translateFailure(error, context(tool)),
      {
        ...retry,
        onRetry: (attempt, error, delay) =>
          log.warning(
            `${tool} login attempt ${attempt} failed, retrying in ${delay} ms: ${error.message}`
          )
      }
    )
    log.info(
      `Logged in to ${host} as ${credentials.username} (${tool}, ${loginKept ?? 'private credentials'})`
    )
  }
  if (settings.dryRun) return reportOf(dryRun(targets, settings, log))

  const progress = { done: 0, total: pushing.length }
  /** One target: unchanged, skipped, or pushed with retries and read back; never throws. */
  const handle = async (planned: Decided): Promise<Finished> => {
    const { adapter, target, content, label, state, decision } = planned
    if (decision !== 'push') {
      log.info(
        decision === 'unchanged'
          ? `Unchanged: ${label.reference} already holds ${label.source} (${stateDigest(state)})`
          : `Skipped: ${label.reference} ${heldBy(state)}; if-exists: skip`
      )
      return finished(planned, standing(planned))
    }
    if (state.kind === 'different' || state.kind === 'unreadable') {
      log.warning(`Overwriting ${label.reference}: it ${heldBy(state)}; if-exists: overwrite`)
    }
    log.info(`Pushing ${label.noun}${label.source} -> ${label.reference}`)
    const started = Date.now()
    // Big images and charts take minutes: say now and then that the push is alive.
    const heartbeat = setInterval(() => {
      log.info(
        `... still pushing ${label.reference} (${since(started)}s; ${progress.done}/${progress.total} done)`
      )
    }, options.heartbeatMs ?? HEARTBEAT_MS)
    const notes: string[] = []
    const pushContext: FailureContext = {
      ...context(adapter.tool),
      action: 'push',
      project: projectOf(target.destination),
      reference: label.reference
    }
    let outcome: Outcome
    try {
      const pushed = await withRetries(
        () => adapter.push(target, content, client),
        error => translateFailure(error, pushContext),
        {
          ...retry,
          onRetry: (attempt, error, delay) =>
            notes.push(`attempt ${attempt} failed, retried after ${delay} ms: ${error.message}`)
        }
      )
      notes.push(...(pushed.notes ?? []))
      const readNote =
        client && (await readBack(client, target.destination, pushed.digest, pushContext))
      if (readNote) notes.push(readNote)
      const note = [pushed.note, readNote].filter(Boolean).join('; ')
      outcome = {
        digest: pushed.digest,
        status: 'pushed',
        ...(pushed.reference ? { reference: pushed.reference } : {}),
        ...(pushed.platforms ? { platforms: pushed.platforms } : {}),
        ...(note ? { note } : {}),
        seconds: since(started)
      }
    } catch (error) {
      // A tool may fail after the registry took the push: say what the registry holds, not what the tool said.
      const landed = client && (await landedAnyway(client, target.destination, content.expected))
      const note = `${adapter.tool} reported a failure after the push landed (${lastLine(messageOf(error))}); the registry holds this ${adapter.kind}`
      outcome = landed
        ? { digest: landed, status: 'pushed', note, seconds: since(started) }
        : { digest: '', status: 'failed', error: messageOf(error), seconds: since(started) }
      if (landed) notes.push(note)
    } finally {
      clearInterval(heartbeat)
    }
    progress.done++
    log.group(
      `${outcome.status} ${label.noun}${outcome.reference ?? label.reference} (${progress.done}/${progress.total}, ${outcome.seconds}s)`,
      [...adapter.describe(target, content, outcome), ...notes]
    )
    return finished(planned, outcome)
  }

  // Parallel across sources, in order across the tags of one source: the
  // first push uploads the layers, the next tags only add a manifest, and two
  // uploads of the same layers never race each other.
  const after = uploadOrder(
    groups,
    target => target.decision === 'push',
    target => target.content.layers ?? []
  )
  if (after.some(earlier => earlier.length > 0)) {
    log.info(
      'Images that share layers with an earlier one start once it is pushed: each shared layer is uploaded once, then mounted'
    )
  }
  const perSource = await mapAfter(
    groups,
    settings.parallel,
    index => after[index],
    async group => {
      const results: Finished[] = []
      for (const target of group) results.push(await handle(target))
      return results
    }
  )
  return reportOf(perSource.flat())
}

/**
 * For each group of targets with one source, the earlier groups it must
 * wait for: those that upload first a layer it shares. Parallel pushes of
 * images with a common base would each upload the base at once (none can
 * mount what is not there yet); one after the other, the first uploads it
 * and the rest mount it. Groups with nothing to push wait for nobody and
 * upload nothing.
 */
export function uploadOrder<T>(
  groups: T[][],
  pushes: (target: T) => boolean,
  layers: (target: T) => readonly string[]
): number[][] {
  const uploader = new Map<string, number>()
  return groups.map((group, index) => {
    if (!group.some(pushes)) return []
    const after = new Set<number>()
    for (const layer of layers(group[0])) {
      const first = uploader.get(layer)
      if (first === undefined) uploader.set(layer, index)
      else if (first !== index) after.add(first)
    }
    return [...after]
  })
}

/** The plan, printed per kind; nothing pushed. Targets that would be pushed are reported as skipped. */
function dryRun(targets: Decided[], settings: PipelineSettings, log: Log): Finished[] {
  for (const kind of ['image', 'chart'] as const) {
    const ofKind = targets.filter(target => target.adapter.kind === kind)
    const count = ofKind.length
    if (count === 0) continue
    log.group(
      `Dry run: the plan for ${count} ${kind === 'image' ? 'destinations' : count === 1 ? 'chart' : 'charts'}; nothing is pushed`,
      ofKind.map(
        ({ label, state }) =>
          `${label.reference}: ${label.plan ?? ''}${planLine(settings.ifExists, state)}`
      )
    )
  }
  return targets.map(target =>
    finished(target, {
      ...standing(target),
      ...(target.decision === 'push' ? { error: 'dry run: would push' } : {})
    })
  )
}

/** A target left as it stands: unchanged, or skipped (and, in a dry run, not pushed). */
function standing({ state, decision }: Decided): Outcome {
  const status = decision === 'unchanged' ? 'unchanged' : 'skipped'
  const platforms = state.kind === 'same' ? state.platforms : undefined
  return { digest: stateDigest(state), status, ...(platforms ? { platforms } : {}), seconds: 0 }
}

/** The result group's digest line, or its error line when the push failed. */
export function digestLine(outcome: Outcome): string {
  return outcome.digest ? `digest:      ${outcome.digest}` : `error:       ${outcome.error ?? ''}`
}

/** A target's outcome, and its kind's fields of the result. */
interface Finished {
  own: KindResult
  outcome: Outcome
}

function finished(
  { adapter, target, content }: Planned & { content: Content },
  outcome: Outcome
): Finished {
  return { own: adapter.result(target, content, outcome), outcome }
}

function reportOf(results: Finished[]): Report {
  const report: Report = { images: [], charts: [] }
  for (const { own, outcome } of results) {
    const { digest, status, error, note, seconds } = outcome
    const common = {
      digest,
      status,
      ...(error ? { error } : {}),
      ...(note ? { note } : {}),
      seconds
    }
    if (own.kind === 'image') report.images.push({ ...own.fields, ...common })
    else report.charts.push({ ...own.fields, ...common })
  }
  return report
}

function since(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10
}
