/**
 * One measurement: the script's way (a sequential tag + push loop, as
 * push-images.sh runs it) or the action (dist/index.js run the way a runner
 * runs it), timed from start to exit, with timestamps of every log line, the
 * CPU its processes used, and the registry requests it caused.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseCommandFile } from '../rig/command-file.js'
import type { Registry } from '../rig/registry.js'
import { requireTool, run } from '../rig/tools.js'
import type { LinkName, Tool } from './config.js'
import type { LinkStats, Shaper } from './shaper.js'

export type Way = 'loop' | 'action'
export type Phase = 'first' | 'rerun'

/** Where one way pushes to: a fresh registry, reached directly or through the shaper. */
export interface Endpoint {
  tool: Tool
  link: LinkName
  /** What the clients push to: the registry, or the shaper in front of it. */
  host: string
  /** The Harbor-style project every image goes under. */
  project: string
  registry: Registry
  shaper?: Shaper
  username: string
  password: string
  /** DOCKER_HOST for docker. */
  env: Record<string, string>
  /** CPU of the docker engine counts as the client's (it does docker's push work). */
  enginePids: number[]
}

/** A line of output and when it came, in seconds after the start. */
export interface Stamp {
  at: number
  line: string
}

export interface Measurement {
  tool: Tool
  link: LinkName
  way: Way
  phase: Phase
  repeat: number
  seconds: number
  /** Bytes through the shaper (shaped link only). */
  wire?: LinkStats
  /** Bytes of the blobs the registry holds afterwards. */
  storedBytes: number
  /** Requests the registry answered, by `METHOD kind status` and by client. */
  requests: { total: number; byKind: Record<string, number>; byClient: Record<string, number> }
  cpu: {
    /** The loop's or the action's processes and everything they ran (plus the docker engine). */
    clientSeconds: number
    registrySeconds: number
    /** The shaping proxy (it runs inside the bench). */
    proxySeconds: number
    /** Everything else the machine ran meanwhile (/proc/stat busy time minus the above). */
    otherSeconds: number
  }
  /** 1-minute load average before the measurement: other work on the machine. */
  loadBefore: number
  stamps: Stamp[]
  /** The action's `images` output, counted by status. */
  statuses?: Record<string, number>
  /** The action's post step, run afterwards as the runner does at the end of the job. */
  postSeconds?: number
  /** Peak resident memory of the action's own node process (VmHWM, read while it runs). */
  peakRssBytes?: number
  /** When the registry saw requests, in seconds after the start (from its own log's timestamps). */
  timeline: Timeline
}

/** Seconds after the start at which the registry logged the first and last requests of each client. */
export interface Timeline {
  /** The action's own API requests (preflight, tag checks, read-back). */
  firstApi?: number
  lastApi?: number
  /** The tool's requests (login and pushes). */
  firstTool?: number
  lastTool?: number
}

export interface MeasureContext {
  endpoint: Endpoint
  images: string[]
  sourcePath: string
  tag: string
  repeat: number
  phase: Phase
  parallel: number
  /** Runs the bundle: Node 24 when there is one. */
  node: string
  bundle: string
  /** The post step's bundle (action.yml's runs.post). */
  postBundle: string
  /**
   * The action's `images` entries as they are (archives: `name=docker-archive:PATH`), instead of
   * `images` with source-path and source-tag; they go to `destination-tag` tags.
   */
  entries?: string[]
  /** destination-tag (default: the source tag). */
  destinationTags?: string[]
}

const LOOP_SCRIPT = `set -euo pipefail
tool=$1 registry=$2 path=$3 tag=$4
shift 4
tls=()
if [ "$tool" = podman ]; then tls=(--tls-verify=false); fi
for image in "$@"; do
  echo "tag $image"
  "$tool" tag "$path/$image:$tag" "$registry/$image:$tag" >&2
  echo "push $image"
  "$tool" push "\${tls[@]}" "$registry/$image:$tag" >&2
  echo "done $image"
done
`

/** Logs the loop's tool in before anything is timed, as a user of push-images.sh does. */
export async function loopLogin(
  endpoint: Endpoint,
  authDir: string
): Promise<Record<string, string>> {
  const { tool, host, username, password } = endpoint
  const bin = requireTool(tool, `apt-get install -y ${tool === 'docker' ? 'docker.io' : tool}`)
  const env: Record<string, string> =
    tool === 'docker'
      ? { ...endpoint.env, DOCKER_CONFIG: authDir }
      : { REGISTRY_AUTH_FILE: path.join(authDir, 'auth.json') }
  const tls = tool === 'podman' ? ['--tls-verify=false'] : []
  await runWithInput(
    bin,
    ['login', ...tls, '--username', username, '--password-stdin', host],
    password,
    env
  )
  return env
}

