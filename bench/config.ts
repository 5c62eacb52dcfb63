/** The benchmark's settings: flags win over BENCH_* variables, which win over the defaults. */
import path from 'node:path'

export type Tool = 'podman' | 'docker'
export type LinkName = 'raw' | 'shaped'
/**
 * Where a docker engine comes from: one the bench starts (classic image store), one it starts
 * with the containerd image store (Docker 29's default), the one DOCKER_HOST names, none.
 */
export type DockerMode = 'private' | 'containerd' | 'host' | 'off'
/** What is measured: the seven local images, and the scenarios of bench/scenarios.ts. */
export type Scenario = 'images' | 'archives' | 'archives-shaped' | 'scale' | 'big'
export const SCENARIOS: readonly Scenario[] = [
  'images',
  'archives',
  'archives-shaped',
  'scale',
  'big'
]

export interface BenchConfig {
  small: boolean
  /** The script's product images, pushed as `<sourcePath>/<name>:<tag>`. */
  images: string[]
  sourcePath: string
  tag: string
  /** Size of the base layer every image shares, and of each image's own layer. */
  baseBytes: number
  imageBytes: number
  latencyMs: number
  rateBitsPerSecond: number
  /** Model the TCP handshake and slow start on the shaped link. */
  tcpModel: boolean
  repeats: number
  parallel: number
  tools: Tool[]
  links: LinkName[]
  docker: DockerMode
  /** Folder of REPORT.md and report.json. */
  outDir: string
  keepImages: boolean
  /** The repository root (where dist/ is). */
  root: string
  scenarios: Scenario[]
  /** Images of the scale scenario (each pushed under two tags). */
  scaleImages: number
  /** Size of the big image's one layer. */
  bigBytes: number
  /** How the archive scenarios save the images: the transport of their entries. */
  archiveFormat: 'docker-archive' | 'oci-archive'
}

/** push-images.sh's product (examples/apim-product-defaults.env). */
export const PRODUCT_IMAGES = [
  'apim-le-cache',
  'apim-le-cacheloader-cron',
  'apim-le-toolkit',
  'apim-le-cacheloader',
  'apim-le-trafficmanager',
  'apim-le-platformapi',
  'apim-le-configui'
]

const MIB = 1024 * 1024

