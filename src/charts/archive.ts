/**
 * A packaged chart read the way helm reads it (helm's pkg/chart/loader): the
 * first path segment of every entry is the chart folder and is dropped; what
 * is left must stay inside the chart. Whatever helm would read differently
 * from these checks is refused, so that the chart checked is the chart
 * pushed: several top-level folders (helm merges them into one chart, the
 * last Chart.yaml winning), paths outside the chart, links and devices (helm
 * reads them as empty files), the same path twice. Sizes are bounded before
 * anything is parsed.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { readTar } from '../tar.js'

const MiB = 1024 * 1024
/** helm (v3.17+, v4) refuses a chart whose files unpack to more than this in all... */
export const MAX_CHART_BYTES = 100 * MiB
/** ...or to more than this for one file. */
export const MAX_FILE_BYTES = 5 * MiB
/** The tar stream holds headers and padding too: room for them over helm's 100 MiB of files. */
const MAX_TAR_BYTES = MAX_CHART_BYTES + 28 * MiB

/** The files of a packaged chart, by their path inside the chart folder. */
export interface ChartArchive {
  /** The chart folder: every entry's first path segment. */
  folder: string
  /** `Chart.yaml`, `templates/x.yaml`, ... as helm names them. */
  files: Map<string, Buffer>
}

/** Reads the packaged chart `file`; throws an Error saying what helm would read differently. */
export function readChartArchive(file: string): ChartArchive {
  // Compressed, a chart is smaller than unpacked: a larger file is not even read into memory.
  if (fs.statSync(file).size > MAX_TAR_BYTES) {
    throw new Error(
      `it is larger than ${MAX_TAR_BYTES / MiB} MiB; helm reads at most ${MAX_CHART_BYTES / MiB} MiB of files`
    )
  }
  let tar: Buffer
  try {
    tar = zlib.gunzipSync(fs.readFileSync(file), { maxOutputLength: MAX_TAR_BYTES })
  } catch (error) {
    // zlib's errors come from Node's own realm, where `instanceof Error` can fail (jest's vm).
    const { code, message } = error as { code?: string; message?: string }
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(
        `it unpacks to more than ${MAX_TAR_BYTES / MiB} MiB; helm reads at most ${MAX_CHART_BYTES / MiB} MiB of files`
      )
    }
    throw new Error(message ?? String(error))
  }
  let folder: string | undefined
  const files = new Map<string, Buffer>()
  let total = 0
  for (const entry of readTar(tar)) {
    if (entry.kind === 'folder') continue // helm skips them: they hold nothing
    const shown = `entry "${entry.name}"`
    if (entry.kind !== 'file') {
      throw new Error(
        `${shown} is a ${entry.kind}: helm would read it as an empty file; a packaged chart holds files and folders only`
      )
    }
    // helm's own split: on "\" when the name has one (archives made on Windows), else on "/".
    const delimiter = entry.name.includes('\\') ? '\\' : '/'
    const [top, ...rest] = entry.name.split(delimiter)
    const inside = path.posix.normalize(rest.join('/')).replace(/(.)\/+$/, '$1')
    if (top === '' || path.posix.isAbsolute(inside) || /^[a-zA-Z]:\//.test(inside)) {
      throw new Error(
        `${shown} is an absolute path (helm: "chart illegally contains absolute paths")`
      )
    }
    if (inside.startsWith('..') || top === '..') {
      throw new Error(
        `${shown} reaches outside the chart (helm: "chart illegally references parent directory")`
      )
    }
    if (inside === '.') throw new Error(`${shown} is outside the chart folder`)
    if (folder !== undefined && top !== folder) {
      throw new Error(
        `it holds two top-level folders, "${folder}" and "${top}": helm would read them as one chart, the last Chart.yaml winning`
      )
    }
    folder = top
    if (files.has(inside)) {
      throw new Error(`it holds "${top}/${inside}" twice: helm would keep the last one`)
    }
    const size = entry.body.length
    if (size > MAX_FILE_BYTES) {
      throw new Error(
        `${shown} unpacks to ${size} bytes: helm reads no file over ${MAX_FILE_BYTES / MiB} MiB`
      )
    }
    total += size
    if (total > MAX_CHART_BYTES) {
      throw new Error(
        `its files unpack to more than ${MAX_CHART_BYTES / MiB} MiB, the most helm reads`
      )
    }
    files.set(inside, entry.body)
  }
  if (folder === undefined) throw new Error('it holds no files')
  return { folder, files }
}
