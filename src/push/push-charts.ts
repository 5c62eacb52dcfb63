import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {
  type PreparedChart,
  chartReference,
  inspectCharts,
  ociTag,
  packageCharts
} from '../charts/prepare.js'
import { messageOf } from '../errors.js'
import type { Log } from '../log.js'
import type { Settings } from '../settings/settings.js'
import type { PrivatePaths } from '../tools/container-tool.js'
import type { Runner } from '../tools/exec.js'
import { Helm } from '../tools/helm.js'
import { type HelmLocation, locateHelm } from '../tools/helm-install.js'
import type { RegistryClient } from '../registry/client.js'
import type { Scheme } from '../settings/tls.js'
import { decide, heldBy, planLine, refuseConflicts, stateDigest } from './decide.js'
import { landedAnyway, readBack } from './read-back.js'
import { mapWithLimit } from '../pool.js'
import type { RegistryCheck } from './session.js'
import type { Expected, TagState, TagTarget } from './tag-state.js'
import type { ChartResult } from './results.js'
import { withRetries } from './retry.js'
import { type FailureContext, lastLine, translateFailure } from './translate.js'

/** Charts read and checked, helm found: nothing asked of the registry yet. */
export interface FoundCharts {
  /**
   * Tells helm the registry's scheme (with the flags the TLS settings need:
   * an InputError when they cannot be met) and packages the chart folders.
   */
  package(scheme: Scheme): Promise<ChartPush>
}

/** Charts checked and packaged, helm ready: what is left is the registry's word on each, then the push. */
export interface ChartPush {
  /** Where each chart goes, and its `.tgz` digest (what the tag holds once it is there). */
  targets: (TagTarget & Expected)[]
  /** `if-exists: fail`: throws, naming every chart whose tag holds other content (`states` in the order of `targets`). */
  refuseConflicts(states: readonly TagState[]): void
  /** Logs in and pushes (in a dry run: logs in and says what it would push). */
  push(check: RegistryCheck): Promise<ChartResult[]>
}

/**
 * Everything about the charts that can fail without asking the registry:
 * each chart read and checked, helm found (or installed). Then `package`,
 * once the registry's scheme is known. Throws on any problem; a front end
 * calls this before it checks the images and the registry.
 */
export async function findCharts(
  settings: Settings,
  run: Runner,
  paths: PrivatePaths,
  log: Log,
  locate: typeof locateHelm = locateHelm
): Promise<FoundCharts> {
  const inspected = await inspectCharts(settings, log)
  const location = await locate(settings, path.join(paths.dir, 'helm-install'), log)
  const helm = new Helm(run, location.binary, paths, {
    tlsVerify: settings.tlsVerify,
    caFile: settings.caFile
  })
  log.info(usingHelm((await helm.version()).text, location, settings.helmVersion))
  return {
    package: async scheme => {
      await helm.connect(settings.registry.host, settings.credentials !== undefined, scheme)
      if (scheme === 'http') {
        log.info(`${settings.registry.host} speaks plain HTTP: helm uses --plain-http`)
      }
      const charts = await packageCharts(
        inspected,
        helm,
        path.join(paths.dir, 'charts'),
        settings,
        log
      )
      // What each chart's tag holds now decides: the same .tgz (its one layer) is not pushed again.
      const targets = charts.map(chart => ({
        repository: [settings.registry.path, chart.name].filter(Boolean).join('/'),
        tag: ociTag(chart.version),
        layerDigest: `sha256:${crypto.createHash('sha256').update(fs.readFileSync(chart.file)).digest('hex')}`
      }))
      return {
        targets,
        refuseConflicts: states =>
          refuseConflicts(
            settings.ifExists,
            charts.map((chart, index) => ({
              reference: chartReference(settings.registry.prefix, chart),
              state: states[index]
            }))
          ),
        push: check =>
          pushCharts(settings, helm, charts, log, {
            plan: { states: check.states, client: check.client, targets }
          })
      }
    }
  }
}

function usingHelm(version: string, location: HelmLocation, wanted: string): string {
  if (location.from === 'PATH') {
    return `Using helm ${version} from PATH (${location.binary}); helm-version ${wanted} is installed only when helm is not on PATH`
  }
  return `Using helm ${version} (${location.from === 'download' ? 'downloaded, checked against its sha256 and cached' : 'from the tool cache'}: ${location.binary})`
}

/** A dry run: everything was checked and packaged; say what would be pushed, push nothing. */
function dryRunCharts(
  settings: Pick<Settings, 'registry' | 'ifExists'>,
  charts: readonly PreparedChart[],
  states: readonly TagState[],
  log: Log
): ChartResult[] {
  const references = charts.map(chart => chartReference(settings.registry.prefix, chart))
  log.group(
    `Dry run: the plan for ${charts.length} ${charts.length === 1 ? 'chart' : 'charts'}; nothing is pushed`,
    charts.map(
      (chart, index) =>
        `${references[index]}: ${chart.name} ${chart.version} ${planLine(settings.ifExists, states[index])}`
    )
  )
  return charts.map((chart, index) => {
    const decision = decide(settings.ifExists, states[index])
    return {
      chart: chart.name,
      version: chart.version,
      reference: references[index],
      digest: stateDigest(states[index]),
      status: decision === 'unchanged' ? 'unchanged' : 'skipped',
      ...(decision === 'push' ? { error: 'dry run: would push' } : {}),
      seconds: 0
    }
  })
}