export const USAGE = `npm run bench -- [options]

Pushes seven product-like images the script's way (a sequential tag + push loop) and with the
action, to a fresh registry on loopback, raw and through a shaping proxy; writes REPORT.md and
report.json.

  --small              CI size: 1 MiB layers, 5 ms latency, one repeat, podman only, 10 scale
                       images, a 16 MiB big image, report in build/bench-small (never over the
                       committed report)
  --base-mb N          shared base layer size in MiB          (BENCH_BASE_MB, default 32)
  --image-mb N         each image's own layer size in MiB      (BENCH_IMAGE_MB, default 32)
  --latency-ms N       shaped link: one-way latency (ms)       (BENCH_LATENCY_MS, default 20)
  --rate-mbit N        shaped link: bandwidth cap in Mbit/s    (BENCH_RATE_MBIT, default 200)
  --no-tcp-model       shaped link without handshake round trip and slow start (BENCH_TCP_MODEL=0)
  --repeats N          measurements per case, median reported (BENCH_REPEATS, default 3)
  --parallel N         the action's parallel input             (BENCH_PARALLEL, default 3)
  --tools LIST         podman,docker                           (BENCH_TOOLS)
  --links LIST         raw,shaped                              (BENCH_LINKS)
  --docker MODE        private (start dockerd), containerd (start dockerd 26 with the containerd
                       image store), host (DOCKER_HOST), off (BENCH_DOCKER)
  --source-path P      local path of the images                (BENCH_SOURCE_PATH, default apim)
  --scenarios LIST     images,archives,archives-shaped,scale,big (BENCH_SCENARIOS, default all)
  --scale-images N     images of the scale scenario, 2 tags each (BENCH_SCALE_IMAGES, default 100)
  --big-mb N           the big image's size in MiB              (BENCH_BIG_MB, default 2048)
  --archive-format F   docker-archive or oci-archive            (BENCH_ARCHIVE_FORMAT, default
                       docker-archive)
  --out DIR            where REPORT.md and report.json go      (BENCH_OUT, default bench)
  --keep-images        leave the images in local storage afterwards
  -h, --help           this text`

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv, root: string): BenchConfig {
  const flags = new Map<string, string>()
  const switches = new Set<string>()
  const valued = new Set([
    'base-mb',
    'image-mb',
    'latency-ms',
    'rate-mbit',
    'repeats',
    'parallel',
    'tools',
    'links',
    'docker',
    'source-path',
    'out',
    'scenarios',
    'scale-images',
    'big-mb',
    'archive-format'
  ])
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]
    if (arg === '-h' || arg === '--help') {
      switches.add('help')
      continue
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
    if (!match) throw new ConfigError(`unknown argument "${arg}"\n\n${USAGE}`)
    const [, name, inline] = match
    if (valued.has(name)) {
      const value = inline ?? argv[++index]
      if (value === undefined) throw new ConfigError(`--${name} needs a value`)
      flags.set(name, value)
    } else if (['small', 'no-tcp-model', 'keep-images'].includes(name) && inline === undefined) {
      switches.add(name)
    } else {
      throw new ConfigError(`unknown option "--${name}"\n\n${USAGE}`)
    }
  }
  if (switches.has('help')) throw new HelpRequested()

  const small = switches.has('small') || truthy(env.BENCH_SMALL)
  const pick = (flag: string, variable: string): string | undefined =>
    flags.get(flag) ??
    (env[variable] !== undefined && env[variable] !== '' ? env[variable] : undefined)
  const number = (flag: string, variable: string, fallback: number, min: number): number => {
    const raw = pick(flag, variable)
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!Number.isFinite(value) || value < min) {
      throw new ConfigError(`--${flag} / ${variable}: "${raw}" is not a number >= ${min}`)
    }
    return value
  }
  const list = <T extends string>(
    flag: string,
    variable: string,
    allowed: readonly T[],
    fallback: T[]
  ): T[] => {
    const raw = pick(flag, variable)
    if (raw === undefined) return fallback
    const items = raw.split(/[\s,]+/).filter(Boolean)
    for (const item of items) {
      if (!allowed.includes(item as T)) {
        throw new ConfigError(
          `--${flag} / ${variable}: "${item}" is not one of ${allowed.join(', ')}`
        )
      }
    }
    return [...new Set(items as T[])]
  }

  const tools = list<Tool>(
    'tools',
    'BENCH_TOOLS',
    ['podman', 'docker'],
    small ? ['podman'] : ['podman', 'docker']
  )
  const dockerRaw = pick('docker', 'BENCH_DOCKER')
  let docker: DockerMode = tools.includes('docker') ? 'private' : 'off'
  if (dockerRaw !== undefined) {
    if (!['private', 'containerd', 'host', 'off'].includes(dockerRaw)) {
      throw new ConfigError(
        `--docker / BENCH_DOCKER: "${dockerRaw}" is not private, containerd, host or off`
      )
    }
    docker = dockerRaw as DockerMode
  }
  const tcpVariable = env.BENCH_TCP_MODEL
  const outDir = pick('out', 'BENCH_OUT') ?? (small ? 'build/bench-small' : 'bench')
  if (small && path.resolve(root, outDir) === path.resolve(root, 'bench')) {
    throw new ConfigError(
      '--small never writes over the committed bench/REPORT.md: pick another --out'
    )
  }
  return {
    small,
    images: PRODUCT_IMAGES,
    sourcePath: pick('source-path', 'BENCH_SOURCE_PATH') ?? 'apim',
    tag: 'v6.0.0',
    baseBytes: Math.round(number('base-mb', 'BENCH_BASE_MB', small ? 1 : 32, 0) * MIB),
    imageBytes: Math.round(number('image-mb', 'BENCH_IMAGE_MB', small ? 1 : 32, 0) * MIB),
    latencyMs: number('latency-ms', 'BENCH_LATENCY_MS', small ? 5 : 20, 0),
    rateBitsPerSecond: number('rate-mbit', 'BENCH_RATE_MBIT', 200, 1) * 1e6,
    tcpModel: !switches.has('no-tcp-model') && !(tcpVariable !== undefined && !truthy(tcpVariable)),
    repeats: Math.round(number('repeats', 'BENCH_REPEATS', small ? 1 : 3, 1)),
    parallel: Math.round(number('parallel', 'BENCH_PARALLEL', 3, 1)),
    tools: docker === 'off' ? tools.filter(tool => tool !== 'docker') : tools,
    links: list<LinkName>('links', 'BENCH_LINKS', ['raw', 'shaped'], ['raw', 'shaped']),
    docker,
    outDir: path.resolve(root, outDir),
    keepImages: switches.has('keep-images'),
    root,
    scenarios: list<Scenario>('scenarios', 'BENCH_SCENARIOS', SCENARIOS, [...SCENARIOS]),
    scaleImages: Math.round(number('scale-images', 'BENCH_SCALE_IMAGES', small ? 10 : 100, 1)),
    bigBytes: Math.round(number('big-mb', 'BENCH_BIG_MB', small ? 16 : 2048, 1) * MIB),
    archiveFormat: archiveFormat(pick('archive-format', 'BENCH_ARCHIVE_FORMAT'))
  }
}

function archiveFormat(raw: string | undefined): BenchConfig['archiveFormat'] {
  if (raw === undefined || raw === 'docker-archive' || raw === 'oci-archive')
    return raw ?? 'docker-archive'
  throw new ConfigError(
    `--archive-format / BENCH_ARCHIVE_FORMAT: "${raw}" is not docker-archive or oci-archive`
  )
}

export class HelpRequested extends Error {}

/** A bad flag or variable: printed as it is, without a stack. */
export class ConfigError extends Error {}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value)
}
