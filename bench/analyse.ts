/**
 * From measurements to findings: medians per case, action/loop ratios, the
 * action's phases from its log lines, the loop's per-image times, link
 * utilisation, and the goals with what bounds each one.
 */
import type { LinkName, Tool } from './config.js'
import { median } from './machine.js'
import type { Measurement, Phase, Stamp, Way } from './measure.js'

/** The action's time, split at its log lines (seconds). */
export interface ActionPhases {
  /** Node start, the bundle, inputs, the private folder, `<tool> --version`: until "Using ...". */
  startUp: number
  /** The registry preflight, local images read alongside: until "Registry ...: login accepted". */
  preflight: number
  /** Of which: until the registry logs the action's first request (the scheme probe's way there). */
  localIds?: number
  /** Of which: from there to "Registry ...: login accepted" (login, rights, what each tag holds). */
  registryChecks?: number
  /** Deciding per tag, and the tool's login when something is to be pushed. */
  checks: number
  /** From the first push (or "Unchanged") to the last image's result. */
  pushes: number
  /** Outputs, job summary, the count line, exit. */
  finish: number
  /** Wall time of each push, from its group title. */
  pushSeconds: number[]
}

/** The loop's time per image (seconds). */
export interface LoopSteps {
  tag: number[]
  push: number[]
}

export interface Case {
  tool: Tool
  link: LinkName
  way: Way
  phase: Phase
  n: number
  seconds: { median: number; min: number; max: number }
  /** Bytes through the shaped link, client -> registry (median). */
  wireUpBytes?: number
  /** wireUpBytes / (seconds x cap), median over the repeats. */
  utilisation?: number
  /** TCP connections through the shaper (median). */
  connections?: number
  storedBytes: number
  requests: number
  requestKinds: Record<string, number>
  requestClients: Record<string, number>
  cpu: Measurement['cpu']
  loadBefore: number
  actionPhases?: Omit<ActionPhases, 'pushSeconds'> & { pushSecondsMedian: number }
  /** The post step, after the job (not in `seconds`). */
  postSeconds?: number
  loopSteps?: { tagMedian: number; pushMedian: number }
}

export interface Ratio {
  tool: Tool
  link: LinkName
  phase: Phase
  loop: number
  action: number
  /** action / loop, from the medians. */
  ratio: number
  /** Range of action / loop over the repeats, paired by repeat. */
  pairedMin: number
  pairedMax: number
}

export interface Goal {
  /** The engine the goal is about, or the scenario's kind (archives need no engine). */
  tool: string
  id: string
  text: string
  target: string
  measured: string
  met: boolean
  /** What bounds the number, measured; for every goal, met or not. */
  bound: string
}

export function actionPhases(
  stamps: Stamp[],
  seconds: number,
  firstApi?: number
): ActionPhases | undefined {
  const first = (pattern: RegExp): number | undefined =>
    stamps.find(stamp => pattern.test(stamp.line))?.at
  const last = (pattern: RegExp): number | undefined =>
    [...stamps].reverse().find(stamp => pattern.test(stamp.line))?.at
  // A run without a tool (OCI archives and layouts: the own client) prints no "Using ...": its
  // start-up then ends with the inputs read, at the last secret it masks.
  const using = first(/^Using /) ?? last(/^::add-mask::/)
  const registry = first(/^Registry \S+: login accepted/)
  const target = /^(Pushing |Unchanged: |Skipped: )/
  const result = /^(::group::(pushed|failed|skipped|unchanged) |Unchanged: |Skipped: )/
  const firstTarget = first(target)
  const lastTarget = last(result)
  if (
    using === undefined ||
    registry === undefined ||
    firstTarget === undefined ||
    lastTarget === undefined
  ) {
    return undefined
  }
  const pushSeconds = stamps
    .map(stamp => /^::group::pushed .* \(\d+\/\d+, ([\d.]+)s\)$/.exec(stamp.line)?.[1])
    .filter((value): value is string => value !== undefined)
    .map(Number)
  const split = firstApi !== undefined && firstApi > using && firstApi < registry
  return {
    startUp: using,
    preflight: registry - using,
    ...(split ? { localIds: firstApi - using, registryChecks: registry - firstApi } : {}),
    checks: firstTarget - registry,
    pushes: lastTarget - firstTarget,
    finish: seconds - lastTarget,
    pushSeconds
  }
}

