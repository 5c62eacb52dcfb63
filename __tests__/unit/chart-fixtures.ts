/** Chart folders and packaged charts on disk for the chart unit tests; no helm needed. */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export interface ChartSpec {
  name?: string
  version?: string
  apiVersion?: string
  /** Extra Chart.yaml lines, e.g. a dependencies block. */
  extra?: string
  /** Write no Chart.yaml at all. */
  noChartYaml?: boolean
}

/** Makes the chart folder `folder` and returns it. */
export function makeChartFolder(folder: string, spec: ChartSpec = {}): string {
  fs.mkdirSync(path.join(folder, 'templates'), { recursive: true })
  fs.writeFileSync(path.join(folder, 'values.yaml'), 'replicas: 1\n')
  if (!spec.noChartYaml) {
    const lines = [
      `apiVersion: ${spec.apiVersion ?? 'v2'}`,
      `name: ${spec.name ?? path.basename(folder)}`
    ]
    if (spec.version !== '') lines.push(`version: ${spec.version ?? '1.0.0'}`)
    if (spec.extra) lines.push(spec.extra)
    fs.writeFileSync(path.join(folder, 'Chart.yaml'), `${lines.join('\n')}\n`)
  }
  return folder
}

/** Packs `folder` as `<file>` the way helm package lays it out (`<name>/Chart.yaml`). */
export function packChart(folder: string, file: string, tarFlags: string[] = []): string {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  execFileSync('tar', [
    ...tarFlags,
    '-czf',
    file,
    '-C',
    path.dirname(folder),
    path.basename(folder)
  ])
  return file
}
