import * as core from '@actions/core'
import { type ImageResult, countLine } from '../push/results.js'

const STATUS_ICON: Record<ImageResult['status'], string> = {
  pushed: '✅ pushed',
  unchanged: '➖ unchanged',
  skipped: '⏭️ skipped',
  failed: '❌ failed'
}

/** Writes the job summary: one row per destination reference, then the counts. */
export async function writeSummary(registry: string, images: ImageResult[]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const header = ['Source', 'Destination', 'Digest', 'Status', 'Time'].map(data => ({
    data,
    header: true
  }))
  const rows = images.map(image => [
    code(image.source),
    code(image.destination),
    image.digest ? code(shortDigest(image.digest)) : '—',
    image.error
      ? `${STATUS_ICON[image.status]}: ${escape(image.error)}`
      : STATUS_ICON[image.status],
    `${image.seconds}s`
  ])
  await core.summary
    .addHeading(`harbor-push to ${escape(registry)}`, 3)
    .addTable([header, ...rows])
    .addRaw(`<p>${countLine(images)}</p>`, true)
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
