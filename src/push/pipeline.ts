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
  seconds: number
}

/** A result of the report, under its kind. */
export type KindResult =
  { kind: 'image'; result: ImageResult } | { kind: 'chart'; result: ChartResult }

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
  /** The result object of the report. */
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
  /** Which batch and source: the targets of one source are pushed in order. */
  group: string
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
  const sourcesOf = (adapter: Adapter<unknown>): unknown[] =>
    batches
      .filter(batch => batch.adapter === adapter)
      .flatMap(batch => batch.entries.map(entry => entry.source))
  const read = Promise.all(adapters.map(adapter => adapter.read(sourcesOf(adapter))))
  // Whoever awaits it hears why; a tool or registry failure may come first.
  read.catch(() => undefined)
  const ready = await Promise.all(adapters.map(async adapter => adapter.prepare?.()))
  for (const line of ready) if (line) log.info(line)

  const nextOf = new Map(adapters.map(adapter => [adapter, 0]))
  const planned: (Planned & { at: number })[] = batches.flatMap((batch, b) =>
    batch.entries.flatMap((entry, e) => {
      // Where this source is in its kind's read.
      const at = nextOf.get(batch.adapter) ?? 0
      nextOf.set(batch.adapter, at + 1)
      return entry.destinations.map(destination => {
        const target = { source: entry.source, destination }
        const label = batch.adapter.label(target)
        return { adapter: batch.adapter, target, label, group: `${b}/${e}`, at }
      })
    })
  )
  const contents = read.then(all =>
    planned.map(({ adapter, at }) => all[adapters.indexOf(adapter)][at])
  )
  const expected = contents.then(all => all.map(content => content.expected))
  expected.catch(() => undefined)
  return {
    targets: planned.map(({ target }) => target.destination),
    expected,
    refuseConflicts: states =>
      refuseConflicts(
        settings.ifExists,
        planned.map(({ label }, index) => ({ reference: label.reference, state: states[index] }))
      ),
    push: async check => {
      const read = await contents
      // The decision is made here, once per target; every later step reads it.
      const decided = planned.map((planned, index) => ({
        ...planned,
        content: read[index],
        state: check.states[index],
        decision: decide(settings.ifExists, check.states[index])
      }))
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
  targets: Decided[],
  client: RegistryClient | undefined,
  settings: PipelineSettings,
  log: Log,
  options: PipelineOptions
): Promise<Report> {
  const { host } = settings.registry
  const retry = { retries: settings.retries, baseDelayMs: options.retryBaseDelayMs }
  const loginContext = (tool: string): FailureContext => ({
    action: 'login',
    tool,
    host,
    project: settings.registry.path.split('/')[0],
    username: settings.credentials?.username
  })
  const pushing = targets.filter(target => target.decision === 'push')
  const loggingIn = new Set((settings.dryRun ? targets : pushing).map(target => target.adapter))
  for (const adapter of loggingIn) {
    if (!adapter.login) continue
    const credentials = settings.credentials
    if (!credentials) {
      log.info(
        `No username/password given: relying on the existing ${adapter.tool} login for ${host}`
      )
      continue
    }
    await withRetries(
      () => adapter.login!(host, credentials),
      error => translateFailure(error, loginContext(adapter.tool)),
      {
        ...retry,
        onRetry: (attempt, error, delay) =>
          log.warning(
            `${adapter.tool} login attempt ${attempt} failed, retrying in ${delay} ms: ${error.message}`
          )
      }
    )
    log.info(
      `Logged in to ${host} as ${credentials.username} (${adapter.tool}, ${adapter.loginKept ?? 'private credentials'})`
    )
  }
  if (settings.dryRun) return reportOf(dryRun(targets, settings, log))

  // Parallel across sources, in order across the tags of one source: the
  // first push uploads the layers, the next tags only add a manifest, and two
  // uploads of the same layers never race each other.
  const bySource = new Map<string, Decided[]>()
  for (const target of targets) {
    bySource.set(target.group, [...(bySource.get(target.group) ?? []), target])
  }
  const groups = [...bySource.values()]
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
  const run: Run = {
    log,
    client,
    retry,
    loginContext,
    heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
    progress: { done: 0, total: pushing.length }
  }
  const perSource = await mapAfter(
    groups,
    settings.parallel,
    index => after[index],
    async group => {
      const results: KindResult[] = []
      for (const target of group) results.push(await handleTarget(target, run))
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
function dryRun(targets: Decided[], settings: PipelineSettings, log: Log): KindResult[] {
  const titles: Record<KindResult['kind'], (count: number) => string> = {
    image: count => `${count} destinations`,
    chart: count => `${count} ${count === 1 ? 'chart' : 'charts'}`
  }
  for (const kind of ['image', 'chart'] as const) {
    const ofKind = targets.filter(target => target.adapter.kind === kind)
    if (ofKind.length === 0) continue
    log.group(
      `Dry run: the plan for ${titles[kind](ofKind.length)}; nothing is pushed`,
      ofKind.map(
        ({ label, state }) =>
          `${label.reference}: ${label.plan ?? ''}${planLine(settings.ifExists, state)}`
      )
    )
  }
  return targets.map(({ adapter, target, content, state, decision }) =>
    adapter.result(target, content, {
      digest: stateDigest(state),
      status: decision === 'unchanged' ? 'unchanged' : 'skipped',
      ...(decision === 'push' ? { error: 'dry run: would push' } : {}),
      seconds: 0
    })
  )
}

interface Run {
  log: Log
  client?: RegistryClient
  retry: { retries: number; baseDelayMs?: number }
  loginContext: (tool: string) => FailureContext
  heartbeatMs: number
  progress: { done: number; total: number }
}

/** One target: unchanged, skipped, or pushed with retries and read back; never throws. */
async function handleTarget(planned: Decided, run: Run): Promise<KindResult> {
  const { adapter, target, content, label, state, decision } = planned
  const { log, client, progress } = run
  if (decision !== 'push') {
    const digest = stateDigest(state)
    log.info(
      decision === 'unchanged'
        ? `Unchanged: ${label.reference} already holds ${label.source} (${digest})`
        : `Skipped: ${label.reference} ${heldBy(state)}; if-exists: skip`
    )
    const status = decision === 'unchanged' ? 'unchanged' : 'skipped'
    return adapter.result(target, content, { status, digest, seconds: 0 })
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
  }, run.heartbeatMs)
  const notes: string[] = []
  const context: FailureContext = {
    ...run.loginContext(adapter.tool),
    action: 'push',
    project: projectOf(target.destination),
    reference: label.reference
  }
  let outcome: Outcome
  try {
    const pushed = await withRetries(
      () => adapter.push(target, content, client),
      error => translateFailure(error, context),
      {
        ...run.retry,
        onRetry: (attempt, error, delay) =>
          notes.push(`attempt ${attempt} failed, retried after ${delay} ms: ${error.message}`)
      }
    )
    notes.push(...(pushed.notes ?? []))
    const note = client && (await readBack(client, target.destination, pushed.digest, context))
    if (note) notes.push(note)
    outcome = {
      digest: pushed.digest,
      status: 'pushed',
      ...(pushed.reference ? { reference: pushed.reference } : {}),
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
  return adapter.result(target, content, outcome)
}

/** The result group's digest line, or its error line when the push failed. */
export function digestLine(outcome: Outcome): string {
  return outcome.digest ? `digest:      ${outcome.digest}` : `error:       ${outcome.error ?? ''}`
}

function reportOf(results: KindResult[]): Report {
  const report: Report = { images: [], charts: [] }
  for (const entry of results) {
    if (entry.kind === 'image') report.images.push(entry.result)
    else report.charts.push(entry.result)
  }
  return report
}

function since(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10
}
