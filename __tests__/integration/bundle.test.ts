/**
 * The committed bundle is what runners execute: `runs.using: node24`, one
 * file for the main and the post step. In CI it runs under Node 24.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { RunnerJob, bundleNode } from '../../rig/action.js'

const root = path.resolve(import.meta.dirname, '../..')

describe('the bundle', () => {
  test('action.yml runs dist/index.js on node24 for main and post', () => {
    const actionYml = fs.readFileSync(path.join(root, 'action.yml'), 'utf8')
    const runs = actionYml.slice(actionYml.indexOf('\nruns:'))
    expect(runs).toMatch(/\n {2}using: node24\n/)
    expect(runs).toMatch(/\n {2}main: dist\/index\.js\n/)
    expect(runs).toMatch(/\n {2}post: dist\/index\.js\n/)
    expect(fs.existsSync(path.join(root, 'dist/index.js'))).toBe(true)
    expect(fs.existsSync(path.join(root, 'dist/licenses.txt'))).toBe(true)
  })

  test('in CI the bundle runs under Node 24', () => {
    const version = execFileSync(bundleNode(), ['--version'], { encoding: 'utf8' }).trim()
    if (process.env.CI === 'true') expect(version).toMatch(/^v24\./)
    else expect(version).toMatch(/^v\d+\./)
  })

  test('runs as a main step and reports bad input as a failure', async () => {
    const job = new RunnerJob()
    try {
      const result = await job.main({ registry: '', images: 'a', 'source-tag': 'v1' })
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('::error::Invalid input: "registry" is required')
      expect(job.state().isPost).toBe('true')
      // A post step after a main step that created nothing is a quiet no-op.
      const post = await job.post()
      expect(post.code).toBe(0)
      expect(post.stdout).toBe('')
    } finally {
      job.dispose()
    }
  })
})
