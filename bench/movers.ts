/**
 * `npm run bench:movers`: how archive and layout sources should move their
 * bytes, measured. Seven OCI archives and seven OCI layouts (the bench's
 * product images, made with skopeo from podman storage) are pushed to a
 * fresh `docker-registry` by skopeo (`skopeo copy --all --preserve-digests`,
 * three at a time, as the push path ran it) and by the project's own
 * registry client (src/registry/copy.ts, one node process, three images at
 * a time), first push and re-run, on loopback and through the bench's
 * shaped link. Wall time and peak RSS (GNU time) of the processes that move
 * the bytes; every push is read back (digest equal to the source's). The
 * section "Archives and layouts: own client vs skopeo" of REPORT.md is
 * written between markers (bench/main.ts keeps it). Flags as bench/main.ts
 * (--small, --base-mb, --image-mb, --latency-ms, --rate-mbit, --repeats,
 * --links, --parallel, --out, --keep-images).
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { getManifest } from '../rig/registry-api.js'
import { ociArchiveSource } from '../src/sources/oci-archive.js'
import { type Registry, startRegistry } from '../rig/registry.js'
import { requireTool, run } from '../rig/tools.js'
import { mapWithLimit } from '../src/pool.js'
import {
  type BenchConfig,
  ConfigError,
  HelpRequested,
  type LinkName,
  USAGE,
  parseConfig
} from './config.js'
import { median } from './machine.js'
import { runWithInput } from './measure.js'
import { MOVERS_END, MOVERS_START, moversSection } from './report.js'
import { startShaper } from './shaper.js'
import { buildPodmanImages, removeImages } from './workload.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const USER = 'bench'
const TAG = 'v1'

/** `podman`: what a job does without harbor-push's archive support: `podman load`, then `podman push` (archives only). */
type Mover = 'skopeo' | 'own' | 'podman'
type SourceKind = 'oci-archive' | 'oci'
type Phase = 'first' | 'rerun'

interface Sample {
  mover: Mover
  kind: SourceKind
  link: LinkName
  phase: Phase
  repeat: number
  seconds: number
  /** Peak RSS of the largest process that moved bytes, MiB. */
  peakMiB: number
  /** Peak RSS summed over the processes that ran at once (skopeo: three), MiB. */
  concurrentMiB: number
  /** Bytes the movers wrote to disk (rusage output blocks x 512). */
  diskBytes: number
  /** Bytes that crossed the shaped link upwards (shaped only). */
  upBytes?: number
}

interface Source {
  name: string
  reference: string
  digest: string
}

function log(message: string): void {
  console.log(`[movers ${new Date().toISOString().slice(11, 19)}] ${message}`)
}

/** `/usr/bin/time -f` output: elapsed seconds, max RSS KiB, output blocks, on the last line of stderr. */
const TIME_FORMAT = 'hp-time %e %M %O'

function timed(stderr: string): { maxKiB: number; blocks: number } {
  const line = stderr
    .split('\n')
    .reverse()
    .find(text => text.startsWith('hp-time '))
  if (!line) throw new Error(`GNU time printed nothing:\n${stderr.slice(-2000)}`)
  const [, , maxKiB, blocks] = line.split(' ')
  return { maxKiB: Number(maxKiB), blocks: Number(blocks) }
}