export interface ChartPushOptions {
  /** First retry delay; tests shorten it. */
  retryBaseDelayMs?: number
  /** What the registry said before the push (per chart, in order); without it every chart is pushed. */
  plan?: {
    states: TagState[]
    /** Where each chart goes, and its `.tgz` digest (what the tag holds once it is there). */
    targets: (TagTarget & Expected)[]
    /** For reading each digest back after its push. */
    client?: RegistryClient
  }
}

/**
 * Logs helm in (when credentials are given: in a dry run too, as the check
 * that the secret works) and pushes every prepared chart
 * to `oci://<registry>` with bounded parallelism and retries. The charts were
 * checked and packaged before anything was pushed; a failed push is a result,
 * so the others go on. A rejected login throws.
 */
export async function pushCharts(
  settings: Pick<
    Settings,
    'registry' | 'credentials' | 'parallel' | 'retries' | 'dryRun' | 'ifExists'
  >,
  helm: Pick<Helm, 'login' | 'push'>,
  charts: readonly PreparedChart[],
  log: Log,
  options: ChartPushOptions = {}
): Promise<ChartResult[]> {
  const { host, prefix } = settings.registry
  const context: FailureContext = {
    action: 'login',
    tool: 'helm',
    host,
    project: settings.registry.path.split('/')[0],
    username: settings.credentials?.username
  }
  const retry = { retries: settings.retries, baseDelayMs: options.retryBaseDelayMs }
  if (settings.credentials) {
    const credentials = settings.credentials
    await withRetries(
      () => helm.login(host, credentials),
      error => translateFailure(error, context),
      {
        ...retry,
        onRetry: (attempt, error, delay) =>
          log.warning(
            `helm login attempt ${attempt} failed, retrying in ${delay} ms: ${error.message}`
          )
      }
    )
    log.info(`Logged in to ${host} as ${credentials.username} (helm, private registry config)`)
  } else {
    log.info(`No username/password given: relying on the existing helm login for ${host}`)
  }
  const states: TagState[] = options.plan?.states ?? charts.map(() => ({ kind: 'unknown' }))
  if (settings.dryRun) return dryRunCharts(settings, charts, states, log)

  const progress = {
    done: 0,
    total: states.filter(state => decide(settings.ifExists, state) === 'push').length
  }
  return mapWithLimit(charts, settings.parallel, async (chart, index) => {
    const reference = chartReference(prefix, chart)
    const state = states[index]
    const decision = decide(settings.ifExists, state)
    if (decision !== 'push') {
      log.info(
        decision === 'unchanged'
          ? `Unchanged: ${reference} already holds ${chart.name} ${chart.version} (${stateDigest(state)})`
          : `Skipped: ${reference} ${heldBy(state)}; if-exists: skip`
      )
      const status = decision === 'unchanged' ? 'unchanged' : 'skipped'
      return {
        chart: chart.name,
        version: chart.version,
        reference,
        digest: stateDigest(state),
        status,
        seconds: 0
      }
    }
    if (state.kind === 'different' || state.kind === 'unreadable') {
      log.warning(`Overwriting ${reference}: it ${heldBy(state)}; if-exists: overwrite`)
    }
    log.info(`Pushing chart ${chart.name} ${chart.version} -> ${reference}`)
    const started = Date.now()
    const notes: string[] = []
    const pushContext: FailureContext = {
      ...context,
      action: 'push',
      project: context.project,
      reference
    }
    let result: ChartResult
    try {
      const pushed = await withRetries(
        () => helm.push(chart.file, prefix),
        error => translateFailure(error, pushContext),
        {
          ...retry,
          onRetry: (attempt, error, delay) =>
            notes.push(`attempt ${attempt} failed, retried after ${delay} ms: ${error.message}`)
        }
      )
      if (`oci://${pushed.pushed}` !== reference) {
        notes.push(`helm reported ${pushed.pushed}, not ${reference.slice('oci://'.length)}`)
      }
      const client = options.plan?.client
      const target = options.plan?.targets[index]
      const note = client && target && (await readBack(client, target, pushed.digest, pushContext))
      if (note) notes.push(note)
      result = {
        chart: chart.name,
        version: chart.version,
        reference: `oci://${pushed.pushed}`,
        digest: pushed.digest,
        status: 'pushed',
        ...(note ? { note } : {}),
        seconds: since(started)
      }
    } catch (error) {
      // helm may fail after the registry took the push: say what the registry holds.
      const client = options.plan?.client
      const target = options.plan?.targets[index]
      const landed = client && target && (await landedAnyway(client, target, target))
      const note = `helm reported a failure after the push landed (${lastLine(messageOf(error))}); the registry holds this chart`
      result = {
        chart: chart.name,
        version: chart.version,
        reference,
        ...(landed
          ? { digest: landed, status: 'pushed', note }
          : { digest: '', status: 'failed', error: messageOf(error) }),
        seconds: since(started)
      }
      if (landed) notes.push(note)
    }
    progress.done++
    log.group(
      `${result.status} chart ${result.reference} (${progress.done}/${progress.total}, ${result.seconds}s)`,
      [
        `chart:       ${chart.name} ${chart.version}`,
        `file:        ${chart.file}`,
        `reference:   ${result.reference}`,
        result.digest ? `digest:      ${result.digest}` : `error:       ${result.error ?? ''}`,
        ...notes
      ]
    )
    return result
  })
}

function since(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10
}
