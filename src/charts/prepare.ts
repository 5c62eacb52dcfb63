/**
 * From the `charts` input to the .tgz files to push, in two steps so that
 * every problem is found before anything is pushed: `inspectCharts` reads and
 * checks every chart without running a tool; `packageCharts` packages the
 * chart folders with helm into the step's private directory.
 */
import fs from 'node:fs'
import path from 'node:path'
import { InputError, ToolError, messageOf } from '../errors.js'
import type { Log } from '../log.js'
import { chartVersionProblem } from '../settings/chart-inputs.js'
import type { Settings } from '../settings/settings.js'
import type { Helm } from '../tools/helm.js'
import { parseChartYaml } from './chart-yaml.js'
import { type DependencySteps, dependencySteps, preserveDependencyFiles } from './dependencies.js'
import { describe, readMetadata } from './metadata.js'
import { type ChartSource, resolveCharts } from './resolve.js'

/** A chart that passed every check, ready to be packaged (folders) or pushed (.tgz). */
export interface InspectedChart {
  source: ChartSource
  name: string
  /** The version it is pushed as: chart-version for folders when given, else Chart.yaml's. */
  version: string
  /** What packaging a folder needs first. */
  dependencies: DependencySteps
}

/** A packaged chart and where it goes. */
export interface PreparedChart extends InspectedChart {
  /** The .tgz to push: the user's own, or one packaged into the private directory. */
  file: string
}

type ChartSettings = Pick<Settings, 'charts' | 'chartVersion' | 'chartAppVersion' | 'registry'>

/**
 * The OCI tag helm pushes a version as: "+" is not allowed in tags, so helm
 * writes build metadata with "_" (1.0.0+build.1 → 1.0.0_build.1).
 */
export function ociTag(version: string): string {
  return version.replace(/\+/g, '_')
}

/** `oci://<registry prefix>/<name>:<tag>`: where a chart lands. */
export function chartReference(
  prefix: string,
  chart: Pick<InspectedChart, 'name' | 'version'>
): string {
  return `oci://${prefix}/${chart.name}:${ociTag(chart.version)}`
}

/**
 * Resolves and checks every chart: a name and a SemVer 2 version each,
 * dependencies that can be built here, no two charts with the same name and
 * version. Throws an InputError naming the chart and the fix.
 */
export async function inspectCharts(settings: ChartSettings, log: Log): Promise<InspectedChart[]> {
  const sources = await resolveCharts(settings.charts)
  const charts = sources.map(source => inspect(source, settings))

  const owner = new Map<string, InspectedChart>()
  for (const chart of charts) {
    const key = `${chart.name}:${ociTag(chart.version)}`
    const previous = owner.get(key)
    if (previous) {
      throw new InputError(
        `${describe(previous.source)} and ${describe(chart.source)} are both chart "${chart.name}" version "${chart.version}" and would be pushed to the same reference; keep one of them${settings.chartVersion ? ' (chart-version gives every chart folder the same version)' : ''}`
      )
    }
    owner.set(key, chart)
  }

  const packaged = charts.filter(chart => chart.source.kind === 'tgz')
  if (packaged.length > 0 && (settings.chartVersion || settings.chartAppVersion)) {
    log.warning(
      `chart-version and chart-app-version apply when packaging chart folders only; ${packaged.map(chart => `${describe(chart.source)} (${chart.version})`).join(', ')} ${packaged.length === 1 ? 'is' : 'are'} pushed as packaged`
    )
  }
  if (!settings.registry.path) {
    // Harbor reads the first path segment as the project: here it would be the chart name.
    log.warning(
      `registry "${settings.registry.host}" has no project path: charts go to oci://${settings.registry.host}/<chart name>, which Harbor reads as a project named after the chart; give the registry as ${settings.registry.host}/<project>`
    )
  }
  return charts
}