/** The script's way: tag and push each image in turn. */
export async function measureLoop(
  context: MeasureContext,
  loginEnv: Record<string, string>
): Promise<Measurement> {
  const { endpoint } = context
  const bash = requireTool('bash', 'apt-get install -y bash')
  const args = [
    '-c',
    LOOP_SCRIPT,
    'push-images-loop',
    endpoint.tool,
    `${endpoint.host}/${endpoint.project}`,
    context.sourcePath,
    context.tag,
    ...context.images
  ]
  return measure(context, 'loop', () => {
    const started = performance.now()
    const child = spawn(bash, args, {
      env: { ...process.env, ...loginEnv },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    return { child, started }
  })
}

/** A script of the script's kind (bash, one step after another), timed as the loop is. */
export async function measureScript(
  context: MeasureContext,
  script: string,
  args: string[],
  env: Record<string, string>
): Promise<Measurement> {
  const bash = requireTool('bash', 'apt-get install -y bash')
  return measure(context, 'loop', () => {
    const started = performance.now()
    const child = spawn(bash, ['-c', script, 'bench-script', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    return { child, started }
  })
}

/** Removes the local tags the loop made (not timed). */
export async function untagLoop(
  context: MeasureContext,
  loginEnv: Record<string, string>
): Promise<void> {
  const { endpoint } = context
  const bin = requireTool(endpoint.tool, `apt-get install -y ${endpoint.tool}`)
  for (const image of context.images) {
    const ref = `${endpoint.host}/${endpoint.project}/${image}:${context.tag}`
    const args =
      endpoint.tool === 'podman'
        ? ['untag', `${context.sourcePath}/${image}:${context.tag}`, ref]
        : ['image', 'rm', ref]
    await run(bin, args, { env: loginEnv, allowFailure: true })
  }
}

/**
 * The runner's tool cache, kept for the whole bench as a self-hosted runner
 * keeps it: the action keeps Node's compile cache there
 * (src/compile-cache.ts), which main.ts fills before the first measured run.
 * The fixed costs measure a cold start (a fresh hosted runner) on their own.
 */
export const RUNNER_TOOL_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-tool-cache-'))
process.on('exit', () => fs.rmSync(RUNNER_TOOL_CACHE, { recursive: true, force: true }))

/** The action: dist/index.js with the runner's environment and INPUT_* variables. */
export async function measureAction(context: MeasureContext): Promise<Measurement> {
  const { endpoint } = context
  const job = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-job-'))
  try {
    const files = {
      output: path.join(job, 'output'),
      state: path.join(job, 'state'),
      summary: path.join(job, 'summary')
    }
    for (const file of Object.values(files)) fs.writeFileSync(file, '')
    for (const dir of ['home', 'runner-temp']) fs.mkdirSync(path.join(job, dir))
    const inputs: Record<string, string> = {
      registry: `${endpoint.host}/${endpoint.project}`,
      username: endpoint.username,
      password: endpoint.password,
      'container-tool': endpoint.tool,
      ...(context.entries
        ? { images: context.entries.join('\n'), 'destination-tag': context.tag }
        : {
            images: context.images.join('\n'),
            'source-path': context.sourcePath,
            'source-tag': context.tag
          }),
      ...(context.destinationTags ? { 'destination-tag': context.destinationTags.join(' ') } : {}),
      'tls-verify': 'false',
      parallel: String(context.parallel)
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: path.join(job, 'home'),
      RUNNER_TEMP: path.join(job, 'runner-temp'),
      GITHUB_OUTPUT: files.output,
      GITHUB_STATE: files.state,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_ACTIONS: 'true',
      RUNNER_TOOL_CACHE,
      ...endpoint.env
    }
    for (const [name, value] of Object.entries(inputs)) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
    }
    const result = await measure(context, 'action', () => {
      const started = performance.now()
      const child = spawn(context.node, [context.bundle], {
        env,
        stdio: ['ignore', 'pipe', 'pipe']
      })
      return { child, started }
    })
    const images = JSON.parse(parseCommandFile(files.output).images ?? '[]') as { status: string }[]
    const statuses: Record<string, number> = {}
    for (const image of images) statuses[image.status] = (statuses[image.status] ?? 0) + 1
    result.statuses = statuses
    // The runner runs the post step at the end of the job: not part of the step's time, but a cost.
    const postEnv: Record<string, string> = {
      PATH: env.PATH,
      HOME: env.HOME,
      RUNNER_TEMP: env.RUNNER_TEMP,
      GITHUB_ACTIONS: 'true',
      ...endpoint.env
    }
    for (const [name, value] of Object.entries(parseCommandFile(files.state))) {
      postEnv[`STATE_${name}`] = value
    }
    const postStarted = performance.now()
    await new Promise<void>((resolve, reject) => {
      const post = spawn(context.node, [context.postBundle], { env: postEnv, stdio: 'ignore' })
      post.on('error', reject)
      post.on('close', code =>
        code === 0 ? resolve() : reject(new Error(`the post step exited ${code}`))
      )
    })
    result.postSeconds = (performance.now() - postStarted) / 1000
    return result
  } finally {
    fs.rmSync(job, { recursive: true, force: true })
  }
}

async function measure(
  context: MeasureContext,
  way: Way,
  start: () => { child: ReturnType<typeof spawn>; started: number }
): Promise<Measurement> {
  const { endpoint } = context
  const logOffset = endpoint.registry.logs().length
  const wireBefore = endpoint.shaper?.stats()
  const loadBefore = os.loadavg()[0]
  const childrenBefore = childrenCpu()
  const enginesBefore = endpoint.enginePids.map(processCpu)
  const registryBefore = processCpu(endpoint.registry.pid)
  const proxyBefore = process.cpuUsage()
  const machineBefore = machineBusy()

  const { child, started } = start()
  const startedEpoch = performance.timeOrigin + started
  // The high-water mark of the process's resident memory, read until it exits (a zombie has none).
  let peakRssBytes = 0
  const readPeak = (): void => {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readOrEmpty(`/proc/${child.pid}/status`))?.[1]
    if (kib) peakRssBytes = Math.max(peakRssBytes, Number(kib) * 1024)
  }
  const peakWatch = way === 'action' ? setInterval(readPeak, 10) : undefined
  const stamps: Stamp[] = []
  let errors = ''
  let partial = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    const at = (performance.now() - started) / 1000
    partial += chunk.toString('utf8')
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) stamps.push({ at, line })
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8')
    if (errors.length > 1_000_000) errors = errors.slice(-500_000)
  })
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', exitCode => resolve(exitCode ?? -1))
  })
  clearInterval(peakWatch)
  const seconds = (performance.now() - started) / 1000
  if (partial) stamps.push({ at: seconds, line: partial })

  const proxy = process.cpuUsage(proxyBefore)
  const machine = machineBusy() - machineBefore
  const childrenAfter = childrenCpu()
  const enginesAfter = endpoint.enginePids.map(processCpu)
  const engineSeconds = enginesAfter.reduce(
    (sum, after, index) => sum + after - enginesBefore[index],
    0
  )
  if (code !== 0) {
    const output = stamps.map(stamp => stamp.line).join('\n')
    throw new Error(
      `${way} (${endpoint.tool}, ${endpoint.link}, ${context.phase}) exited ${code}\n${output}\n${errors}`
    )
  }
  const client = childrenAfter - childrenBefore + engineSeconds
  const registry = processCpu(endpoint.registry.pid) - registryBefore
  // The bench process itself is the proxy (and, on loopback, idle).
  const self = (proxy.user + proxy.system) / 1e6
  const measurement: Measurement = {
    tool: endpoint.tool,
    link: endpoint.link,
    way,
    phase: context.phase,
    repeat: context.repeat,
    seconds,
    storedBytes: storedBytes(endpoint.registry.dir),
    requests: countRequests(endpoint.registry.logs().slice(logOffset)),
    timeline: timeline(endpoint.registry.logs().slice(logOffset), startedEpoch),
    cpu: {
      clientSeconds: client,
      registrySeconds: registry,
      proxySeconds: endpoint.shaper ? self : 0,
      otherSeconds: Math.max(0, machine - client - registry - self)
    },
    loadBefore,
    stamps,
    ...(peakRssBytes > 0 ? { peakRssBytes } : {})
  }
  if (endpoint.shaper && wireBefore) {
    const after = endpoint.shaper.stats()
    measurement.wire = {
      upBytes: after.upBytes - wireBefore.upBytes,
      downBytes: after.downBytes - wireBefore.downBytes,
      connections: after.connections - wireBefore.connections
    }
  }
  return measurement
}