async function main(): Promise<void> {
  let config: BenchConfig
  try {
    config = parseConfig(process.argv.slice(2), process.env, ROOT)
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(USAGE.replace('npm run bench', 'npm run bench:movers'))
      return
    }
    throw error
  }
  const skopeo = requireTool('skopeo', 'apt-get install -y skopeo')
  const gnuTime = requireTool('time', 'apt-get install -y time (GNU time: peak RSS)')
  const node = process.env.BENCH_NODE ?? process.env.HP_TEST_NODE ?? process.execPath
  const password = crypto.randomBytes(12).toString('hex')
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-movers-'))
  const cleanups: (() => Promise<void>)[] = [
    () => Promise.resolve(fs.rmSync(work, { recursive: true, force: true }))
  ]
  if (!config.keepImages) cleanups.push(() => removeImages('podman'))
  try {
    log(
      `building ${config.images.length} images (${config.baseBytes / 2 ** 20} MiB shared + ${config.imageBytes / 2 ** 20} MiB each)`
    )
    const workload = await buildPodmanImages(config)
    const sources: Record<SourceKind, Source[]> = { 'oci-archive': [], oci: [] }
    for (const [index, ref] of workload.sources.entries()) {
      const name = config.images[index]
      for (const kind of ['oci-archive', 'oci'] as const) {
        const target = path.join(work, kind, kind === 'oci' ? name : `${name}.tar`)
        fs.mkdirSync(path.dirname(target), { recursive: true })
        const reference = `${kind}:${target}:${TAG}`
        await run(skopeo, ['copy', '--quiet', `containers-storage:localhost/${ref}`, reference])
        const raw = (await run(skopeo, ['inspect', '--raw', reference])).stdout
        const digest = `sha256:${crypto.createHash('sha256').update(raw).digest('hex')}`
        sources[kind].push({ name, reference, digest })
      }
    }
    const archiveBytes = sources['oci-archive'].reduce(
      (total, source) => total + fs.statSync(source.reference.split(':')[1]).size,
      0
    )
    log(`sources ready: 7 archives (${(archiveBytes / 1e6).toFixed(0)} MB) and 7 layouts`)
    // A release job's storage does not hold the images it is handed: podman load must import them.
    await removeImages('podman')
    const podman = requireTool('podman', 'apt-get install -y podman')
    const imageIds = await Promise.all(
      sources['oci-archive'].map(async source => {
        const [, file, ref] = /^oci-archive:(.*):([^:]*)$/.exec(source.reference) ?? []
        const held = await ociArchiveSource(file, ref).inspect()
        return held.configDigest ?? ''
      })
    )

    // The own client's process with nothing to copy: node and the modules it loads.
    const baselines: Measured[] = []
    for (let index = 0; index < 3; index++) {
      baselines.push(await pushWithOwnClient(gnuTime, node, '127.0.0.1:9', password, [], 1))
    }
    const baseline = {
      node: (await run(node, ['--version'])).stdout.trim(),
      seconds: median(baselines.map(b => b.seconds)),
      peakMiB: median(baselines.map(b => b.peakMiB))
    }
    log(
      `own client's process, nothing to copy: ${baseline.seconds.toFixed(2)} s, ${baseline.peakMiB.toFixed(0)} MiB`
    )

    const samples: Sample[] = []
    for (let repeat = 0; repeat < config.repeats; repeat++) {
      for (const link of config.links) {
        for (const kind of ['oci-archive', 'oci'] as const) {
          const movers: Mover[] = [
            ...(repeat % 2 === 0 ? (['skopeo', 'own'] as const) : (['own', 'skopeo'] as const)),
            ...(kind === 'oci-archive' ? (['podman'] as const) : [])
          ]
          for (const mover of movers) {
            const registry = await startRegistry({ users: { [USER]: password } })
            const shaper =
              link === 'shaped'
                ? await startShaper(registry.host, {
                    latencyMs: config.latencyMs,
                    rateBitsPerSecond: config.rateBitsPerSecond,
                    tcp: config.tcpModel
                  })
                : undefined
            const endpoint = shaper?.host ?? registry.host
            try {
              for (const phase of ['first', 'rerun'] as const) {
                const before = shaper?.stats().upBytes ?? 0
                const sample =
                  mover === 'podman'
                    ? await loadAndPush(
                        podman,
                        work,
                        endpoint,
                        password,
                        sources[kind],
                        imageIds,
                        config.parallel
                      )
                    : mover === 'skopeo'
                      ? await pushWithSkopeo(
                          skopeo,
                          gnuTime,
                          work,
                          endpoint,
                          password,
                          sources[kind],
                          config.parallel
                        )
                      : await pushWithOwnClient(
                          gnuTime,
                          node,
                          endpoint,
                          password,
                          sources[kind],
                          config.parallel
                        )
                const full: Sample = {
                  mover,
                  kind,
                  link,
                  phase,
                  repeat,
                  ...sample,
                  ...(shaper ? { upBytes: shaper.stats().upBytes - before } : {})
                }
                samples.push(full)
                log(
                  `${link} ${kind} ${mover} ${phase}: ${full.seconds.toFixed(2)} s, peak ${full.peakMiB.toFixed(0)} MiB, disk ${(full.diskBytes / 1e6).toFixed(0)} MB`
                )
                // podman push writes its own manifests (it compresses the layers): no digest to compare.
                if (phase === 'first' && mover !== 'podman') {
                  await checkDigests(registry, password, sources[kind])
                }
              }
            } finally {
              await shaper?.stop()
              await registry.stop()
              if (mover === 'podman') await removeImages('podman')
            }
          }
        }
      }
    }
    const section = report(config, samples, archiveBytes, baseline)
    fs.mkdirSync(config.outDir, { recursive: true })
    const reportFile = path.join(config.outDir, 'REPORT.md')
    await writeSection(reportFile, section)
    fs.writeFileSync(
      path.join(config.outDir, 'movers.json'),
      JSON.stringify(samples, null, 2) + '\n'
    )
    log(`wrote the movers section of ${reportFile}`)
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => console.error(`cleanup: ${String(error)}`))
    }
  }
}

