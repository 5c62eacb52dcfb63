/**
 * The committed bundle is what runners execute: `runs.using: node24`, a
 * bundle for the main step and a small one of its own for the post step.
 * In CI it runs under Node 24.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
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
    // The registry client and the HTTP client it stands on are the bulk of the main step's
    // code (dist/index.js and the chunks it loads).
    const mainCode = fs
      .readdirSync(path.dirname(main))
      .filter(file => file.endsWith('.js'))
      .map(file => fs.readFileSync(path.join(path.dirname(main), file), 'utf8'))
      .join('\n')
    expect(mainCode).toContain('class RegistryClient')
    expect(source).not.toContain('class RegistryClient')
    expect(source.length).toBeLessThan(mainCode.length / 10)
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

describe("Node's compile cache", () => {
  const BAD_INPUT = { registry: '', images: 'a', 'source-tag': 'v1' }
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  })

  /** A runner tool cache folder of the given mode, and the compile cache's place in it. */
  function toolCache(mode: number): { root: string; cache: string } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-tool-cache-'))
    dirs.push(root)
    fs.chmodSync(root, mode)
    return { root, cache: path.join(root, 'harbor-push', 'compile-cache') }
  }

  /** Every file below `dir` (none when it does not exist). */
  function filesIn(dir: string): string[] {
    if (!fs.existsSync(dir)) return []
    return fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter(entry => entry.isFile())
      .map(entry => path.join(entry.parentPath, entry.name))
  }

  /** Runs the main step once with bad input (it still loads the step's code) and checks it failed as usual. */
  async function step(env: Record<string, string>): Promise<void> {
    const job = new RunnerJob(env)
    try {
      const result = await job.main(BAD_INPUT)
      expect(result.code).toBe(1)
      expect(result.stdout).toContain('::error::Invalid input: "registry" is required')
    } finally {
      job.dispose()
    }
  }

  test("is kept in the runner's tool cache, in a folder only the runner's account may enter", async () => {
    const { root, cache } = toolCache(0o755)
    await step({ RUNNER_TOOL_CACHE: root })
    const written = filesIn(cache)
    expect(written.length).toBeGreaterThan(0)
    for (const dir of [path.dirname(cache), cache]) {
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    }
    // The next step reads it: nothing new is written for the same code.
    const sizes = written.map(file => fs.statSync(file).size)
    await step({ RUNNER_TOOL_CACHE: root })
    expect(filesIn(cache)).toEqual(written)
    expect(written.map(file => fs.statSync(file).size)).toEqual(sizes)
  })

  test('follows a link to the tool cache, but none below it', async () => {
    const real = toolCache(0o755)
    const linked = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hp-tool-cache-link-')), 'cache')
    dirs.push(path.dirname(linked))
    fs.symlinkSync(real.root, linked)
    await step({ RUNNER_TOOL_CACHE: linked })
    expect(filesIn(real.cache).length).toBeGreaterThan(0)

    // harbor-push/ a link to a folder elsewhere: whoever set it there chose what runs.
    const elsewhere = toolCache(0o700)
    const swapped = toolCache(0o755)
    fs.symlinkSync(elsewhere.root, path.join(swapped.root, 'harbor-push'))
    await step({ RUNNER_TOOL_CACHE: swapped.root })
    expect(filesIn(elsewhere.root)).toEqual([])
  })

  test('is not used where another account could write or swap it, nor when turned off', async () => {
    // A tool cache others may write to (not sticky): they could rename our folder and plant theirs.
    const open = toolCache(0o777)
    await step({ RUNNER_TOOL_CACHE: open.root })
    expect(fs.existsSync(path.dirname(open.cache))).toBe(false)

    // A cache folder that is not this account's: its files would be code this step runs.
    const planted = toolCache(0o755)
    fs.mkdirSync(planted.cache, { recursive: true, mode: 0o700 })
    fs.chownSync(path.dirname(planted.cache), 65534, 65534)
    fs.chownSync(planted.cache, 65534, 65534)
    await step({ RUNNER_TOOL_CACHE: planted.root })
    expect(filesIn(planted.cache)).toEqual([])

    // A folder of ours that others may write to.
    const loose = toolCache(0o755)
    fs.mkdirSync(loose.cache, { recursive: true, mode: 0o700 })
    fs.chmodSync(loose.cache, 0o777)
    await step({ RUNNER_TOOL_CACHE: loose.root })
    expect(filesIn(loose.cache)).toEqual([])

    const off = toolCache(0o755)
    await step({ RUNNER_TOOL_CACHE: off.root, NODE_DISABLE_COMPILE_CACHE: '1' })
    expect(filesIn(off.cache)).toEqual([])
  })
})