export function loopSteps(stamps: Stamp[]): LoopSteps {
  const steps: LoopSteps = { tag: [], push: [] }
  const at = new Map(stamps.map(stamp => [stamp.line, stamp.at]))
  for (const stamp of stamps) {
    const match = /^tag (\S+)$/.exec(stamp.line)
    if (!match) continue
    const push = at.get(`push ${match[1]}`)
    const done = at.get(`done ${match[1]}`)
    if (push === undefined || done === undefined) continue
    steps.tag.push(push - stamp.at)
    steps.push.push(done - push)
  }
  return steps
}

export function utilisation(m: Measurement, rateBitsPerSecond: number): number | undefined {
  return m.wire ? (m.wire.upBytes * 8) / (m.seconds * rateBitsPerSecond) : undefined
}

export function aggregate(measurements: Measurement[], rateBitsPerSecond: number): Case[] {
  const groups = new Map<string, Measurement[]>()
  for (const m of measurements) {
    const key = [m.tool, m.link, m.way, m.phase].join('/')
    groups.set(key, [...(groups.get(key) ?? []), m])
  }
  const cases: Case[] = []
  for (const group of groups.values()) {
    const [{ tool, link, way, phase }] = group
    const seconds = group.map(m => m.seconds)
    // The run nearest the median stands for the group where one run must be picked.
    const typical = [...group].sort(
      (a, b) => Math.abs(a.seconds - median(seconds)) - Math.abs(b.seconds - median(seconds))
    )[0]
    const c: Case = {
      tool,
      link,
      way,
      phase,
      n: group.length,
      seconds: { median: median(seconds), min: Math.min(...seconds), max: Math.max(...seconds) },
      storedBytes: median(group.map(m => m.storedBytes)),
      requests: median(group.map(m => m.requests.total)),
      requestKinds: typical.requests.byKind,
      requestClients: typical.requests.byClient,
      cpu: {
        clientSeconds: median(group.map(m => m.cpu.clientSeconds)),
        registrySeconds: median(group.map(m => m.cpu.registrySeconds)),
        proxySeconds: median(group.map(m => m.cpu.proxySeconds)),
        otherSeconds: median(group.map(m => m.cpu.otherSeconds))
      },
      loadBefore: median(group.map(m => m.loadBefore))
    }
    const wired = group.filter(m => m.wire !== undefined)
    if (wired.length > 0) {
      c.wireUpBytes = median(wired.map(m => m.wire?.upBytes ?? 0))
      c.utilisation = median(wired.map(m => utilisation(m, rateBitsPerSecond) ?? 0))
      c.connections = median(wired.map(m => m.wire?.connections ?? 0))
    }
    if (way === 'action') {
      const posts = group.map(m => m.postSeconds).filter((v): v is number => v !== undefined)
      if (posts.length > 0) c.postSeconds = median(posts)
      const phases = group
        .map(m => actionPhases(m.stamps, m.seconds, m.timeline.firstApi))
        .filter((p): p is ActionPhases => p !== undefined)
      if (phases.length > 0) {
        const pick = (f: (p: ActionPhases) => number): number => median(phases.map(f))
        const split = phases.filter(p => p.localIds !== undefined)
        c.actionPhases = {
          startUp: pick(p => p.startUp),
          preflight: pick(p => p.preflight),
          ...(split.length > 0
            ? {
                localIds: median(split.map(p => p.localIds ?? 0)),
                registryChecks: median(split.map(p => p.registryChecks ?? 0))
              }
            : {}),
          checks: pick(p => p.checks),
          pushes: pick(p => p.pushes),
          finish: pick(p => p.finish),
          pushSecondsMedian: median(phases.flatMap(p => p.pushSeconds))
        }
      }
    } else {
      const steps = group.map(m => loopSteps(m.stamps))
      c.loopSteps = {
        tagMedian: median(steps.flatMap(s => s.tag)),
        pushMedian: median(steps.flatMap(s => s.push))
      }
    }
    cases.push(c)
  }
  return cases
}