function inspect(source: ChartSource, settings: ChartSettings): InspectedChart {
  const metadata = readMetadata(source)
  const where = describe(source)
  const override = source.kind === 'dir' ? settings.chartVersion : ''
  const version = override || metadata.version
  if (!version) {
    throw new InputError(`${where}: Chart.yaml has no "version"; add one, or set chart-version`)
  }
  const problem = override ? undefined : chartVersionProblem(version)
  if (problem) {
    const fix = source.kind === 'dir' ? 'fix Chart.yaml or set chart-version' : 'package it again'
    throw new InputError(
      `${where}: version "${version}" in Chart.yaml is not valid: ${problem}; ${fix}`
    )
  }
  const dependencies =
    source.kind === 'dir' && metadata.dependencies.length > 0
      ? dependencySteps(source.path, metadata.dependencies, where)
      : 'none'
  return { source, name: metadata.name, version, dependencies }
}

/**
 * Packages the chart folders into `workDir` (inside the private directory),
 * building file:// dependencies first and leaving each folder as it was
 * found. Packaged charts pass through once helm has read them. A chart helm
 * cannot package or read is an InputError: nothing has been pushed yet.
 */
export async function packageCharts(
  charts: readonly InspectedChart[],
  helm: Pick<Helm, 'dependencyBuild' | 'package' | 'showChart'>,
  workDir: string,
  settings: Pick<Settings, 'chartVersion' | 'chartAppVersion'>,
  log: Log
): Promise<PreparedChart[]> {
  const prepared: PreparedChart[] = []
  for (const chart of charts) {
    if (chart.source.kind === 'tgz') {
      await checkWithHelm(chart, helm)
      prepared.push({ ...chart, file: chart.source.path })
      continue
    }
    fs.mkdirSync(workDir, { recursive: true, mode: 0o700 })
    const work = fs.mkdtempSync(path.join(workDir, `${chart.name}-`))
    const destination = path.join(work, 'package')
    fs.mkdirSync(destination)
    const restore =
      chart.dependencies === 'build'
        ? preserveDependencyFiles(chart.source.path, path.join(work, 'kept'))
        : () => undefined
    try {
      if (chart.dependencies === 'build') await helm.dependencyBuild(chart.source.path)
      const file = await helm.package(chart.source.path, destination, {
        version: settings.chartVersion,
        appVersion: settings.chartAppVersion
      })
      prepared.push({ ...chart, file })
      log.info(
        `Packaged ${describe(chart.source)} as ${path.basename(file)}${chart.dependencies === 'build' ? ' (file:// dependencies built)' : ''}`
      )
    } catch (error) {
      const detail = error instanceof ToolError ? lastLines(error.stderr) : messageOf(error)
      throw new InputError(`helm cannot package ${describe(chart.source)}: ${detail}`)
    } finally {
      restore()
    }
  }
  return prepared
}

/**
 * Reads a packaged chart with helm's own loader (the one `helm push` runs),
 * which is stricter than the checks above (values.yaml, templates,
 * subcharts): a chart helm refuses, or reads as another name or version,
 * fails here rather than at its push, after the images were pushed.
 */
async function checkWithHelm(chart: InspectedChart, helm: Pick<Helm, 'showChart'>): Promise<void> {
  const where = describe(chart.source)
  let shown: string
  try {
    shown = await helm.showChart(chart.source.path)
  } catch (error) {
    const detail = error instanceof ToolError ? lastLines(error.stderr) : messageOf(error)
    throw new InputError(`helm cannot read ${where}: ${detail}; give a .tgz made by helm package`)
  }
  const read = parseChartYaml(shown, `Chart.yaml of ${where} as helm reads it`)
  if (read.name !== chart.name || read.version !== chart.version) {
    throw new InputError(
      `helm reads ${where} as chart "${read.name}" version "${read.version}", not "${chart.name}" version "${chart.version}" as its Chart.yaml says; give a .tgz made by helm package`
    )
  }
}

function lastLines(text: string): string {
  return text
    .trim()
    .split('\n')
    .slice(-5)
    .join(' ')
    .replace(/^Error: /, '')
}
