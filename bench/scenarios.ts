/**
 * The scenarios besides the seven local images: archives (pushed by the
 * action without an engine, against `<tool> load` + push), a first push from
 * archives over the shaped link, scale (many images x two tags in one step)
 * and one big image, each with the peak memory of the action's process.
 *
 * The archive scenarios take a source entry list (`name=docker-archive:PATH`
 * and the like, as the action's `images` input takes them): whatever moves
 * the bytes inside the action runs through the same measurement.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Registry } from '../rig/registry.js'
import { startRegistry } from '../rig/registry.js'
import { run } from '../rig/tools.js'
import { type ActionPhases, type Goal, actionPhases } from './analyse.js'
import type { BenchConfig, LinkName, Tool } from './config.js'
import { median } from './machine.js'
import {
  type Endpoint,
  type MeasureContext,
  type Measurement,
  type Phase,
  loopLogin,
  measureAction,
  measureScript
} from './measure.js'
import { startShaper } from './shaper.js'
import { BASE_REF, LABEL, RUN_ID, type Workload, writeRandom } from './workload.js'

export type ScenarioName = 'archives' | 'archives-shaped' | 'scale' | 'big'

/** One timed run of a scenario. */
export interface ScenarioRun {
  scenario: ScenarioName
  /** The engine of the load + push way; the action's archive runs need none ('none'). */
  tool: Tool | 'none'
  way: 'load + push' | 'action'
  link: LinkName
  phase: Phase
  repeat: number
  seconds: number
  peakRssBytes?: number
  upBytes?: number
  utilisation?: number
  /** Destination tags the run pushed or found unchanged. */
  tags: number
  statuses?: Record<string, number>
  /** The action's phases, from its log lines. */
  phases?: ActionPhases
  /** The load + push way: seconds in `<tool> load` and in tag + push, summed over the archives. */
  steps?: { load: number; push: number }
}

/** Where the scenarios push: a fresh registry each, the bench's user, the bundles to run. */
export interface ScenarioSetup {
  config: BenchConfig
  workload: Workload
  node: string
  bundle: string
  postBundle: string
  username: string
  project: string
  dockerEnv?: Record<string, string>
  log: (message: string) => void
  /** Registered to be undone on an error or Ctrl-C. */
  cleanups: (() => Promise<void>)[]
}

const LOAD_PUSH_SCRIPT = `set -euo pipefail
tool=$1 registry=$2 tag=$3
shift 3
cmd=("$tool")
tls=()
if [ "$tool" = podman ]; then
  cmd+=(--root "$STORAGE/root" --runroot "$STORAGE/run")
  tls=(--tls-verify=false)
fi
for pair in "$@"; do
  name=\${pair%%=*} archive=\${pair#*=}
  archive=\${archive#*-archive:}
  echo "load $name"
  loaded=$("\${cmd[@]}" load --input "$archive" | sed -n 's/^Loaded image[^:]*: *//p' | head -n 1)
  "\${cmd[@]}" tag "$loaded" "$registry/$name:$tag" >&2
  echo "push $name"
  "\${cmd[@]}" push "\${tls[@]}" "$registry/$name:$tag" >&2
  echo "done $name"
done
`

/**
 * The workload's images as archives, one file per image (`podman save`), and
 * the entries that name them. Each archive holds the shared base layer too,
 * as `docker save` of one image does.
 */
export async function saveArchives(
  config: BenchConfig,
  workload: Workload,
  dir: string
): Promise<string[]> {
  const entries: string[] = []
  for (const [index, source] of workload.sources.entries()) {
    const name = config.images[index]
    const file = path.join(dir, `${name}.tar`)
    await run('podman', [
      'save',
      '--quiet',
      '--format',
      config.archiveFormat,
      '--output',
      file,
      source
    ])
    entries.push(`${name}=${config.archiveFormat}:${file}`)
  }
  return entries
}