export function ratios(measurements: Measurement[], cases: Case[]): Ratio[] {
  const result: Ratio[] = []
  for (const loop of cases.filter(c => c.way === 'loop')) {
    const action = cases.find(
      c =>
        c.way === 'action' && c.tool === loop.tool && c.link === loop.link && c.phase === loop.phase
    )
    if (!action) continue
    const paired: number[] = []
    for (const a of measurements) {
      if (
        a.way !== 'action' ||
        a.tool !== loop.tool ||
        a.link !== loop.link ||
        a.phase !== loop.phase
      )
        continue
      const l = measurements.find(
        m =>
          m.way === 'loop' &&
          m.tool === a.tool &&
          m.link === a.link &&
          m.phase === a.phase &&
          m.repeat === a.repeat
      )
      if (l) paired.push(a.seconds / l.seconds)
    }
    result.push({
      tool: loop.tool,
      link: loop.link,
      phase: loop.phase,
      loop: loop.seconds.median,
      action: action.seconds.median,
      ratio: action.seconds.median / loop.seconds.median,
      pairedMin: Math.min(...paired),
      pairedMax: Math.max(...paired)
    })
  }
  return result
}

export interface Context {
  cases: Case[]
  ratios: Ratio[]
  rateBitsPerSecond: number
  cpus: number
  images: number
  /** Size of the shared base layer. */
  baseBytes: number
  startUps: Record<string, number>
  latencyMs: number
  parallel: number
  bundleBytes: number
}

const pct = (value: number): string => `${Math.round(value * 100)} %`
const s = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} s`
const x = (value: number): string => `${value.toFixed(2)} ×`
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`

function find(
  context: Context,
  tool: Tool,
  link: LinkName,
  way: Way,
  phase: Phase
): Case | undefined {
  return context.cases.find(
    c => c.tool === tool && c.link === link && c.way === way && c.phase === phase
  )
}

function ratioOf(context: Context, tool: Tool, link: LinkName, phase: Phase): Ratio | undefined {
  return context.ratios.find(r => r.tool === tool && r.link === link && r.phase === phase)
}

/** Splits an action case's time into words: "start-up 0.12 s, preflight ...". */
function phaseWords(c: Case): string {
  const p = c.actionPhases
  if (!p) return 'no phase timestamps (log lines not recognised)'
  const preflight =
    p.localIds !== undefined && p.registryChecks !== undefined
      ? `to the first registry request ${s(p.localIds)}, registry preflight ${s(p.registryChecks)}, `
      : `registry preflight ${s(p.preflight)}, `
  return (
    `start-up ${s(p.startUp)} (node, bundle, inputs, tool version), ` +
    preflight +
    `${c.phase === 'first' ? 'tool login' : 'deciding per tag'} ${s(p.checks)}, ` +
    `${c.phase === 'first' ? 'pushes' : 'reporting the unchanged tags'} ${s(p.pushes)}, ` +
    `outputs + summary + exit ${s(p.finish)}`
  )
}

function requestWords(c: Case): string {
  const kinds = Object.entries(c.requestKinds)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, count]) => `${count} × ${kind}`)
    .join(', ')
  return `${c.requests} registry requests (${kinds || 'none'})`
}

/** Completed blob uploads (the registry's `PUT .../blobs/uploads/<id>` answered 201). */
function uploads(c: Case): number {
  return Object.entries(c.requestKinds)
    .filter(([kind]) => kind === 'PUT upload-data 201')
    .reduce((sum, [, count]) => sum + count, 0)
}

