import * as core from '@actions/core'
import { type Report, type Status, countLine } from '../push/results.js'
import { redactUserinfo } from '../redact.js'

const STATUS_ICON: Record<Status, string> = {
  pushed: '✅ pushed',
  unchanged: '➖ unchanged',
  skipped: '⏭️ skipped',
  failed: '❌ failed'
}

/** Writes the job summary: one row per destination reference and chart, then the counts. */
export async function writeSummary(registry: string, report: Report): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const header = ['Source', 'Destination', 'Digest', 'Status', 'Time'].map(data => ({
    data,
    header: true
  }))
  const results = [
    ...report.images,
    ...report.charts.map(chart => ({
      ...chart,
      source: `chart ${chart.chart} ${chart.version}`,
      destination: chart.reference
    }))
  ]
  const rows = results.map(result => [
    code(result.source),
    code(result.destination),
    (result.digest ? code(shortDigest(result.digest)) : '—') +
      ('platforms' in result && result.platforms
        ? `<br>${escape(result.platforms.join(', '))}`
        : ''),
    result.error || result.note
      ? `${STATUS_ICON[result.status]}: ${escape(redactUserinfo(result.error ?? result.note ?? ''))}`
      : STATUS_ICON[result.status],
    `${result.seconds}s`
  ])
  await core.summary
    .addHeading(`harbor-push to ${escape(registry)}`, 3)
    .addTable([header, ...rows])
    .addRaw(`<p>${countLine(results)}</p>`, true)
    .write()
}

function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12)
}

function code(text: string): string {
  return `<code>${escape(text)}</code>`
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