/** Runs every scenario the config names; the runs, in order. */
export async function runScenarios(setup: ScenarioSetup, tools: Tool[]): Promise<ScenarioRun[]> {
  const { config, log } = setup
  const runs: ScenarioRun[] = []
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-archives-'))
  const removeDir = (): Promise<void> =>
    Promise.resolve(fs.rmSync(dir, { recursive: true, force: true }))
  setup.cleanups.push(removeDir)
  try {
    const wants = (name: ScenarioName): boolean => config.scenarios.includes(name)
    if (wants('archives') || wants('archives-shaped')) {
      const entries = await saveArchives(config, setup.workload, dir)
      for (let repeat = 0; repeat < config.repeats; repeat++) {
        if (wants('archives')) {
          for (const tool of tools) {
            runs.push(await loadAndPush(setup, tool, entries, repeat))
            log(
              `archives: ${tool} load + push #${repeat + 1}: ${runs.at(-1)?.seconds.toFixed(2)} s`
            )
          }
          runs.push(...(await archivesByAction(setup, entries, 'raw', repeat)))
          log(`archives: action #${repeat + 1}: ${runs.at(-2)?.seconds.toFixed(2)} s`)
        }
        if (wants('archives-shaped')) {
          runs.push(...(await archivesByAction(setup, entries, 'shaped', repeat)))
          const shaped = runs.at(-1)
          log(
            `archives, shaped link: action #${repeat + 1}: ${shaped?.seconds.toFixed(2)} s, ` +
              `${Math.round((shaped?.utilisation ?? 0) * 100)} % of the cap`
          )
        }
      }
    }
    if (wants('scale')) {
      runs.push(...(await scale(setup)))
      log(`scale: ${runs.at(-1)?.tags} tags, peak RSS ${mib(runs.at(-2)?.peakRssBytes)}`)
    }
    if (wants('big')) {
      runs.push(...(await big(setup, dir)))
      log(
        `big image: ${runs.at(-1)?.seconds.toFixed(1)} s, peak RSS ${mib(runs.at(-1)?.peakRssBytes)}`
      )
    }
    return runs
  } finally {
    await removeDir()
  }
}

const mib = (bytes: number | undefined): string =>
  bytes === undefined ? '?' : `${(bytes / 2 ** 20).toFixed(0)} MiB`

/** A fresh registry, with the bench's user; stopped by the returned function. */
async function freshRegistry(
  setup: ScenarioSetup
): Promise<{ registry: Registry; password: string; stop: () => Promise<void> }> {
  const password = crypto.randomBytes(12).toString('hex')
  const registry = await startRegistry({ users: { [setup.username]: password } })
  setup.cleanups.push(() => registry.stop())
  return { registry, password, stop: () => registry.stop() }
}

function contextFor(
  setup: ScenarioSetup,
  endpoint: Endpoint,
  phase: Phase,
  repeat: number,
  extra: Partial<MeasureContext>
): MeasureContext {
  return {
    endpoint,
    images: setup.config.images,
    sourcePath: setup.config.sourcePath,
    tag: setup.config.tag,
    repeat,
    phase,
    parallel: setup.config.parallel,
    node: setup.node,
    bundle: setup.bundle,
    postBundle: setup.postBundle,
    ...extra
  }
}

function endpointFor(
  setup: ScenarioSetup,
  tool: Tool,
  registry: Registry,
  password: string,
  host = registry.host
): Endpoint {
  return {
    tool,
    link: 'raw',
    host,
    project: setup.project,
    registry,
    username: setup.username,
    password,
    env: tool === 'docker' ? (setup.dockerEnv ?? {}) : {},
    enginePids: []
  }
}

/**
 * What a release job without harbor-push does with archives: `<tool> load`
 * each into an engine that does not have the images yet, then tag + push,
 * one after another (logged in before the clock starts).
 */
async function loadAndPush(
  setup: ScenarioSetup,
  tool: Tool,
  entries: string[],
  repeat: number
): Promise<ScenarioRun> {
  const { registry, password, stop } = await freshRegistry(setup)
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-load-'))
  const authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-auth-'))
  try {
    const endpoint = endpointFor(setup, tool, registry, password)
    if (tool === 'docker') await removeFromDocker(setup)
    const loginEnv = await loopLogin(endpoint, authDir)
    const m = await measureScript(
      contextFor(setup, endpoint, 'first', repeat, {}),
      LOAD_PUSH_SCRIPT,
      [tool, `${registry.host}/${setup.project}`, setup.config.tag, ...entries],
      { ...loginEnv, STORAGE: storage }
    )
    return runOf('archives', tool, 'load + push', m, entries.length)
  } finally {
    await stop()
    if (tool === 'podman') {
      // The private storage's images go through podman (overlay layers), then the folder.
      const privateStorage = ['--root', `${storage}/root`, '--runroot', `${storage}/run`]
      await run('podman', [...privateStorage, 'image', 'rm', '--all', '--force'], {
        allowFailure: true
      })
    }
    fs.rmSync(storage, { recursive: true, force: true })
    fs.rmSync(authDir, { recursive: true, force: true })
  }
}

