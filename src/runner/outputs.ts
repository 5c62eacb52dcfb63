import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import { type Report, outputsOf, subjectChecksumsText } from '../push/results.js'

export { refsOf } from '../push/results.js'

/** Sets the `images`, `charts`, `refs` and `subject-checksums` outputs of action.yml. */
export function setOutputs(report: Report): void {
  const { images, charts, refs, subjectChecksums } = outputsOf(report)
  core.setOutput('images', JSON.stringify(images))
  core.setOutput('charts', JSON.stringify(charts))
  core.setOutput('refs', refs.join('\n'))
  core.setOutput('subject-checksums', writeSubjectChecksums(subjectChecksums))
}

/**
 * Writes the subject lines to a file of their own in RUNNER_TEMP and returns
 * its path; '' when nothing was pushed or unchanged (no file: an attest step
 * given '' says so, rather than attesting nothing). RUNNER_TEMP outlives the
 * step for the attest step of the same job and is emptied after the job; the
 * file holds names and digests only, never a credential, and sits outside
 * the private login folder, which the step removes. A random name keeps two
 * steps of one job (or two runs of the action in one step) apart.
 */
export function writeSubjectChecksums(lines: readonly string[]): string {
  if (lines.length === 0) return ''
  const root = process.env.RUNNER_TEMP || os.tmpdir()
  const file = path.join(
    root,
    `harbor-push-subject-checksums-${crypto.randomBytes(6).toString('hex')}.txt`
  )
  fs.writeFileSync(file, subjectChecksumsText(lines), { flag: 'wx' })
  return file
}
