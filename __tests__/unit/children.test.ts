/**
 * The tool processes of a run, with real processes (sh, sleep): output and
 * stdin, a process group per tool, and stopping: a tool and what it started
 * are stopped and waited for, so nothing of theirs writes afterwards.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import {
  type ToolGroup,
  onRunningGroups,
  spawnTool,
  stopStrayTools,
  stopTools
} from '../../src/tools/children.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-children-'))

afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** A shell script run as a tool: in the background it waits, then writes `file` (a late login). */
function lateWriter(file: string, seconds: number): string[] {
  return ['-c', `(sleep ${seconds}; echo login > '${file}') & echo started; wait`]
}

/** Whether `pid` runs: neither gone nor a zombie waiting to be collected by its parent. */
function acting(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0])
  } catch {
    return false
  }
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(20)
  }
}

describe('spawnTool', () => {
  test('stdin in, stdout, stderr and the exit status out', async () => {
    const result = await spawnTool(
      'sh',
      ['-c', 'read line; echo "got $line"; echo oops >&2; exit 3'],
      {
        input: 'secret\n'
      }
    )
    expect(result).toEqual({ exitCode: 3, stdout: 'got secret\n', stderr: 'oops\n' })
  })

  test('a tool that is not on PATH: the error names it', async () => {
    await expect(spawnTool('hp-no-such-tool', [])).rejects.toThrow(
      '"hp-no-such-tool" was not found on PATH'
    )
  })

  test('each tool leads a process group of its own, told to the listener while it runs', async () => {
    const seen: ToolGroup[][] = []
    onRunningGroups(groups => seen.push(groups))
    const result = await spawnTool('sh', ['-c', 'cut -d " " -f 5 /proc/$$/stat'])
    const group = Number(result.stdout.trim())
    expect(seen).toEqual([[{ id: group, started: expect.any(Number) }], []])
    onRunningGroups(() => undefined)
  })

  test('limitMs kills a tool that does not end, with what it started', async () => {
    const started = Date.now()
    const result = await spawnTool('sh', ['-c', 'sleep 30 & sleep 30'], { limitMs: 300 })
    expect(result.exitCode).toBe(128 + os.constants.signals.SIGKILL)
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})

describe('stopping', () => {
  test('stopStrayTools stops a running tool and its background child before they write', async () => {
    const file = path.join(root, 'stray-login')
    let groups: ToolGroup[] = []
    onRunningGroups(running => (groups = running))
    const tool = spawnTool('sh', lateWriter(file, 1))
    await until(() => groups.length === 1)
    expect(await stopStrayTools()).toEqual([])
    expect((await tool).exitCode).toBe(128 + os.constants.signals.SIGTERM)
    await sleep(1_500)
    expect(fs.existsSync(file)).toBe(false)
    // New tools still start.
    expect((await spawnTool('true', [])).exitCode).toBe(0)
  })

  test('a group that ignores SIGTERM gets SIGKILL after the grace time', async () => {
    const file = path.join(root, 'stubborn-login')
    let groups: ToolGroup[] = []
    onRunningGroups(running => (groups = running))
    const ready = path.join(root, 'stubborn-ready')
    const tool = spawnTool('sh', [
      '-c',
      `trap '' TERM; touch '${ready}'; sleep 1; echo login > '${file}'`
    ])
    await until(() => groups.length === 1 && fs.existsSync(ready))
    expect(await stopStrayTools({ graceMs: 200 })).toEqual([])
    expect((await tool).exitCode).toBe(128 + os.constants.signals.SIGKILL)
    await sleep(1_200)
    expect(fs.existsSync(file)).toBe(false)
  })

  // Last: stopTools closes the gate for this process.
  test('stopTools stops groups another process left (a killed main step), then refuses new tools', async () => {
    const file = path.join(root, 'orphan-login')
    const orphan = await orphanOfAnotherProcess(`sleep 1; echo login > '${file}'`)
    // A pid the system gave to a later process is not the saved group: left alone.
    const stranger = await orphanOfAnotherProcess('sleep 30')
    try {
      expect(acting(orphan.id)).toBe(true)
      const savedEarlier = { id: stranger.id, started: (stranger.started ?? 0) - 1 }
      const stop = stopTools([orphan, savedEarlier])
      // A run's own end meanwhile waits for that stop rather than start one of its own.
      const strays = stopStrayTools()
      expect(await stop).toEqual([])
      expect(await strays).toBe(await stop)
      expect(acting(orphan.id)).toBe(false)
      expect(acting(stranger.id)).toBe(true)
      await sleep(1_200)
      expect(fs.existsSync(file)).toBe(false)

      await expect(spawnTool('true', [])).rejects.toThrow('the run is being stopped')
      expect((await spawnTool('true', [], { afterStop: true })).exitCode).toBe(0)
    } finally {
      process.kill(-stranger.id, 'SIGKILL')
    }
  })
})

/** A process in a session of its own whose starter (sh) is already gone, and when it started. */
async function orphanOfAnotherProcess(script: string): Promise<ToolGroup> {
  const pidFile = path.join(root, `orphan-${crypto.randomUUID()}`)
  await spawnTool('sh', [
    '-c',
    `setsid sh -c 'echo $$ > "$0"; ${script.replace(/'/g, `'"'"'`)}' '${pidFile}' > /dev/null 2>&1 &`
  ])
  await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n'))
  const id = Number(fs.readFileSync(pidFile, 'utf8').trim())
  const stat = fs.readFileSync(`/proc/${id}/stat`, 'utf8')
  return { id, started: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) }
}