/** The docker engine without the workload's images (their IDs, so every name goes). */
async function removeFromDocker(setup: ScenarioSetup): Promise<void> {
  const ids = Object.values(setup.workload.ids.docker)
  if (ids.length === 0) return
  await run('docker', ['image', 'rm', '--force', ...new Set(ids)], {
    env: setup.dockerEnv,
    allowFailure: true
  })
}

/** The action pushing the archives: a first push, and on loopback the re-run. */
async function archivesByAction(
  setup: ScenarioSetup,
  entries: string[],
  link: LinkName,
  repeat: number
): Promise<ScenarioRun[]> {
  const { registry, password, stop } = await freshRegistry(setup)
  const shaper =
    link === 'shaped'
      ? await startShaper(registry.host, {
          latencyMs: setup.config.latencyMs,
          rateBitsPerSecond: setup.config.rateBitsPerSecond,
          tcp: setup.config.tcpModel
        })
      : undefined
  try {
    const endpoint = {
      ...endpointFor(setup, 'podman', registry, password, shaper?.host),
      link,
      shaper
    }
    const runs: ScenarioRun[] = []
    for (const phase of link === 'raw' ? (['first', 'rerun'] as const) : (['first'] as const)) {
      const m = await measureAction(contextFor(setup, endpoint, phase, repeat, { entries }))
      expectStatuses(m, phase, entries.length, `archives (${link})`)
      const scenario = link === 'raw' ? 'archives' : 'archives-shaped'
      const result = runOf(scenario, 'none', 'action', m, entries.length)
      if (m.wire) {
        result.upBytes = m.wire.upBytes
        result.utilisation = (m.wire.upBytes * 8) / (m.seconds * setup.config.rateBitsPerSecond)
      }
      runs.push(result)
    }
    return runs
  } finally {
    await shaper?.stop()
    await stop()
  }
}

/** Many local images, two tags each, in one step: first push and re-run. */
async function scale(setup: ScenarioSetup): Promise<ScenarioRun[]> {
  const { config } = setup
  const names = Array.from(
    { length: config.scaleImages },
    (_, index) => `scale-${String(index + 1).padStart(3, '0')}`
  )
  await buildScaleImages(config, names)
  const { registry, password, stop } = await freshRegistry(setup)
  try {
    const endpoint = endpointFor(setup, 'podman', registry, password)
    const tags = [config.tag, 'stable']
    const runs: ScenarioRun[] = []
    for (const phase of ['first', 'rerun'] as const) {
      const m = await measureAction(
        contextFor(setup, endpoint, phase, 0, { images: names, destinationTags: tags })
      )
      expectStatuses(m, phase, names.length * tags.length, 'scale')
      runs.push(runOf('scale', 'podman', 'action', m, names.length * tags.length))
    }
    return runs
  } finally {
    await stop()
  }
}

/**
 * The scale images: one small layer of their own on the bench's base, each
 * a commit of the same container with its own label (a config of its own,
 * so an image ID of its own), so a hundred build in seconds.
 */
