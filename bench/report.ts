/** REPORT.md and report.json from one run's findings. */
import fs from 'node:fs'
import path from 'node:path'
import type { Case, Goal, Ratio } from './analyse.js'
import { actionPhases, loopSteps, utilisation } from './analyse.js'
import type { BenchConfig } from './config.js'
import type { Bundle, Machine } from './machine.js'
import type { Measurement } from './measure.js'
import { type ScenarioCase, type ScenarioRun, scenarioSection } from './scenarios.js'

export interface BenchReport {
  schema: 1
  generatedAt: string
  command: string
  small: boolean
  workload: {
    images: string[]
    sourcePath: string
    tag: string
    baseBytes: number
    imageBytes: number
    uniqueBytes: number
    archiveFormat: BenchConfig['archiveFormat']
    scaleImages: number
    bigBytes: number
  }
  link: { latencyMs: number; rateBitsPerSecond: number; tcpModel: boolean }
  parallel: number
  repeats: number
  machine: Machine
  bundle: Bundle
  startUps: Record<string, number>
  ratios: Ratio[]
  goals: Goal[]
  findings: { tool: string; items: string[] }[]
  cases: Case[]
  /** Archives, scale and the big image (bench/scenarios.ts): medians, and every run. */
  scenarios: ScenarioCase[]
  scenarioRuns: ScenarioRun[]
  notes: string[]
  measurements: (Omit<Measurement, 'stamps'> & {
    utilisation?: number
    actionPhases?: ReturnType<typeof actionPhases>
    loopSteps?: ReturnType<typeof loopSteps>
  })[]
}

export function buildReport(
  config: BenchConfig,
  parts: Omit<
    BenchReport,
    | 'schema'
    | 'generatedAt'
    | 'small'
    | 'workload'
    | 'link'
    | 'parallel'
    | 'repeats'
    | 'measurements'
  > & {
    measurements: Measurement[]
    uniqueBytes: number
  }
): BenchReport {
  const { measurements, uniqueBytes, ...rest } = parts
  return {
    schema: 1,
    generatedAt: new Date().toISOString(),
    small: config.small,
    workload: {
      images: config.images,
      sourcePath: config.sourcePath,
      tag: config.tag,
      baseBytes: config.baseBytes,
      imageBytes: config.imageBytes,
      uniqueBytes,
      archiveFormat: config.archiveFormat,
      scaleImages: config.scaleImages,
      bigBytes: config.bigBytes
    },
    link: {
      latencyMs: config.latencyMs,
      rateBitsPerSecond: config.rateBitsPerSecond,
      tcpModel: config.tcpModel
    },
    parallel: config.parallel,
    repeats: config.repeats,
    ...rest,
    measurements: measurements.map(({ stamps, ...m }) => ({
      ...m,
      utilisation: utilisation(m as Measurement, config.rateBitsPerSecond),
      ...(m.way === 'action'
        ? { actionPhases: actionPhases(stamps, m.seconds, m.timeline.firstApi) }
        : { loopSteps: loopSteps(stamps) })
    }))
  }
}

const s = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? '—' : `${value.toFixed(value < 10 ? 2 : 1)} s`
const pct = (value: number | undefined): string =>
  value === undefined ? '—' : `${Math.round(value * 100)} %`
const mb = (bytes: number | undefined): string =>
  bytes === undefined ? '—' : `${(bytes / 1e6).toFixed(1)} MB`
const mib = (bytes: number): string => `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB`
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map(row => `| ${row.map(cell).join(' | ')} |`)
  ].join('\n')
}

const CASE_NAME: Record<string, string> = { first: 'first push', rerun: 're-run (all present)' }
const LINK_NAME: Record<string, string> = { raw: 'loopback', shaped: 'shaped' }

