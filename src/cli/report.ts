import { type Report, type Status, countLine, outputsOf } from '../push/results.js'
import type { Terminal } from './terminal.js'

const STATUSES: readonly Status[] = ['pushed', 'unchanged', 'skipped', 'failed']

/**
 * `--json`: the action's outputs (the same objects, made by the same code),
 * refs as an array, the counts, and each failure with its reason.
 */
export function reportJson(report: Report): string {
  const results = [...report.images, ...report.charts]
  const counts = Object.fromEntries(
    STATUSES.map(status => [status, results.filter(result => result.status === status).length])
  )
  const failures = [
    ...report.images.map(image => ({ reference: image.destination, ...image })),
    ...report.charts
  ]
    .filter(result => result.status === 'failed')
    .map(result => ({ reference: result.reference, error: result.error ?? '' }))
  return JSON.stringify({ ...outputsOf(report), counts, failures }, null, 2)
}

/** The table at the end: one row per destination reference and chart, then the count line. */
export function reportTable(report: Report, terminal: Terminal): string {
  const rows = [
    ...report.images.map(image => ({ ...image })),
    ...report.charts.map(chart => ({
      ...chart,
      source: `chart ${chart.chart} ${chart.version}`,
      destination: chart.reference
    }))
  ].map(result => ({
    cells: [
      result.source,
      result.destination,
      result.digest ? result.digest.slice(0, 'sha256:'.length + 12) : '-',
      result.status,
      `${result.seconds}s`
    ],
    status: result.status
  }))
  const header = ['SOURCE', 'DESTINATION', 'DIGEST', 'STATUS', 'TIME']
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map(row => row.cells[column].length))
  )
  const line = (cells: string[], status?: Status): string =>
    cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell.padEnd(widths[column])
        return column === 3 && status ? terminal.paintStatus('stdout', status, padded) : padded
      })
      .join('  ')
      .trimEnd()
  return [
    line(header),
    ...rows.map(row => line(row.cells, row.status)),
    '',
    countLine([...report.images, ...report.charts])
  ].join('\n')
}