async function buildScaleImages(config: BenchConfig, names: string[]): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-scale-'))
  try {
    const file = path.join(tmp, 'own.bin')
    fs.writeFileSync(file, crypto.randomBytes(64 * 1024))
    const container = (
      await run('buildah', ['from', '--pull=never', '--quiet', BASE_REF])
    ).stdout.trim()
    try {
      await run('buildah', ['add', '--quiet', container, file, '/opt/app/own.bin'])
      for (const name of names) {
        await run('buildah', [
          'config',
          '--label',
          `io.github.harbor-push.bench.scale=${name}`,
          container
        ])
        await run('buildah', [
          'commit',
          '--quiet',
          container,
          `${config.sourcePath}/${name}:${config.tag}`
        ])
      }
    } finally {
      await run('buildah', ['rm', container], { allowFailure: true })
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** One big image, as an archive (the action's own process moves or hands on its bytes). */
async function big(setup: ScenarioSetup, dir: string): Promise<ScenarioRun[]> {
  const { config } = setup
  const ref = `${config.sourcePath}/big:${config.tag}`
  const tmp = fs.mkdtempSync(path.join(dir, 'big-'))
  try {
    const file = path.join(tmp, 'big.bin')
    writeRandom(file, config.bigBytes)
    const container = (await run('buildah', ['from', 'scratch'])).stdout.trim()
    await run('buildah', ['add', '--quiet', container, file, '/opt/big.bin'], {
      timeoutMs: 900_000
    })
    fs.rmSync(file)
    await run('buildah', ['config', '--label', `${LABEL}=${RUN_ID}`, container])
    await run('buildah', ['commit', '--quiet', '--rm', container, ref], { timeoutMs: 900_000 })
    const archive = path.join(tmp, 'big.tar')
    await run(
      'podman',
      ['save', '--quiet', '--format', config.archiveFormat, '--output', archive, ref],
      {
        timeoutMs: 900_000
      }
    )
    await run('podman', ['image', 'rm', '--force', ref], { allowFailure: true })
    const { registry, password, stop } = await freshRegistry(setup)
    try {
      const endpoint = endpointFor(setup, 'podman', registry, password)
      const entries = [`big=${config.archiveFormat}:${archive}`]
      const m = await measureAction(contextFor(setup, endpoint, 'first', 0, { entries }))
      expectStatuses(m, 'first', 1, 'big image')
      return [runOf('big', 'none', 'action', m, 1)]
    } finally {
      await stop()
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

function expectStatuses(m: Measurement, phase: Phase, count: number, what: string): void {
  const want = phase === 'first' ? 'pushed' : 'unchanged'
  if (m.statuses?.[want] !== count) {
    throw new Error(
      `${what}: the action's ${phase} run reported ${JSON.stringify(m.statuses)}, not ${count} ${want}`
    )
  }
}

function runOf(
  scenario: ScenarioName,
  tool: Tool | 'none',
  way: ScenarioRun['way'],
  m: Measurement,
  tags: number
): ScenarioRun {
  const phases =
    way === 'action' ? actionPhases(m.stamps, m.seconds, m.timeline.firstApi) : undefined
  return {
    scenario,
    tool,
    way,
    link: m.link,
    phase: m.phase,
    repeat: m.repeat,
    seconds: m.seconds,
    tags,
    ...(m.peakRssBytes !== undefined ? { peakRssBytes: m.peakRssBytes } : {}),
    ...(m.statuses ? { statuses: m.statuses } : {}),
    ...(phases ? { phases } : {}),
    ...(way === 'load + push' ? { steps: scriptSteps(m) } : {})
  }
}

/** Seconds in `load`, and in tag + push, from the script's "load X" / "push X" / "done X" lines. */
function scriptSteps(m: Measurement): { load: number; push: number } {
  const at = new Map(m.stamps.map(stamp => [stamp.line, stamp.at]))
  let load = 0
  let push = 0
  for (const stamp of m.stamps) {
    const name = /^load (\S+)$/.exec(stamp.line)?.[1]
    const pushing = name === undefined ? undefined : at.get(`push ${name}`)
    const done = name === undefined ? undefined : at.get(`done ${name}`)
    if (pushing === undefined || done === undefined) continue
    load += pushing - stamp.at
    push += done - pushing
  }
  return { load, push }
}

/** Medians per scenario, tool, way, link and phase. */
export interface ScenarioCase {
  scenario: ScenarioName
  tool: Tool | 'none'
  way: ScenarioRun['way']
  link: LinkName
  phase: Phase
  n: number
  tags: number
  seconds: number
  min: number
  max: number
  peakRssBytes?: number
  utilisation?: number
  upBytes?: number
  phases?: ActionPhases
  steps?: { load: number; push: number }
}

export function scenarioCases(runs: ScenarioRun[]): ScenarioCase[] {
  const groups = new Map<string, ScenarioRun[]>()
  for (const r of runs) {
    const key = [r.scenario, r.tool, r.way, r.link, r.phase].join('/')
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  return [...groups.values()].map(group => {
    const [{ scenario, tool, way, link, phase, tags }] = group
    const seconds = group.map(r => r.seconds)
    const rss = group.map(r => r.peakRssBytes).filter((v): v is number => v !== undefined)
    const util = group.map(r => r.utilisation).filter((v): v is number => v !== undefined)
    const up = group.map(r => r.upBytes).filter((v): v is number => v !== undefined)
    // The run nearest the median stands for the group where one run must be picked.
    const typical = [...group].sort(
      (a, b) => Math.abs(a.seconds - median(seconds)) - Math.abs(b.seconds - median(seconds))
    )[0]
    return {
      scenario,
      tool,
      way,
      link,
      phase,
      n: group.length,
      tags,
      seconds: median(seconds),
      min: Math.min(...seconds),
      max: Math.max(...seconds),
      ...(rss.length > 0 ? { peakRssBytes: Math.max(...rss) } : {}),
      ...(util.length > 0 ? { utilisation: median(util) } : {}),
      ...(up.length > 0 ? { upBytes: median(up) } : {}),
      ...(typical.phases ? { phases: typical.phases } : {}),
      ...(typical.steps ? { steps: typical.steps } : {})
    }
  })
}

const RSS_LIMIT = 200 * 2 ** 20
const sec = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} s`

function phaseText(p: ActionPhases | undefined): string {
  if (!p) return 'no phase timestamps'
  return (
    `start-up ${sec(p.startUp)}, registry preflight ${sec(p.preflight)}, ` +
    `login / deciding ${sec(p.checks)}, pushes ${sec(p.pushes)}, finish ${sec(p.finish)}`
  )
}

/** Issue 11's goals for archives, the shaped link from archives, scale and the big image. */
export function scenarioGoals(
  cases: ScenarioCase[],
  config: Pick<BenchConfig, 'rateBitsPerSecond' | 'images'>,
  /** Bytes of the layers the registry needs once (the workload's random files). */
  uniqueBytes: number
): Goal[] {
  const goals: Goal[] = []
  const find = (scenario: ScenarioName, way: ScenarioRun['way'], phase: Phase, tool?: string) =>
    cases.find(
      c =>
        c.scenario === scenario && c.way === way && c.phase === phase && (!tool || c.tool === tool)
    )
  const action = find('archives', 'action', 'first')
  for (const base of cases.filter(c => c.scenario === 'archives' && c.way === 'load + push')) {
    if (!action) continue
    const ratio = action.seconds / base.seconds
    goals.push({
      tool: base.tool,
      id: 'archives-ratio',
      text: `${config.images.length} archives, loopback: action <= 0.5 × \`${base.tool} load\` + push`,
      target: '<= 0.50 ×',
      measured: `${ratio.toFixed(2)} × (${sec(action.seconds)} vs ${sec(base.seconds)})`,
      met: ratio <= 0.5,
      bound:
        `The action (no engine): ${phaseText(action.phases)}. \`${base.tool} load\` + push: ` +
        `${sec(base.steps?.load ?? NaN)} loading, ${sec(base.steps?.push ?? NaN)} tagging and pushing, one archive after another.`
    })
  }
  const shaped = find('archives-shaped', 'action', 'first')
  if (shaped?.utilisation !== undefined) {
    const cap = config.rateBitsPerSecond / 8
    const p = shaped.phases
    const before = p ? p.startUp + p.preflight + p.checks : 0
    const during = p && p.pushes > 0 ? (shaped.upBytes ?? 0) / (p.pushes * cap) : undefined
    // Each archive holds the shared base layer: bytes sent more than once fill the link, not the registry.
    const goodput = uniqueBytes / (shaped.seconds * cap)
    const extra = (shaped.upBytes ?? 0) - uniqueBytes
    goals.push({
      tool: 'archives',
      id: 'archives-shaped-utilisation',
      text: 'shaped link, first push from archives: link utilisation >= 90 % of the cap',
      target: '>= 90 %',
      measured:
        `${Math.round(shaped.utilisation * 100)} % (${((shaped.upBytes ?? 0) / 1e6).toFixed(1)} MB in ${sec(shaped.seconds)})` +
        (extra > 0.02 * uniqueBytes
          ? `; counting each needed byte once (${(uniqueBytes / 1e6).toFixed(1)} MB): ${Math.round(goodput * 100)} %`
          : ''),
      met: shaped.utilisation >= 0.9,
      bound:
        `The bytes take ${sec((shaped.upBytes ?? 0) / cap)} at the cap; the step spends ${sec(before)} before ` +
        `its first layer (${phaseText(p)})` +
        (during !== undefined
          ? `; during the pushes the link runs at ${Math.round(during * 100)} % of the cap.`
          : '.') +
        (extra > 0.02 * uniqueBytes
          ? ` ${(extra / 1e6).toFixed(1)} MB went up more than once: the shared base layer of each archive, ` +
            'uploaded side by side to repositories that could have mounted it.'
          : '')
    })
  }
  for (const [scenario, text] of [
    ['scale', 'scale: many images × 2 tags in one step: peak RSS of the action < 200 MiB'],
    ['big', 'one big image (archive): peak RSS of the action < 200 MiB']
  ] as const) {
    const runs = cases.filter(c => c.scenario === scenario && c.way === 'action')
    const peak = Math.max(...runs.map(c => c.peakRssBytes ?? 0))
    if (runs.length === 0 || peak === 0) continue
    const first = runs.find(c => c.phase === 'first')
    goals.push({
      tool: scenario === 'scale' ? 'podman' : 'archives',
      id: `${scenario}-rss`,
      text: scenario === 'scale' ? text.replace('many', String((first?.tags ?? 0) / 2)) : text,
      target: '< 200 MiB',
      measured: `${(peak / 2 ** 20).toFixed(0)} MiB (${runs.map(c => `${c.phase === 'first' ? 'first push' : 're-run'} ${sec(c.seconds)}`).join(', ')})`,
      met: peak < RSS_LIMIT,
      bound:
        `The node process's high-water mark (VmHWM), read every 10 ms while it runs; ` +
        `${phaseText(first?.phases)}.`
    })
  }
  return goals
}

/** The report's section for the scenarios. */
export function scenarioSection(
  cases: ScenarioCase[],
  config: Pick<BenchConfig, 'images' | 'archiveFormat' | 'scaleImages' | 'bigBytes'>
): string[] {
  if (cases.length === 0) return []
  const lines: string[] = []
  lines.push('## Archives, scale and memory')
  lines.push('')
  lines.push(
    `**archives**: the ${config.images.length} images saved one per file (\`podman save --format ${config.archiveFormat}\`, ` +
      'each with the shared base layer) and pushed by the action from entries `name=' +
      config.archiveFormat +
      ':PATH` (no engine), ' +
      'against the way without it: `<tool> load` of each archive into an engine that does not have the images ' +
      '(podman: a storage of its own; docker: the images removed first), then tag + push, one after another, ' +
      'logged in before the clock starts. **archives-shaped**: the same entries over the shaped link (first push). ' +
      `**scale**: ${config.scaleImages} local podman images (a 64 KiB layer of their own on the shared base) × 2 ` +
      `tags in one step. **big**: one image of ${(config.bigBytes / 2 ** 20).toFixed(0)} MiB (one layer of random bytes) ` +
      "as an archive. Peak RSS: the action's node process (VmHWM)."
  )
  lines.push('')
  const header = [
    'scenario',
    'way',
    'tool',
    'link',
    'case',
    'tags',
    'median',
    'min–max',
    'peak RSS',
    'utilisation',
    'split'
  ]
  lines.push(`| ${header.join(' | ')} |`)
  lines.push(`| ${header.map(() => '---').join(' | ')} |`)
  for (const c of cases) {
    const split = c.steps
      ? `load ${sec(c.steps.load)}, tag + push ${sec(c.steps.push)}`
      : phaseText(c.phases)
    lines.push(
      `| ${[
        c.scenario,
        c.way,
        c.tool === 'none' ? '— (no engine)' : c.tool,
        c.link === 'raw' ? 'loopback' : 'shaped',
        c.phase === 'first' ? 'first push' : 're-run',
        String(c.tags),
        sec(c.seconds),
        `${sec(c.min)}–${sec(c.max)}`,
        c.peakRssBytes !== undefined ? `${(c.peakRssBytes / 2 ** 20).toFixed(0)} MiB` : '—',
        c.utilisation !== undefined ? `${Math.round(c.utilisation * 100)} %` : '—',
        split
      ].join(' | ')} |`
    )
  }
  lines.push('')
  return lines
}