type Measured = Omit<Sample, 'mover' | 'kind' | 'link' | 'phase' | 'repeat' | 'upBytes'>

/** skopeo as the push path ran it: one `skopeo copy` per image, `parallel` at once, logged in beforehand. */
async function pushWithSkopeo(
  skopeo: string,
  gnuTime: string,
  work: string,
  endpoint: string,
  password: string,
  sources: Source[],
  parallel: number
): Promise<Measured> {
  const authFile = await loginInto(skopeo, path.join(work, 'skopeo-auth.json'), endpoint, password)
  const started = performance.now()
  const results = await mapWithLimit(sources, parallel, async source => {
    const { stderr } = await run(gnuTime, [
      '-f',
      TIME_FORMAT,
      skopeo,
      'copy',
      '--quiet',
      '--all',
      '--preserve-digests',
      '--dest-authfile',
      authFile,
      '--dest-tls-verify=false',
      source.reference,
      `docker://${endpoint}/bench/${source.name}:${TAG}`
    ])
    return timed(stderr)
  })
  const seconds = (performance.now() - started) / 1000
  return {
    seconds,
    peakMiB: Math.max(...results.map(result => result.maxKiB)) / 1024,
    // Each skopeo's peak, summed over `parallel` of them: what three at once may hold.
    concurrentMiB:
      results
        .map(result => result.maxKiB)
        .sort((a, b) => b - a)
        .slice(0, parallel)
        .reduce((total, kib) => total + kib, 0) / 1024,
    diskBytes: results.reduce((total, result) => total + result.blocks * 512, 0)
  }
}

/** Logs `tool` (skopeo, podman) in to `endpoint` into `authFile`, the password on stdin; returns the file. */
async function loginInto(
  tool: string,
  authFile: string,
  endpoint: string,
  password: string
): Promise<string> {
  await runWithInput(
    tool,
    [
      'login',
      '--authfile',
      authFile,
      '--tls-verify=false',
      '--username',
      USER,
      '--password-stdin',
      endpoint
    ],
    password,
    {}
  )
  return authFile
}

/**
 * The way without archive support: `podman load` each archive, then `podman
 * push` each image, `parallel` at once (login before the clock). A re-run
 * loads again (a new job's storage is empty), then finds the layers there.
 */
async function loadAndPush(
  podman: string,
  work: string,
  endpoint: string,
  password: string,
  sources: Source[],
  imageIds: string[],
  parallel: number
): Promise<Measured> {
  const authFile = await loginInto(podman, path.join(work, 'podman-auth.json'), endpoint, password)
  const started = performance.now()
  await mapWithLimit(sources, parallel, source =>
    run(podman, ['load', '--quiet', '--input', source.reference.split(':')[1]])
  )
  await mapWithLimit(sources, parallel, (source, index) =>
    run(podman, [
      'push',
      '--quiet',
      '--tls-verify=false',
      '--authfile',
      authFile,
      imageIds[index],
      `docker://${endpoint}/bench/${source.name}:${TAG}`
    ])
  )
  const seconds = (performance.now() - started) / 1000
  await removeImages('podman')
  return { seconds, peakMiB: 0, concurrentMiB: 0, diskBytes: 0 }
}