export function markdown(report: BenchReport): string {
  const { workload, link, machine } = report
  const linkWords =
    `${link.rateBitsPerSecond / 1e6} Mbit/s shared cap, ${link.latencyMs} ms each way` +
    (link.tcpModel ? ', TCP handshake and slow start modelled' : '')
  const lines: string[] = []
  lines.push(`# Benchmark: harbor-push against the script's loop`)
  lines.push('')
  lines.push(
    `Written by \`${report.command}\` (bench/main.ts) on ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC; ` +
      'do not edit by hand, run it again.' +
      (report.small
        ? ' **Small CI configuration: the numbers say that the bench works, not how fast anything is.**'
        : '')
  )
  lines.push('')
  lines.push(
    `Workload: the script's seven product images (\`${workload.sourcePath}/<name>:${workload.tag}\`), each a ` +
      `${mib(workload.baseBytes)} base layer they all share plus ${mib(workload.imageBytes)} of its own, random ` +
      `bytes (${mb(workload.uniqueBytes)} unique). Each way pushes to a fresh \`docker-registry\` (htpasswd login) ` +
      `on 127.0.0.1: directly (**loopback**), or through the bench's shaping proxy (**shaped**: ${linkWords}). ` +
      `**loop** = push-images.sh's way: \`<tool> tag\` + \`<tool> push\` per image, one after another, logged in ` +
      `before the clock starts. **action** = \`dist/index.js\` run as a runner runs it (INPUT_* variables, ` +
      `parallel ${report.parallel}, its own login inside the timed step). ` +
      `Median of ${report.repeats} repeat${report.repeats === 1 ? '' : 's'}.`
  )
  lines.push('')

  lines.push('## Headline')
  lines.push('')
  const goalFor = (r: Ratio): Goal | undefined =>
    report.goals.find(
      g =>
        g.tool === r.tool && g.id === `${r.link}-${r.phase === 'first' ? 'first' : 'rerun'}-ratio`
    )
  lines.push(
    table(
      ['tool', 'link', 'case', 'loop', 'action', 'action / loop', 'goal', 'met'],
      report.ratios.map(r => {
        const goal = goalFor(r)
        return [
          r.tool,
          LINK_NAME[r.link],
          CASE_NAME[r.phase],
          s(r.loop),
          s(r.action),
          `**${r.ratio.toFixed(2)} ×** (${r.pairedMin.toFixed(2)}–${r.pairedMax.toFixed(2)})`,
          goal?.target ?? '—',
          goal ? (goal.met ? 'yes' : '**no**') : '—'
        ]
      })
    )
  )
  lines.push('')
  lines.push(
    `The ratio is of the medians; in brackets the range of the ratios paired repeat by repeat. Bundle: ` +
      `\`dist/*.js\` (the main step's entry and its chunks) ${(report.bundle.bytes / 1024).toFixed(0)} KiB (${(report.bundle.gzipBytes / 1024).toFixed(0)} KiB gzipped).`
  )
  lines.push('')

  lines.push('## Goals of issue 11')
  lines.push('')
  lines.push(
    table(
      ['tool', 'goal', 'target', 'measured', 'met'],
      report.goals.map(g => [g.tool, g.text, g.target, g.measured, g.met ? 'yes' : '**no**'])
    )
  )
  lines.push('')
  lines.push('What bounds each number, measured in the same run:')
  lines.push('')
  for (const g of report.goals)
    lines.push(`- **${g.tool}, ${g.text}** (${g.met ? 'met' : 'not met'}): ${g.bound}`)
  lines.push('')
  if (report.notes.length > 0) {
    for (const note of report.notes) lines.push(`- ${note}`)
    lines.push('')
  }

  lines.push(...scenarioSection(report.scenarios, workload))
  lines.push('## What in the action costs the time')
  lines.push('')
  for (const { tool, items } of report.findings) {
    lines.push(`${tool}:`)
    lines.push('')
    for (const item of items) lines.push(`- ${item}`)
    lines.push('')
  }

  lines.push('## Measurements')
  lines.push('')
  lines.push(
    table(
      [
        'tool',
        'link',
        'case',
        'way',
        'median',
        'min–max',
        'up the link',
        'utilisation',
        'TCP connections',
        'stored',
        'requests',
        'CPU: clients',
        'CPU: registry',
        'CPU: proxy',
        'CPU: other work'
      ],
      report.cases.map(c => [
        c.tool,
        LINK_NAME[c.link],
        CASE_NAME[c.phase],
        c.way,
        s(c.seconds.median),
        `${s(c.seconds.min)}–${s(c.seconds.max)}`,
        mb(c.wireUpBytes),
        pct(c.utilisation),
        c.connections === undefined ? '—' : String(c.connections),
        mb(c.storedBytes),
        String(c.requests),
        s(c.cpu.clientSeconds),
        s(c.cpu.registrySeconds),
        c.link === 'shaped' ? s(c.cpu.proxySeconds) : '—',
        s(c.cpu.otherSeconds)
      ])
    )
  )
  lines.push('')
  lines.push(
    '"up the link" counts every byte from the clients to the registry through the proxy (layers, manifests, ' +
      'HTTP); utilisation = that / (time × cap). "stored" is what the registry holds afterwards (blobs). CPU: ' +
      "user + system seconds of the loop's or the action's processes and every tool they ran (and the docker " +
      'engine, which does docker\'s push work), of the registry, and of the shaping proxy; "other work" is what ' +
      'the rest of the machine used meanwhile (/proc/stat busy time minus those), the noise in the number.'
  )
  lines.push('')

  lines.push('## Where the time goes')
  lines.push('')
  lines.push("### The action's phases")
  lines.push('')
  lines.push(
    'Split at the log lines the action prints, timestamped as they arrive (no tracing): start-up = until ' +
      '`Using <tool>` (node, the bundle, inputs, the private folder, `<tool> --version`); to the first ' +
      "registry request = until the registry logs the action's first request (its own timestamp; the scheme " +
      'probe on its way, local images read meanwhile); registry preflight = until `Registry ...: login ' +
      'accepted` (login, push rights, what each tag holds); tool login / deciding = until the first ' +
      "`Pushing` / `Unchanged` (on a first push the tool's own login); pushes = until the last result; " +
      'finish = outputs, summary, count line, exit.'
  )
  lines.push('')
  lines.push(
    table(
      [
        'tool',
        'link',
        'case',
        'total',
        'start-up',
        'to the first registry request',
        'registry preflight',
        'tool login / deciding',
        'pushes',
        'finish',
        'one push (median)',
        'post step (after the job)'
      ],
      report.cases
        .filter(c => c.way === 'action')
        .map(c => {
          const p = c.actionPhases
          return [
            c.tool,
            LINK_NAME[c.link],
            CASE_NAME[c.phase],
            s(c.seconds.median),
            s(p?.startUp),
            p?.localIds !== undefined ? s(p.localIds) : `${s(p?.preflight)} (both)`,
            p?.registryChecks !== undefined ? s(p.registryChecks) : '',
            s(p?.checks),
            s(p?.pushes),
            s(p?.finish),
            c.phase === 'first' ? s(p?.pushSecondsMedian) : '—',
            s(c.postSeconds)
          ]
        })
    )
  )
  lines.push('')
  lines.push("### The loop's steps")
  lines.push('')
  lines.push(
    table(
      ['tool', 'link', 'case', 'total', 'tag (median per image)', 'push (median per image)'],
      report.cases
        .filter(c => c.way === 'loop')
        .map(c => [
          c.tool,
          LINK_NAME[c.link],
          CASE_NAME[c.phase],
          s(c.seconds.median),
          s(c.loopSteps?.tagMedian),
          s(c.loopSteps?.pushMedian)
        ])
    )
  )
  lines.push('')
  lines.push('### Registry requests')
  lines.push('')
  lines.push(
    'From the registry\'s access log, for the repeat nearest the median: method, route, status. "action (API)" ' +
      "is the action's own preflight and read-back; the rest is the tool's push."
  )
  lines.push('')
  lines.push(
    table(
      ['tool', 'link', 'case', 'way', 'requests', 'by client', 'by kind'],
      report.cases.map(c => [
        c.tool,
        LINK_NAME[c.link],
        CASE_NAME[c.phase],
        c.way,
        String(c.requests),
        Object.entries(c.requestClients)
          .map(([client, count]) => `${client} ${count}`)
          .join(', '),
        Object.entries(c.requestKinds)
          .sort((a, b) => b[1] - a[1])
          .map(([kind, count]) => `${count} × ${kind}`)
          .join(', ')
      ])
    )
  )
  lines.push('')
  lines.push('### Fixed costs')
  lines.push('')
  lines.push(
    table(
      ['what', 'median wall time'],
      Object.entries(report.startUps).map(([what, value]) => [what, s(value)])
    )
  )
  lines.push('')

  lines.push('## Machine')
  lines.push('')
  lines.push(
    table(
      ['', ''],
      [
        ['CPUs', `${machine.cpus} × ${machine.cpuModel}`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['OS, kernel', `${machine.os}, ${machine.kernel}`],
        ...Object.entries(machine.versions).map(([tool, version]) => [tool, version || '—']),
        [
          'load average (1 min) at start / end',
          `${machine.loadStart.toFixed(2)} / ${machine.loadEnd?.toFixed(2) ?? '—'}`
        ],
        [
          'bundle',
          `${(report.bundle.bytes / 1024).toFixed(0)} KiB, ${(report.bundle.gzipBytes / 1024).toFixed(0)} KiB gzipped, sha256 ${report.bundle.sha256}…`
        ]
      ]
    )
  )
  lines.push('')
  lines.push('## Method')
  lines.push('')
  lines.push(
    [
      '- Every measurement (tool × link × way) starts its own registry on a new port, so the first push is',
      "  really first: nothing in the registry, and nothing in podman's blob-info cache or docker's layer",
      '  metadata for that host. The re-run follows on the same registry. Loop and action alternate which',
      '  goes first from repeat to repeat.',
      '- The shaping proxy (bench/shaper.ts) is a TCP proxy in the bench process: per direction one FIFO',
      '  queue served at the cap (shared by all connections), a one-way latency, and a bottleneck buffer of one',
      '  round trip. With the TCP model, a new connection waits one round trip (the handshake) before its',
      '  first byte, and every connection starts with 10 segments in flight, doubling per round trip up to 4 MiB',
      '  (slow start; again after an idle period), as Linux does.',
      "- The loop's login (`podman login --authfile` / `docker login` with `DOCKER_CONFIG`) happens before",
      '  the clock starts; the action logs in inside its timed step, as it does in a workflow.',
      "- The action's CPU counts the node process and every tool it ran (`/proc/self/stat` cutime/cstime of",
      "  the bench), for docker plus the engine's own (dockerd and containerd, `/proc/<pid>/stat`).",
      '- Each run is checked: the action must report 7 pushed, then 7 unchanged; after every first push the',
      '  registry must hold all seven tags with the local image IDs as config digests.'
    ].join('\n')
  )
  lines.push('')
  return lines.join('\n')
}

/** The section bench/movers.ts writes into REPORT.md: kept when this bench writes the rest. */
export const MOVERS_START = '<!-- movers:start -->'
export const MOVERS_END = '<!-- movers:end -->'

/** The movers section of `text`, markers included, or ''. */
export function moversSection(text: string): string {
  const start = text.indexOf(MOVERS_START)
  const end = text.indexOf(MOVERS_END)
  return start !== -1 && end > start ? text.slice(start, end + MOVERS_END.length) + '\n' : ''
}

/** Writes REPORT.md and report.json, formatted as the repository's prettier would. */
export async function writeReport(
  outDir: string,
  report: BenchReport
): Promise<{ md: string; json: string }> {
  fs.mkdirSync(outDir, { recursive: true })
  const md = path.join(outDir, 'REPORT.md')
  const json = path.join(outDir, 'report.json')
  const movers = fs.existsSync(md) ? moversSection(fs.readFileSync(md, 'utf8')) : ''
  let mdText = markdown(report) + (movers ? `\n${movers}` : '')
  // Four decimals are plenty (0.1 ms, 0.01 %); more is float noise.
  const round = (_key: string, value: unknown): unknown =>
    typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1e4) / 1e4 : value
  let jsonText = JSON.stringify(report, round, 2) + '\n'
  try {
    const prettier = await import('prettier')
    const options = (await prettier.resolveConfig(md)) ?? {}
    mdText = await prettier.format(mdText, { ...options, filepath: md })
    jsonText = await prettier.format(jsonText, { ...options, filepath: json })
  } catch {
    // prettier is a dev dependency; without it the files are still valid, just not formatted.
  }
  fs.writeFileSync(md, mdText)
  fs.writeFileSync(json, jsonText)
  return { md, json }
}
