import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { createPrivateDir, removePrivateDir } from '../../src/credentials/private-dir.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-private-'))
const saved = process.env.RUNNER_TEMP
let runnerTemp: string

beforeEach(() => {
  runnerTemp = fs.mkdtempSync(path.join(root, 'runner-temp-'))
  process.env.RUNNER_TEMP = runnerTemp
})

afterEach(() => {
  if (saved === undefined) delete process.env.RUNNER_TEMP
  else process.env.RUNNER_TEMP = saved
})

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

describe('createPrivateDir', () => {
  test('makes a harbor-push-* directory under RUNNER_TEMP, mode 0700', () => {
    const dir = createPrivateDir()
    expect(path.dirname(dir)).toBe(runnerTemp)
    expect(path.basename(dir)).toMatch(/^harbor-push-.+/)
    const stat = fs.statSync(dir)
    expect(stat.isDirectory()).toBe(true)
    expect(stat.mode & 0o777).toBe(0o700)
    expect(fs.readdirSync(dir)).toEqual([])
  })

  test('each call gets its own directory', () => {
    expect(createPrivateDir()).not.toBe(createPrivateDir())
    expect(fs.readdirSync(runnerTemp)).toHaveLength(2)
  })

  test('a RUNNER_TEMP that does not exist yet is created', () => {
    process.env.RUNNER_TEMP = path.join(runnerTemp, 'not', 'yet')
    const dir = createPrivateDir()
    expect(path.dirname(dir)).toBe(path.join(runnerTemp, 'not', 'yet'))
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
  })

  test('without RUNNER_TEMP the system temp directory is used', () => {
    delete process.env.RUNNER_TEMP
    const dir = createPrivateDir()
    try {
      expect(path.dirname(dir)).toBe(path.resolve(os.tmpdir()))
      expect(path.basename(dir)).toMatch(/^harbor-push-/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('removePrivateDir', () => {
  test('removes the directory with everything in it', () => {
    const dir = createPrivateDir()
    fs.mkdirSync(path.join(dir, 'docker'))
    fs.writeFileSync(path.join(dir, 'docker', 'config.json'), '{"auths":{}}', { mode: 0o600 })
    fs.writeFileSync(path.join(dir, 'podman-auth.json'), '{}', { mode: 0o600 })
    removePrivateDir(dir)
    expect(fs.existsSync(dir)).toBe(false)
  })

  test('is idempotent: a second call, or a path already gone, is fine', () => {
    const dir = createPrivateDir()
    removePrivateDir(dir)
    expect(() => removePrivateDir(dir)).not.toThrow()
    expect(() => removePrivateDir(path.join(runnerTemp, 'harbor-push-never-made'))).not.toThrow()
  })

  test.each([
    ['another folder', 'work'],
    ['a folder that only contains the prefix', 'my-harbor-push-dir'],
    ['a folder inside a private directory', path.join('harbor-push-abc', 'docker')]
  ])('refuses to remove %s', (_label, relative) => {
    const dir = path.join(runnerTemp, relative)
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'keep')
    removePrivateDir(dir)
    expect(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8')).toBe('keep')
  })

  test('refuses RUNNER_TEMP itself, whatever a saved state says', () => {
    const dir = createPrivateDir()
    removePrivateDir(runnerTemp)
    expect(fs.existsSync(dir)).toBe(true)
  })
})