/** The own client: one node process copying every source, `parallel` images at once. */
async function pushWithOwnClient(
  gnuTime: string,
  node: string,
  endpoint: string,
  password: string,
  sources: Source[],
  parallel: number
): Promise<Measured> {
  const started = performance.now()
  const { stderr } = await run(
    gnuTime,
    [
      '-f',
      TIME_FORMAT,
      node,
      path.join(import.meta.dirname, 'copy-child.js'),
      endpoint,
      String(parallel),
      ...sources.map(source => `${source.name}=${source.reference}`)
    ],
    { env: { ...process.env, BENCH_REGISTRY_PASSWORD: password } }
  )
  const seconds = (performance.now() - started) / 1000
  const measured = timed(stderr)
  return {
    seconds,
    peakMiB: measured.maxKiB / 1024,
    concurrentMiB: measured.maxKiB / 1024,
    diskBytes: measured.blocks * 512
  }
}

/** Every image pushed holds the source's digest. */
async function checkDigests(
  registry: Registry,
  password: string,
  sources: Source[]
): Promise<void> {
  for (const source of sources) {
    const held = await getManifest(registry, `bench/${source.name}`, TAG, {
      username: USER,
      password
    })
    if (held?.digest !== source.digest) {
      throw new Error(
        `bench/${source.name}:${TAG} holds ${held?.digest}, not the source's ${source.digest}`
      )
    }
  }
}

