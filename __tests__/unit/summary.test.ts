import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import type { ImageResult, Report } from '../../src/push/results.js'
import { writeSummary } from '../../src/runner/summary.js'

const imagesOnly = (images: ImageResult[]): Report => ({ images, charts: [] })

const REGISTRY = 'registry-oci.example.com/proj'
const DIGEST = `sha256:0123456789ab${'cd'.repeat(26)}`

const results: ImageResult[] = [
  {
    source: 'apim/a:v1',
    destination: `${REGISTRY}/a:v1`,
    digest: DIGEST,
    status: 'pushed',
    seconds: 1.5
  },
  {
    source: 'apim/b:v1',
    destination: `${REGISTRY}/b:v1`,
    digest: DIGEST,
    status: 'unchanged',
    seconds: 0.2
  },
  {
    source: 'apim/c:v1',
    destination: `${REGISTRY}/c:v1`,
    digest: '',
    status: 'failed',
    error: 'the proxy said <html><title>403 Forbidden</title></html> & gave up',
    seconds: 3
  }
]

// @actions/core keeps the summary path it first saw, so the file stays the same for the whole file.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-summary-'))
const file = path.join(dir, 'step_summary.md')
const saved = process.env.GITHUB_STEP_SUMMARY

beforeEach(() => {
  fs.writeFileSync(file, '')
  process.env.GITHUB_STEP_SUMMARY = file
})

afterEach(() => {
  if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY
  else process.env.GITHUB_STEP_SUMMARY = saved
})

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const written = (): string => fs.readFileSync(file, 'utf8')

describe('writeSummary', () => {
  test('nothing is written when the runner gives no summary file', async () => {
    delete process.env.GITHUB_STEP_SUMMARY
    await writeSummary(REGISTRY, imagesOnly(results))
    expect(written()).toBe('')
  })

  test('a heading naming the registry, a header row and one row per result', async () => {
    await writeSummary(REGISTRY, imagesOnly(results))
    const html = written()
    expect(html).toContain(`<h3>harbor-push to ${REGISTRY}</h3>`)
    expect(html.match(/<tr>/g)).toHaveLength(1 + results.length)
    expect(html).toContain(
      '<tr><th>Source</th><th>Destination</th><th>Digest</th><th>Status</th><th>Time</th></tr>'
    )
    expect(html).toContain(
      `<tr><td><code>apim/a:v1</code></td><td><code>${REGISTRY}/a:v1</code></td><td><code>sha256:0123456789ab</code></td><td>✅ pushed</td><td>1.5s</td></tr>`
    )
  })

  test('digests are shortened, a failure shows its status and reason', async () => {
    await writeSummary(REGISTRY, imagesOnly(results))
    const html = written()
    expect(html).not.toContain(DIGEST)
    expect(html).toContain('➖ unchanged')
    const failedRow = html.split('<tr>').find(row => row.includes('/c:v1')) ?? ''
    expect(failedRow).toContain('<td>❌ failed: the proxy said')
    expect(failedRow).not.toContain('sha256:')
    expect(failedRow).toMatch(/<td>3s<\/td><\/tr>/)
  })

  test('tool output is HTML-escaped', async () => {
    await writeSummary(REGISTRY, imagesOnly(results))
    const html = written()
    expect(html).not.toContain('<html>')
    expect(html).not.toContain('<title>')
    expect(html).toContain(
      'the proxy said &lt;html&gt;&lt;title&gt;403 Forbidden&lt;/title&gt;&lt;/html&gt; &amp; gave up'
    )
  })

  test('the registry in the heading is escaped too', async () => {
    await writeSummary('<b>evil</b>', imagesOnly([]))
    expect(written()).toContain('<h3>harbor-push to &lt;b&gt;evil&lt;/b&gt;</h3>')
  })

  test('ends with the count line', async () => {
    await writeSummary(REGISTRY, imagesOnly(results))
    expect(written().trimEnd()).toMatch(/<p>1 pushed, 1 unchanged, 0 skipped, 1 failed<\/p>$/)
  })

  test('appends, leaving what earlier steps wrote', async () => {
    fs.writeFileSync(file, '## earlier step\n')
    await writeSummary(REGISTRY, imagesOnly(results))
    expect(written()).toMatch(/^## earlier step\n<h3>/)
  })
})
