/** What the numbers were measured on, and the fixed costs every run pays (start-ups). */
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import zlib from 'node:zlib'
import { run } from '../rig/tools.js'

export interface Machine {
  cpus: number
  cpuModel: string
  memoryGiB: number
  kernel: string
  os: string
  /** 1-minute load average when the bench started and ended: other work on the machine. */
  loadStart: number
  loadEnd?: number
  versions: Record<string, string>
}

export interface Bundle {
  file: string
  bytes: number
  gzipBytes: number
  /** First 12 hex digits of its sha256: which build was measured. */
  sha256: string
}

/** Median wall times of the start-ups every invocation pays, in seconds. */
export type StartUps = Record<string, number>

export async function describeMachine(
  bundleNode: string,
  tools: { docker?: Record<string, string> }
): Promise<Machine> {
  const versions: Record<string, string> = {
    'node (bench)': process.version,
    'node (bundle)': (await tryRun(bundleNode, ['--version'])) || '?',
    podman: (await tryRun('podman', ['--version'])).replace(/^podman version /, ''),
    buildah: (await tryRun('buildah', ['--version'])).replace(/^buildah version /, ''),
    'docker-registry': (await tryRun('docker-registry', ['--version'])).replace(
      /^docker-registry\s+\S+\s+/,
      ''
    )
  }
  if (tools.docker) {
    versions['docker (client)'] = await tryRun(
      'docker',
      ['version', '--format', '{{.Client.Version}}'],
      tools.docker
    )
    versions['docker (engine)'] = await tryRun(
      'docker',
      ['version', '--format', '{{.Server.Version}}'],
      tools.docker
    )
  }
  const release = fs.existsSync('/etc/os-release') ? fs.readFileSync('/etc/os-release', 'utf8') : ''
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? '?',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: os.release(),
    os: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1] ?? os.type(),
    loadStart: os.loadavg()[0],
    versions
  }
}

export function describeBundle(file: string): Bundle {
  // The main step's code: its small entry and the chunks next to it (the step, charts, helm's).
  const dir = path.dirname(file)
  const content = Buffer.concat(
    fs
      .readdirSync(dir)
      .filter(name => name.endsWith('.js'))
      .sort()
      .map(name => fs.readFileSync(path.join(dir, name)))
  )
  return {
    file,
    bytes: content.length,
    gzipBytes: zlib.gzipSync(content).length,
    sha256: crypto.createHash('sha256').update(content).digest('hex').slice(0, 12)
  }
}

/** Times `file args` `times` times; the median in seconds. */
export async function medianRun(
  file: string,
  args: string[],
  env: Record<string, string>,
  times = 7
): Promise<number> {
  const samples: number[] = []
  for (let index = 0; index < times; index++) {
    const started = performance.now()
    await new Promise<void>((resolve, reject) => {
      const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: 'ignore' })
      child.on('error', reject)
      child.on('close', () => resolve())
    })
    samples.push((performance.now() - started) / 1000)
  }
  return median(samples)
}

/** Times `count` runs of `file args` started at once (as the action starts them); the median. */
export async function medianParallelRun(
  file: string,
  args: string[],
  env: Record<string, string>,
  count: number,
  times = 5
): Promise<number> {
  const samples: number[] = []
  for (let index = 0; index < times; index++) {
    const started = performance.now()
    await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: 'ignore' })
            child.on('error', reject)
            child.on('close', () => resolve())
          })
      )
    )
    samples.push((performance.now() - started) / 1000)
  }
  return median(samples)
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

async function tryRun(
  file: string,
  args: string[],
  env: Record<string, string> = {}
): Promise<string> {
  const result = await run(file, args, { env, allowFailure: true, timeoutMs: 20_000 }).catch(
    () => undefined
  )
  return result && result.code === 0 ? result.stdout.trim().split('\n')[0] : ''
}