function report(
  config: BenchConfig,
  samples: Sample[],
  archiveBytes: number,
  baseline: { node: string; seconds: number; peakMiB: number }
): string {
  const rows: string[] = []
  const cell = (mover: Mover, kind: SourceKind, link: LinkName, phase: Phase): Sample[] =>
    samples.filter(
      s => s.mover === mover && s.kind === kind && s.link === link && s.phase === phase
    )
  const seconds = (list: Sample[]): number => median(list.map(s => s.seconds))
  const fmt = (value: number): string => (value >= 10 ? value.toFixed(1) : value.toFixed(2))
  for (const link of config.links) {
    for (const kind of ['oci-archive', 'oci'] as const) {
      for (const phase of ['first', 'rerun'] as const) {
        const skopeo = cell('skopeo', kind, link, phase)
        const own = cell('own', kind, link, phase)
        if (skopeo.length === 0 || own.length === 0) continue
        const ratio = seconds(own) / seconds(skopeo)
        const paired = own.map((s, index) => s.seconds / (skopeo[index]?.seconds ?? NaN))
        const mib = (list: Sample[], key: 'peakMiB' | 'concurrentMiB'): string =>
          `${Math.round(Math.max(...list.map(s => s[key])))}`
        const disk = (list: Sample[]): string =>
          `${Math.round(median(list.map(s => s.diskBytes)) / 1e6)}`
        rows.push(
          `| ${link === 'raw' ? 'loopback' : 'shaped'} | ${kind === 'oci' ? 'layout' : 'archive'} | ${phase === 'first' ? 'first push' : 're-run'} | ${fmt(seconds(skopeo))} s | ${fmt(seconds(own))} s | **${ratio.toFixed(2)} ×** (${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}) | ${mib(skopeo, 'peakMiB')} (${mib(skopeo, 'concurrentMiB')} for ${config.parallel}) | ${mib(own, 'peakMiB')} | ${disk(skopeo)} / ${disk(own)} |`
        )
      }
    }
  }
  const podmanRows: string[] = []
  for (const link of config.links) {
    for (const phase of ['first', 'rerun'] as const) {
      const podman = cell('podman', 'oci-archive', link, phase)
      const own = cell('own', 'oci-archive', link, phase)
      if (podman.length === 0 || own.length === 0) continue
      const paired = own.map((s, index) => s.seconds / (podman[index]?.seconds ?? NaN))
      podmanRows.push(
        `| ${link === 'raw' ? 'loopback' : 'shaped'} | ${phase === 'first' ? 'first push' : 're-run'} | ${fmt(seconds(podman))} s | ${fmt(seconds(own))} s | **${(seconds(own) / seconds(podman)).toFixed(2)} ×** (${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)}) |`
      )
    }
  }
  const shapedFirst = samples.filter(
    s => s.link === 'shaped' && s.phase === 'first' && s.upBytes && s.mover !== 'podman'
  )
  const utilisation = (mover: Mover, kind: SourceKind): string => {
    const list = shapedFirst.filter(s => s.mover === mover && s.kind === kind)
    if (list.length === 0) return 'n/a'
    const rate = median(list.map(s => ((s.upBytes ?? 0) * 8) / s.seconds))
    return `${Math.round((100 * rate) / config.rateBitsPerSecond)} %`
  }
  const sentUp = (mover: Mover): string =>
    `${Math.round(median(shapedFirst.filter(s => s.mover === mover).map(s => s.upBytes ?? 0)) / 1e6)} MB`
  const lines = [
    MOVERS_START,
    '## Archives and layouts: own client vs skopeo',
    '',
    `Written by \`npm run bench:movers\` (bench/movers.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; do not edit by hand, run it again.`,
    '',
    `Workload: the same seven images (${config.baseBytes / 2 ** 20} MiB shared base + ${config.imageBytes / 2 ** 20} MiB each, random bytes), each as an OCI archive (${(archiveBytes / 1e6).toFixed(0)} MB in all) and as an OCI layout folder, made with \`skopeo copy containers-storage:… oci-archive:…\` / \`oci:…\`. Each way pushes all seven to a fresh \`docker-registry\` (htpasswd login) on loopback or through the shaped link (${config.rateBitsPerSecond / 1e6} Mbit/s, ${config.latencyMs} ms each way), then again (re-run: everything present). **skopeo** = \`skopeo copy --all --preserve-digests\` per image, ${config.parallel} at once (as the push path ran it; login before the clock). **own** = the project's registry client (src/registry/copy.ts) in one node process, ${config.parallel} images at once, blobs 4 at a time per image. Peak RSS from GNU time (for skopeo: the largest process, and the sum of the ${config.parallel} largest, which can run at once); disk = bytes the movers wrote (rusage output blocks). Every first push is read back: each tag holds the source's digest. Median of ${config.repeats}; in brackets the ratio paired repeat by repeat.`,
    '',
    '| link | source | case | skopeo | own | own / skopeo | skopeo peak RSS (MiB) | own peak RSS (MiB) | disk written, MB (skopeo / own) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...(podmanRows.length > 0
      ? [
          `The seven archives against what a job does without archive support: \`podman load\` each (into a storage that does not hold them), then \`podman push\` each, ${config.parallel} at once (podman compresses the layers on the way, so its manifests and digests are its own):`,
          '',
          '| link | case | podman load + push | own | own / podman |',
          '| --- | --- | --- | --- | --- |',
          ...podmanRows,
          ''
        ]
      : []),
    `The own client's process with nothing to copy (node ${baseline.node}, the client, the copier and the sources loaded) takes ${baseline.seconds.toFixed(2)} s and ${Math.round(baseline.peakMiB)} MiB: its peak RSS above that is what moving the bytes costs; skopeo's processes come on top of the action's own node process, which runs either way.`,
    '',
    ...(shapedFirst.length > 0
      ? [
          `Shaped link, first push, utilisation of the cap: archives skopeo ${utilisation('skopeo', 'oci-archive')}, own ${utilisation('own', 'oci-archive')}; layouts skopeo ${utilisation('skopeo', 'oci')}, own ${utilisation('own', 'oci')}. Bytes sent up the link for the seven images: skopeo ${sentUp('skopeo')}, own ${sentUp('own')} (the shared base layer once: the copies of one run mount what another has sent).`,
          ''
        ]
      : []),
    MOVERS_END
  ]
  return lines.join('\n') + '\n'
}

/** Puts `section` into `file` in place of the one there (or at its end), formatted by prettier. */
async function writeSection(file: string, section: string): Promise<void> {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
  const old = moversSection(text)
  let next = old ? text.replace(old, section) : `${text.trimEnd()}\n\n${section}`
  try {
    const prettier = await import('prettier')
    next = await prettier.format(next, {
      ...((await prettier.resolveConfig(file)) ?? {}),
      filepath: file
    })
  } catch {
    // prettier is a dev dependency; the file is valid without it.
  }
  fs.writeFileSync(file, next)
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exitCode = 1
})
