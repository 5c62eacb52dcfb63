import path from 'node:path'
import {
  type PreparedChart,
  chartReference,
  inspectCharts,
  packageCharts
} from '../charts/prepare.js'
import { messageOf } from '../errors.js'
import type { Log } from '../log.js'
import type { Settings } from '../settings/settings.js'
import type { PrivatePaths } from '../tools/container-tool.js'
import type { Runner } from '../tools/exec.js'
import { Helm } from '../tools/helm.js'
import { type HelmLocation, locateHelm } from '../tools/helm-install.js'
import { mapWithLimit } from './pool.js'
import type { ChartResult } from './results.js'
import { withRetries } from './retry.js'
import { type FailureContext, translateFailure } from './translate.js'

/** Charts checked and packaged, helm ready: what is left is to push them. */
export interface ChartPush {
  charts: PreparedChart[]
  /** Logs in and pushes (in a dry run: logs in and says what it would push). */
  push(options?: ChartPushOptions): Promise<ChartResult[]>
}

/**
 * Everything about the charts that can fail without pushing anything: each
 * chart read and checked, helm found (or installed), the registry's scheme
 * and the flags it needs worked out, the chart folders packaged. Throws on
 * any problem; a front end calls this before it pushes images too.
 */
export async function prepareChartPush(
  settings: Settings,
  run: Runner,
  paths: PrivatePaths,
  log: Log,
  locate: typeof locateHelm = locateHelm
): Promise<ChartPush> {
  const inspected = await inspectCharts(settings, log)
  const location = await locate(settings, path.join(paths.dir, 'helm-install'), log)
  const helm = new Helm(run, location.binary, paths, {
    tlsVerify: settings.tlsVerify,
    caFile: settings.caFile
  })
  log.info(usingHelm((await helm.version()).text, location, settings.helmVersion))
  const scheme = await helm.connect(settings.registry.host, settings.credentials !== undefined)
  if (scheme === 'http') {
    log.info(`${settings.registry.host} speaks plain HTTP: helm uses --plain-http`)
  }
  const charts = await packageCharts(inspected, helm, path.join(paths.dir, 'charts'), settings, log)
  return { charts, push: options => pushCharts(settings, helm, charts, log, options) }
}

function usingHelm(version: string, location: HelmLocation, wanted: string): string {
  if (location.from === 'PATH') {
    return `Using helm ${version} from PATH (${location.binary}); helm-version ${wanted} is installed only when helm is not on PATH`
  }
  return `Using helm ${version} (${location.from === 'download' ? 'downloaded, checked against its sha256 and cached' : 'from the tool cache'}: ${location.binary})`
}

/** A dry run: everything was checked and packaged; say what would be pushed, push nothing. */
function dryRunCharts(
  settings: Pick<Settings, 'registry'>,
  charts: readonly PreparedChart[],
  log: Log
): ChartResult[] {
  const references = charts.map(chart => chartReference(settings.registry.prefix, chart))
  log.group(
    `Dry run: the plan for ${charts.length} ${charts.length === 1 ? 'chart' : 'charts'}; nothing is pushed`,
    charts.map((chart, index) => `${references[index]}: would push ${chart.name} ${chart.version}`)
  )
  return charts.map((chart, index) => ({
    chart: chart.name,
    version: chart.version,
    reference: references[index],
    digest: '',
    status: 'skipped',
    error: 'dry run: would push',
    seconds: 0
  }))
}

export interface ChartPushOptions {
  /** First retry delay; tests shorten it. */
  retryBaseDelayMs?: number
}

/**
 * Logs helm in (when credentials are given: in a dry run too, as the check
 * that the secret works) and pushes every prepared chart
 * to `oci://<registry>` with bounded parallelism and retries. The charts were
 * checked and packaged before anything was pushed; a failed push is a result,
 * so the others go on. A rejected login throws.
 */
export async function pushCharts(
  settings: Pick<Settings, 'registry' | 'credentials' | 'parallel' | 'retries' | 'dryRun'>,
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
  if (settings.dryRun) return dryRunCharts(settings, charts, log)

  const progress = { done: 0, total: charts.length }
  return mapWithLimit(charts, settings.parallel, async chart => {
    const reference = chartReference(prefix, chart)
    log.info(`Pushing chart ${chart.name} ${chart.version} -> ${reference}`)
    const started = Date.now()
    const notes: string[] = []
    const pushContext: FailureContext = {
      ...context,
      action: 'push',
      // Without a path, Harbor takes the chart name for the project.
      project: context.project || chart.name,
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
      // TODO(issue 4): confirm pushed.digest by reading the manifest back with the
      // registry API client (src/registry/client.ts) once it lands; until then the
      // digest is the one helm printed.
      result = {
        chart: chart.name,
        version: chart.version,
        reference: `oci://${pushed.pushed}`,
        digest: pushed.digest,
        status: 'pushed',
        seconds: since(started)
      }
    } catch (error) {
      result = {
        chart: chart.name,
        version: chart.version,
        reference,
        digest: '',
        status: 'failed',
        error: messageOf(error),
        seconds: since(started)
      }
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
