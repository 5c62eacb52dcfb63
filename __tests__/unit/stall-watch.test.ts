/**
 * The stall watch on real processes: a quiet process that moves no bytes is
 * stopped with what it started; output or bytes moving keep a process alive.
 */
import { describe, expect, test } from '@jest/globals'
import { PushError } from '../../src/errors.js'
import { PUSH_STALL_MS, pushStallMs, runWatched } from '../../src/tools/stall-watch.js'
import { processesMentioning } from '../../rig/tools.js'

const NODE = process.execPath
const ENV = { PATH: process.env.PATH ?? '' }

describe('runWatched', () => {
  test('a process that neither prints nor moves bytes is stopped, with the processes it started', async () => {
    // A duration of its own marks the grandchild among the machine's processes.
    const marker = `sleep ${600 + Math.floor(Math.random() * 1000)}.5`
    const started = Date.now()
    // sh starts a child that stalls; both must go.
    const run = runWatched('sh', ['-c', `${marker}; true`], { env: ENV, stallMs: 600 })
    await expect(run).rejects.toThrow(PushError)
    await expect(run).rejects.toMatchObject({
      transient: true,
      message: expect.stringMatching(
        /^"sh -c sleep \d+\.5; true" made no progress for 1 s \(no output/
      )
    })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(processesMentioning(marker)).toEqual([])
    // (A grandchild left alive would hold the output pipes open: the run would hang, not end.)
  }, 20_000)

  test('output now and then is progress', async () => {
    const script =
      'let n = 0; const t = setInterval(() => { console.log(n++); if (n === 8) clearInterval(t) }, 200)'
    const result = await runWatched(NODE, ['-e', script], { env: ENV, stallMs: 600 })
    expect(result).toEqual({ exitCode: 0, stdout: '0\n1\n2\n3\n4\n5\n6\n7\n', stderr: '' })
  })

  test('bytes written without a line of output are progress (a big layer uploading)', async () => {
    const script =
      "const fs = require('fs'); const fd = fs.openSync('/dev/null', 'w'); let n = 0; const t = setInterval(() => { fs.writeSync(fd, Buffer.alloc(256 * 1024)); if (++n === 16) clearInterval(t) }, 100)"
    const result = await runWatched(NODE, ['-e', script], { env: ENV, stallMs: 600 })
    expect(result.exitCode).toBe(0)
  })

  test('input goes to stdin; a failing exit code is returned for the caller to judge', async () => {
    const result = await runWatched('sh', ['-c', 'cat; exit 3'], {
      env: ENV,
      input: 'secret',
      stallMs: 5_000
    })
    expect(result).toEqual({ exitCode: 3, stdout: 'secret', stderr: '' })
  })
})

describe('pushStallMs', () => {
  test.each([
    [{}, PUSH_STALL_MS],
    [{ HARBOR_PUSH_STALL_SECONDS: '3' }, 3_000],
    [{ HARBOR_PUSH_STALL_SECONDS: '0' }, PUSH_STALL_MS],
    [{ HARBOR_PUSH_STALL_SECONDS: 'soon' }, PUSH_STALL_MS]
  ])('%j: %d ms', (env, expected) => {
    expect(pushStallMs(env)).toBe(expected)
  })
})