function uploadWords(action: Case, loop: Case): string {
  const a = uploads(action)
  const l = uploads(loop)
  if (a <= l) return ''
  return (
    `The action's tool completed ${a} blob uploads where the loop's completed ${l}: parallel pushes ` +
    'upload the shared base layer side by side before any of them can mount it, and the extra copies ' +
    'cost CPU (compression, hashing in the registry) and disk. '
  )
}

/**
 * When the action's start-up alone (node, the bundle, `<tool> --version`,
 * before it asks anything) is over the goal, no preflight can meet it: say so.
 */
function startUpFloor(action: Case, loop: Case, limit: number): string {
  const startUp = action.actionPhases?.startUp
  if (startUp === undefined || startUp <= limit * loop.seconds.median) return ''
  return (
    `The goal is ${s(limit * loop.seconds.median)} here, and the action's start-up alone, before it asks ` +
    `anything, takes ${s(startUp)} (${x(startUp / loop.seconds.median)} the loop's re-run): the loop's ` +
    're-run is cheaper than starting node with the bundle and the tool once. '
  )
}

/** What starting the action costs before it does anything, against the loop's re-run. */
function processStart(context: Context, loop: Case): string {
  const node = context.startUps['node -e 0 (bundle node)']
  const core = context.startUps['node with @actions/core alone, bundled']
  const bundle = context.startUps['dist/index.js to its first input error']
  if (node === undefined || bundle === undefined) return ''
  return (
    `Process start: node alone ${s(node)}, ` +
    (core === undefined ? '' : `node with @actions/core alone, bundled, ${s(core)}, `) +
    `node with the bundle to its first input error ` +
    `${s(bundle)} (${x(bundle / loop.seconds.median)} the loop's re-run)${compileCacheWords(context)}. `
  )
}

/**
 * The compile cache's part in the start-up: the measured steps run with the
 * runner's tool cache kept (warm), as on a self-hosted runner; a fresh
 * hosted runner's first step starts cold.
 */
function compileCacheWords(context: Context): string {
  const cold = context.startUps['the same, compile cache cold (written)']
  const warm = context.startUps['the same, compile cache warm (read)']
  if (cold === undefined || warm === undefined) return ''
  return (
    ` without Node's compile cache, ${s(warm)} with it warm (the measured steps: the runner's tool ` +
    `cache kept, as on a self-hosted runner or in a job's second step), ${s(cold)} cold (a fresh ` +
    `hosted runner's first step writes it)`
  )
}

/** The fixed-cost key of the tool's first call: what the action asks it before anything else. */
export function toolVersionKey(tool: string): string {
  return tool === 'docker' ? 'docker info' : `${tool} --version`
}