const CLOCK_TICKS = 100

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** CPU seconds the whole machine was busy so far (/proc/stat: all but idle and iowait). */
function machineBusy(): number {
  const first = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq, steal] = first.slice(1).map(Number)
  return (user + nice + system + irq + softirq + (steal || 0)) / CLOCK_TICKS
}

/** CPU seconds of this process's reaped children (and what they reaped): /proc/self/stat. */
function childrenCpu(): number {
  const fields = statFields('self')
  // cutime and cstime are fields 16 and 17.
  return fields ? (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS : 0
}

/** CPU seconds a running process used so far (utime + stime). */
function processCpu(pid: number): number {
  const fields = statFields(String(pid))
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS : 0
}

/** Fields of /proc/<pid>/stat from the third (state) on. */
function statFields(pid: string): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** Sum of the blob files a registry's storage holds. */
export function storedBytes(registryDir: string): number {
  const blobs = path.join(registryDir, 'data', 'docker', 'registry', 'v2', 'blobs')
  if (!fs.existsSync(blobs)) return 0
  let total = 0
  for (const entry of fs.readdirSync(blobs, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name === 'data')
      total += fs.statSync(path.join(entry.parentPath, entry.name)).size
  }
  return total
}

/** The registry's access log lines, counted by `METHOD kind status` and by client. */
export function countRequests(log: string): Measurement['requests'] {
  const byKind: Record<string, number> = {}
  const byClient: Record<string, number> = {}
  let total = 0
  const line = /^\S+ - \S+ \[[^\]]+\] "(\w+) (\S+) HTTP\/[\d.]+" (\d{3}) \S+ "[^"]*" "([^"]*)"/gm
  for (const match of log.matchAll(line)) {
    const [, method, uri, status, agent] = match
    // No user agent: the bench's own read-back (verify), whose log lines may come late.
    if (agent === '') continue
    total++
    const kind = `${method} ${routeKind(uri)} ${status}`
    byKind[kind] = (byKind[kind] ?? 0) + 1
    const client = clientOf(agent)
    byClient[client] = (byClient[client] ?? 0) + 1
  }
  return { total, byKind, byClient }
}

/**
 * The registry's timestamps of each request (logrus lines: "response completed", or "error
 * authorizing context" for a 401), as seconds after `startedEpoch`, by client.
 */
export function timeline(log: string, startedEpoch: number): Timeline {
  const result: Timeline = {}
  const line =
    /^time="([^"]+)" level=\w+ msg="(?:response completed|error authorizing context)[^\n]*?http\.request\.useragent=(?:"([^"]*)"|(\S+))/gm
  for (const match of log.matchAll(line)) {
    const agent = match[2] ?? match[3] ?? ''
    if (agent === '') continue
    const at = (Date.parse(match[1]) - startedEpoch) / 1000
    const api = clientOf(agent) === 'action (API)'
    if (api) {
      result.firstApi = Math.min(result.firstApi ?? Infinity, at)
      result.lastApi = Math.max(result.lastApi ?? -Infinity, at)
    } else {
      result.firstTool = Math.min(result.firstTool ?? Infinity, at)
      result.lastTool = Math.max(result.lastTool ?? -Infinity, at)
    }
  }
  return result
}

function routeKind(uri: string): string {
  const pathOnly = uri.split('?')[0]
  if (pathOnly === '/v2/') return '/v2/'
  if (/\/blobs\/uploads\/?$/.test(pathOnly))
    return uri.includes('mount=') ? 'blob-mount' : 'upload-start'
  if (/\/blobs\/uploads\/[^/]+$/.test(pathOnly)) return 'upload-data'
  if (/\/blobs\//.test(pathOnly)) return 'blob'
  if (/\/manifests\//.test(pathOnly)) return 'manifest'
  return 'other'
}

function clientOf(agent: string): string {
  if (/containers|podman|skopeo/i.test(agent)) return 'podman'
  if (/docker/i.test(agent)) return 'docker'
  if (/undici|node/i.test(agent)) return 'action (API)'
  return agent || 'unknown'
}

export function runWithInput(
  file: string,
  args: string[],
  input: string,
  env: Record<string, string>
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('error', reject)
    child.on('close', code =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(file)} ${args[0]} failed (${code}): ${output}`))
    )
    child.stdin.end(input)
  })
}
