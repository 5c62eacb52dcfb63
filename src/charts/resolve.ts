/**
 * Turns the `charts` entries into the chart folders and packaged charts they
 * name. Only the file system is read: nothing is packaged or pushed here.
 */
import fs from 'node:fs'
import path from 'node:path'
import * as glob from '@actions/glob'
import { InputError } from '../errors.js'

/** A chart on disk, as a `charts` entry named it. */
export interface ChartSource {
  /** `dir`: a chart folder, packaged first; `tgz`: a packaged chart, pushed as it is. */
  kind: 'dir' | 'tgz'
  /** Absolute path. */
  path: string
  /** The `charts` entry that named it, for messages. */
  entry: string
}

const GLOB_CHARACTERS = /[*?[]/

/**
 * Resolves `entries` (paths or globs, relative to `cwd`; `!pattern` excludes)
 * into chart sources, in the order given, each path once. A path that does
 * not exist, a folder without Chart.yaml, or a pattern that matches no chart
 * is an InputError naming the entry.
 */
export async function resolveCharts(
  entries: readonly string[],
  cwd = process.cwd()
): Promise<ChartSource[]> {
  const excludes = entries.filter(entry => entry.startsWith('!'))
  const found: ChartSource[] = []
  const fromPatterns = new Set<ChartSource>()
  for (const entry of entries.filter(candidate => !candidate.startsWith('!'))) {
    if (GLOB_CHARACTERS.test(entry)) {
      const sources = await matchPattern(entry, excludes, cwd)
      for (const source of sources) fromPatterns.add(source)
      found.push(...sources)
    } else {
      found.push(explicitSource(entry, cwd))
    }
  }
  const unique = found.filter(
    (source, index) => found.findIndex(other => other.path === source.path) === index
  )
  // A pattern such as charts/** also reaches the subcharts and vendored
  // dependencies inside a chart; those travel inside their parent.
  const folders = unique.filter(source => source.kind === 'dir').map(source => source.path)
  return unique.filter(
    source =>
      !fromPatterns.has(source) ||
      !folders.some(folder => source.path.startsWith(`${folder}${path.sep}`))
  )
}

/** A path named as it is: it must be a chart folder or a packaged chart. */
function explicitSource(entry: string, cwd: string): ChartSource {
  const absolute = path.resolve(cwd, entry)
  let stat: fs.Stats
  try {
    stat = fs.statSync(absolute)
  } catch {
    throw new InputError(
      `chart "${entry}" not found: no such folder or .tgz file (relative paths start at ${cwd})`
    )
  }
  if (stat.isDirectory()) {
    if (!hasChartYaml(absolute)) {
      throw new InputError(
        `chart folder "${entry}" has no Chart.yaml; give the folder that holds Chart.yaml (helm create makes one)`
      )
    }
    return { kind: 'dir', path: absolute, entry }
  }
  if (!absolute.endsWith('.tgz')) {
    throw new InputError(
      `chart "${entry}" is neither a chart folder nor a packaged chart (.tgz, made by helm package)`
    )
  }
  return { kind: 'tgz', path: absolute, entry }
}

/** What a glob matches: chart folders and .tgz files; anything else it reaches is passed over. */
async function matchPattern(
  pattern: string,
  excludes: string[],
  cwd: string
): Promise<ChartSource[]> {
  const absolute = (text: string): string =>
    text.startsWith('!') ? `!${path.resolve(cwd, text.slice(1))}` : path.resolve(cwd, text)
  const globber = await glob.create([pattern, ...excludes].map(absolute).join('\n'), {
    implicitDescendants: false,
    matchDirectories: true
  })
  const sources: ChartSource[] = []
  for (const match of (await globber.glob()).sort()) {
    const stat = fs.statSync(match)
    if (stat.isDirectory() && hasChartYaml(match)) {
      sources.push({ kind: 'dir', path: match, entry: pattern })
    } else if (stat.isFile() && match.endsWith('.tgz')) {
      sources.push({ kind: 'tgz', path: match, entry: pattern })
    }
  }
  if (sources.length === 0) {
    throw new InputError(
      `charts pattern "${pattern}" matches no chart folder (with Chart.yaml) and no .tgz file (relative paths start at ${cwd})`
    )
  }
  return sources
}

function hasChartYaml(folder: string): boolean {
  return fs.existsSync(path.join(folder, 'Chart.yaml'))
}