export function goals(context: Context): Goal[] {
  const result: Goal[] = []
  const tools = [...new Set(context.cases.map(c => c.tool))]
  const cap = context.rateBitsPerSecond / 8
  for (const tool of tools) {
    const actionShaped = find(context, tool, 'shaped', 'action', 'first')
    const loopShaped = find(context, tool, 'shaped', 'loop', 'first')
    if (actionShaped && loopShaped) {
      // What the registry needs once: the loop sends every layer exactly once.
      const needed = Math.min(loopShaped.wireUpBytes ?? 0, actionShaped.wireUpBytes ?? 0)
      const sent = actionShaped.wireUpBytes ?? 0
      const extra = sent - needed
      // Issue 5's "shaped first push <= 0.5 × the loop" is retired (issue 11): the link bounds it
      // (the report's shaped ratio row says by how much); utilisation is the goal.
      const p = actionShaped.actionPhases
      const before = p ? p.startUp + p.preflight + p.checks : 0
      const window = p ? p.pushes : 0
      const windowUtil = window > 0 ? sent / (window * cap) : 0
      const goodput = needed / (actionShaped.seconds.median * cap)
      result.push({
        tool,
        id: 'shaped-first-utilisation',
        text: 'shaped link, first push: link utilisation >= 70 % of the cap',
        target: '>= 70 %',
        measured:
          `${pct(actionShaped.utilisation ?? 0)} (loop: ${pct(loopShaped.utilisation ?? 0)})` +
          (extra > 0.02 * needed ? `; counting each needed byte once: ${pct(goodput)}` : ''),
        met: (actionShaped.utilisation ?? 0) >= 0.7,
        bound: p
          ? `The step's ${s(actionShaped.seconds.median)}: ${s(before)} before the first byte of a layer ` +
            `(${phaseWords(actionShaped)}); during the ${s(window)} of pushes the link runs at ` +
            `${pct(windowUtil)} of the cap.` +
            (extra > 0.02 * needed
              ? ` ${mb(extra)} of the bytes are the shared base layer sent more than once (see above).`
              : '')
          : 'no phase timestamps'
      })
    }
    const rawFirst = ratioOf(context, tool, 'raw', 'first')
    const actionRaw = find(context, tool, 'raw', 'action', 'first')
    const loopRaw = find(context, tool, 'raw', 'loop', 'first')
    if (rawFirst && actionRaw && loopRaw) {
      const busy =
        (actionRaw.cpu.clientSeconds + actionRaw.cpu.registrySeconds) /
        (actionRaw.seconds.median * context.cpus)
      const loopBusy =
        (loopRaw.cpu.clientSeconds + loopRaw.cpu.registrySeconds) /
        (loopRaw.seconds.median * context.cpus)
      result.push({
        tool,
        id: 'raw-first-ratio',
        text: 'raw loopback, first push: action <= 0.9 × the loop',
        target: '<= 0.90 ×',
        measured: `${x(rawFirst.ratio)} (${s(rawFirst.action)} vs ${s(rawFirst.loop)})`,
        met: rawFirst.ratio <= 0.9,
        bound:
          `CPU and disk of this machine: the action's processes and the registry used ` +
          `${s(actionRaw.cpu.clientSeconds + actionRaw.cpu.registrySeconds)} of CPU in ` +
          `${s(actionRaw.seconds.median)} on ${context.cpus} cores (${pct(busy)} busy; the loop: ` +
          `${s(loopRaw.cpu.clientSeconds + loopRaw.cpu.registrySeconds)}, ${pct(loopBusy)} busy). ` +
          uploadWords(actionRaw, loopRaw) +
          `Phases: ${phaseWords(actionRaw)}.`
      })
    }
    for (const [link, limit] of [
      ['raw', 0.3],
      ['shaped', 0.15]
    ] as const) {
      const rerun = ratioOf(context, tool, link, 'rerun')
      const actionRerun = find(context, tool, link, 'action', 'rerun')
      const loopRerun = find(context, tool, link, 'loop', 'rerun')
      if (!rerun || !actionRerun || !loopRerun) continue
      result.push({
        tool,
        id: `${link}-rerun-ratio`,
        text: `re-run with everything present, ${link === 'raw' ? 'loopback' : 'shaped link'}: action <= ${limit} × the loop`,
        target: `<= ${limit.toFixed(2)} ×`,
        measured: `${x(rerun.ratio)} (${s(rerun.action)} vs ${s(rerun.loop)})`,
        met: rerun.ratio <= limit,
        bound:
          startUpFloor(actionRerun, loopRerun, limit) +
          processStart(context, loopRerun) +
          `The action: ${phaseWords(actionRerun)}; ${requestWords(actionRerun)}; the registry's CPU ` +
          `for them ${s(actionRerun.cpu.registrySeconds)} (htpasswd: a bcrypt check on every request ` +
          `that carries the login). ` +
          `The loop: ${context.images} × (tag ${s(loopRerun.loopSteps?.tagMedian ?? NaN)} + push ` +
          `${s(loopRerun.loopSteps?.pushMedian ?? NaN)}), ${requestWords(loopRerun)}.`
      })
    }
    const overhead = find(context, tool, 'raw', 'action', 'rerun')
    if (overhead) {
      const first = find(context, tool, 'raw', 'action', 'first')
      const fp = first?.actionPhases
      const firstOverhead = fp && first ? first.seconds.median - fp.pushes : undefined
      result.push({
        tool,
        id: 'overhead',
        text: `the action's own overhead for ${context.images} images < 0.5 s`,
        target: '< 0.50 s',
        measured:
          `${s(overhead.seconds.median)} (re-run on loopback: nothing to push)` +
          (firstOverhead !== undefined
            ? `; first push outside the pushes: ${s(firstOverhead)}`
            : ''),
        met: overhead.seconds.median < 0.5,
        bound:
          `${phaseWords(overhead)}. Fixed costs on this machine: ` +
          Object.entries(context.startUps)
            .filter(([what]) => !/^(\d+ × )?(docker|podman) /.test(what) || what.includes(tool))
            .map(([what, value]) => `${what} ${s(value)}`)
            .join(', ') +
          '.' +
          (overhead.postSeconds !== undefined
            ? ` The post step, which the runner runs at the end of the job, adds ${s(overhead.postSeconds)} (not counted).`
            : '')
      })
    }
  }
  return result
}

