/** Chart.yaml of a chart folder or of a packaged chart, read without helm. */
import fs from 'node:fs'
import path from 'node:path'
import { InputError } from '../errors.js'
import { type ChartMetadata, parseChartYaml, parseRequirementsYaml } from './chart-yaml.js'
import type { ChartSource } from './resolve.js'
import { readChartArchive } from './archive.js'

/**
 * Real Chart.yaml files are a few KB; parsing a huge one takes seconds and
 * hundreds of MB (a 200 MB description ran Node out of memory).
 */
export const MAX_CHART_YAML_BYTES = 1024 * 1024

/**
 * The Chart.yaml of a packaged chart (`<folder>/Chart.yaml`, as helm reads
 * it), or undefined when it has none. Throws when helm would read the archive
 * differently, or when Chart.yaml is too large to read.
 */
export function readChartYamlOfTgz(file: string): string | undefined {
  const archive = readChartArchive(file)
  const chartYaml = archive.files.get('Chart.yaml')
  if (chartYaml === undefined) return undefined
  checkChartYamlSize(chartYaml.length, `"${archive.folder}/Chart.yaml"`)
  // helm drops a UTF-8 byte order mark.
  return chartYaml.toString('utf8').replace(/^\uFEFF/, '')
}

function checkChartYamlSize(bytes: number, where: string): void {
  if (bytes > MAX_CHART_YAML_BYTES) {
    throw new InputError(
      `${where} is ${bytes} bytes: a Chart.yaml of more than 1 MiB is not read; keep it to a few KB, long text belongs in README.md`
    )
  }
}

/** The metadata of `source`; an InputError names the chart when it cannot be read. */
export function readMetadata(source: ChartSource): ChartMetadata {
  if (source.kind === 'tgz') {
    const where = describe(source)
    let text: string | undefined
    try {
      text = readChartYamlOfTgz(source.path)
    } catch (error) {
      throw new InputError(
        `${where} cannot be read as a packaged chart (${reason(error)}); give a .tgz made by helm package`
      )
    }
    if (text === undefined) {
      throw new InputError(
        `${where} holds no <chart>/Chart.yaml: it is not a packaged chart; give a .tgz made by helm package`
      )
    }
    return parseChartYaml(text, `Chart.yaml in ${where}`)
  }
  const chartYaml = path.join(source.path, 'Chart.yaml')
  checkChartYamlSize(fs.statSync(chartYaml).size, `"${shown(chartYaml)}"`)
  const metadata = parseChartYaml(fs.readFileSync(chartYaml, 'utf8'), `"${shown(chartYaml)}"`)
  const requirements = path.join(source.path, 'requirements.yaml')
  // apiVersion v1 charts declare their dependencies in requirements.yaml.
  if (metadata.apiVersion === 'v1' && fs.existsSync(requirements)) {
    metadata.dependencies = parseRequirementsYaml(
      fs.readFileSync(requirements, 'utf8'),
      `"${shown(requirements)}"`
    )
  }
  return metadata
}

/** How messages name a chart source. */
export function describe(source: ChartSource): string {
  const kind = source.kind === 'tgz' ? 'packaged chart' : 'chart folder'
  return `${kind} "${shown(source.path)}"`
}

/** A path as the user wrote it: relative to the working folder when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file) || '.'
  return relative.startsWith('..') ? file : relative
}

/** zlib's errors come from Node's own realm, where `instanceof Error` can fail (jest's vm). */
function reason(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error
    ? String(error.message)
    : String(error)
}
