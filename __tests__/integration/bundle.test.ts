/**
 * The committed bundle is what runners execute: `runs.using: node24`, a
 * bundle for the main step and a small one of its own for the post step.
 * In CI it runs under Node 24.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { RunnerJob, bundleNode } from '../../rig/action.js'
import { actionStep } from '../../rig/action-yml.js'

const root = path.resolve(import.meta.dirname, '../..')

describe('the bundle', () => {
  test('action.yml runs dist/index.js and dist/post/index.js on node24', () => {
    const actionYml = fs.readFileSync(path.join(root, 'action.yml'), 'utf8')
    const runs = actionYml.slice(actionYml.indexOf('\nruns:'))
    expect(runs).toMatch(/\n {2}using: node24\n/)
    expect(runs).toMatch(/\n {2}main: dist\/index\.js\n/)
    expect(runs).toMatch(/\n {2}post: dist\/post\/index\.js\n/)
    for (const file of ['dist/index.js', 'dist/post/index.js', 'dist/licenses.txt'])
      expect(fs.existsSync(path.join(root, file))).toBe(true)
  })

  test('the post step loads no push code: its quiet run needs only its own small file', () => {
    const main = actionStep('main')
    const post = actionStep('post')
    expect(post).not.toBe(main)
    const source = fs.readFileSync(post, 'utf8')
    // The registry client and the HTTP client it stands on are the bulk of the main bundle.
    expect(fs.readFileSync(main, 'utf8')).toContain('class RegistryClient')
    expect(source).not.toContain('class RegistryClient')
    expect(source.length).toBeLessThan(fs.statSync(main).size / 10)
    // The usual post step has nothing to clean up: it runs from its file alone,
    // without the chunks (@actions/core) it loads only to print a warning.
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-post-alone-'))
    try {
      fs.copyFileSync(post, path.join(alone, 'index.js'))
      fs.copyFileSync(
        path.join(path.dirname(post), 'package.json'),
        path.join(alone, 'package.json')
      )
      const output = execFileSync(bundleNode(), [path.join(alone, 'index.js')], {
        env: { PATH: process.env.PATH ?? '', STATE_isPost: 'true' },
        encoding: 'utf8'
      })
      expect(output).toBe('')
    } finally {
      fs.rmSync(alone, { recursive: true, force: true })
    }
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