/**
 * What in the action costs the time, per tool, each item measured in this
 * run (markdown bullets). Estimates are marked as such.
 */
export function findings(context: Context): { tool: Tool; items: string[] }[] {
  const result: { tool: Tool; items: string[] }[] = []
  const cap = context.rateBitsPerSecond / 8
  const rtt = (2 * context.latencyMs) / 1000
  for (const tool of [...new Set(context.cases.map(c => c.tool))]) {
    const items: string[] = []
    const shapedFirst = find(context, tool, 'shaped', 'action', 'first')
    const shapedLoop = find(context, tool, 'shaped', 'loop', 'first')
    const shapedRerun = find(context, tool, 'shaped', 'action', 'rerun')
    const rawRerun = find(context, tool, 'raw', 'action', 'rerun')
    const rawFirst = find(context, tool, 'raw', 'action', 'first')
    const rawLoop = find(context, tool, 'raw', 'loop', 'first')

    const sent = shapedFirst?.wireUpBytes ?? 0
    const needed = shapedLoop?.wireUpBytes ?? 0
    if (shapedFirst && shapedLoop && sent > needed * 1.02) {
      const extra = sent - needed
      const estimate = shapedFirst.seconds.median - extra / cap
      items.push(
        `**The shared base layer goes up more than once.** On a first push the action's ${tool} ` +
          `completed ${uploads(shapedFirst)} blob uploads where the loop's completed ${uploads(shapedLoop)}` +
          (rawFirst && rawLoop ? ` (loopback: ${uploads(rawFirst)} vs ${uploads(rawLoop)})` : '') +
          `, and sent ${mb(extra)} more up the shaped link (${pct(extra / sent)} of what it sent, ` +
          `${s(extra / cap)} at the cap). Without those copies: ~${s(estimate)} ` +
          `(${x(estimate / shapedLoop.seconds.median)} the loop).`
      )
    } else if (shapedFirst && shapedLoop) {
      const pushes = shapedFirst.actionPhases?.pushSecondsMedian
      items.push(
        `**The shared base layer goes up once.** Images that share layers with an earlier one start ` +
          `once it is pushed, so they mount the base instead of uploading it side by side: the action's ` +
          `${tool} completed ${uploads(shapedFirst)} blob uploads, the loop's ${uploads(shapedLoop)}` +
          (rawFirst && rawLoop ? ` (loopback: ${uploads(rawFirst)} vs ${uploads(rawLoop)})` : '') +
          `, and both sent ${mb(sent)} up the shaped link. The price: the first image goes alone ` +
          `(one push takes ${s(pushes ?? NaN)} on the shaped link, median), with the link less than full.`
      )
    }

    const count = context.images
    const allAtOnce = context.startUps[`${count} × ${tool} image inspect, all at once`]
    const oneCall = context.startUps[`${tool} image inspect of ${count} images in one call`]
    const one = context.startUps[`${tool} image inspect (one image)`]
    if (allAtOnce !== undefined && oneCall !== undefined && rawRerun?.actionPhases) {
      const localRaw = rawRerun.actionPhases.localIds ?? rawRerun.actionPhases.preflight
      const localShaped = shapedRerun?.actionPhases?.localIds
      items.push(
        `**Local images and the scheme probe at once.** One \`${tool} image inspect\` names all ${count} ` +
          `images (${s(oneCall)} here; ${count} separate ones at once take ${s(allAtOnce)}, one alone ` +
          `${s(one ?? NaN)}) while the registry is asked; HTTPS and plain HTTP are probed at the same ` +
          `time. Until the registry logs the action's first request: ${s(localRaw)} on loopback` +
          (localShaped !== undefined
            ? `, ${s(localShaped)} on the shaped link (a TCP handshake and the request across it)`
            : '') +
          '.'
      )
    }

    const p = shapedRerun?.actionPhases
    if (shapedRerun && p) {
      const checks = p.registryChecks ?? p.preflight
      items.push(
        `**Registry preflight: a few round trips, whatever the number of images.** On the shaped link ` +
          `(${Math.round(rtt * 1000)} ms round trip) the re-run spends ${s(checks)} in it ` +
          `(~${Math.round(checks / rtt)} round trips, new connections included): ${requestWords(shapedRerun)}. ` +
          "The probe's `/v2/` answer is the auth challenge; the credentials go out once (one login check, " +
          'so a wrong secret is one failed login; with tokens, that one token covers every repository); ' +
          'then every tag is read at once; then push rights, only for repositories something will be pushed ' +
          'to (with tokens, read from the token; with basic auth, an upload started per repository and ' +
          'cancelled): a re-run where every tag is unchanged asks none.'
      )
    }

    if (rawRerun?.actionPhases) {
      const node = context.startUps['node -e 0 (bundle node)']
      const bundle = context.startUps['dist/index.js to its first input error']
      const version = context.startUps[toolVersionKey(tool)] ?? NaN
      const core = context.startUps['node with @actions/core alone, bundled']
      items.push(
        `**Start-up: ${s(rawRerun.actionPhases.startUp)}** until \`Using ${tool}\`: node alone ${s(node ?? NaN)}, ` +
          (core === undefined
            ? ''
            : `node with @actions/core alone, bundled, ${s(core)} (its OIDC client loads undici whole), `) +
          `node with the bundle (${Math.round(context.bundleBytes / 1024)} KiB) to its first input error ` +
          `${s(bundle ?? NaN)}${compileCacheWords(context)}, \`${toolVersionKey(tool)}\` ${s(version)}. Outputs, summary ` +
          `and exit after the last push: ${s(rawRerun.actionPhases.finish)}.`
      )
    }

    if (shapedFirst?.actionPhases && p) {
      const login = shapedFirst.actionPhases.checks - p.checks
      items.push(
        `**The tool's login inside the step** (first push only): ~${s(login)} on the shaped link ` +
          `(login and deciding per tag ${s(shapedFirst.actionPhases.checks)}, deciding alone ${s(p.checks)} in the ` +
          `re-run). The loop logged in before its clock started.`
      )
    }

    const loopRerun = find(context, tool, 'shaped', 'loop', 'rerun')
    const loopRawRerun = find(context, tool, 'raw', 'loop', 'rerun')
    if (loopRerun?.loopSteps && loopRawRerun?.loopSteps) {
      items.push(
        `**What the loop's re-run costs per image:** \`${tool} push\` of an image that is all there takes ` +
          `${s(loopRawRerun.loopSteps.pushMedian)} on loopback and ${s(loopRerun.loopSteps.pushMedian)} on the ` +
          `shaped link (${Math.round(loopRerun.requests / count)} requests per image` +
          (loopRerun.connections !== undefined
            ? ` over ${Math.round(loopRerun.connections / count)} new TCP connections`
            : '') +
          `). On loopback that is less than the action's fixed costs above, which is what bounds the ` +
          `loopback re-run ratio.`
      )
    }
    result.push({ tool, items })
  }
  return result
}
