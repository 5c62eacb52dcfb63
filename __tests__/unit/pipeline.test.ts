import { describe, expect, test } from '@jest/globals'
import { destinationOf } from '../../src/push/destination.js'
import {
  type Adapter,
  type Batch,
  type PipelineSettings,
  type Target,
  digestLine,
  preparePush
} from '../../src/push/pipeline.js'
import type { RegistryClient } from '../../src/registry/client.js'
import type { TagState } from '../../src/push/tag-state.js'
import { collectingLog } from './collecting-log.js'
import { toolError } from './fake-runner.js'

const HOST = 'registry-oci.example.com'
const PROJECT = 'catalog-apps-org-proj'
const REGISTRY = { host: HOST, path: PROJECT, prefix: `${HOST}/${PROJECT}` }
const digest = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`

function settings(extra: Partial<PipelineSettings> = {}): PipelineSettings {
  return {
    registry: REGISTRY,
    credentials: { username: 'robot$proj+ci', password: 'cli-secret-77' },
    ifExists: 'overwrite',
    dryRun: false,
    parallel: 3,
    retries: 1,
    ...extra
  }
}

/** A source of a made-up kind: its name, and the digest its push reports. */
interface FakeSource {
  name: string
  digest: string
}

interface FakeOptions {
  kind?: 'image' | 'chart'
  /** Without: the kind pushes with the session's client (no tool login). */
  login?: boolean
  /** How long each push takes. */
  pushMs?: number
  /** A push of this name fails for good. */
  fails?: string
}

/** An adapter that records every call the pipeline makes of it. */
function fakeAdapter(tool: string, options: FakeOptions = {}) {
  const calls: string[] = []
  const clients: (RegistryClient | undefined)[] = []
  const adapter: Adapter<FakeSource> = {
    kind: options.kind ?? 'image',
    tool,
    ...(options.login === false
      ? {}
      : {
          login: (host: string) => {
            calls.push(`login ${host}`)
            return Promise.resolve()
          },
          loginKept: 'private credentials'
        }),
    read: sources => {
      calls.push(`read ${sources.map(source => source.name).join(',')}`)
      return Promise.resolve(
        sources.map(source => ({ expected: { manifestDigest: source.digest } }))
      )
    },
    push: async (target, _content, client) => {
      calls.push(`push ${target.destination.reference}`)
      clients.push(client)
      await new Promise(resolve => setTimeout(resolve, options.pushMs ?? 1))
      if (target.source.name === options.fails) {
        throw toolError(
          tool,
          ['push'],
          'Error: unexpected status from HEAD request: 403 Forbidden: denied: requested access to the resource is denied\n',
          1
        )
      }
      return { digest: target.source.digest }
    },
    label: target => {
      calls.push(`label ${target.destination.tag}`)
      return { reference: target.destination.reference, source: target.source.name, noun: '' }
    },
    result: target => {
      calls.push(`result ${target.destination.tag}`)
      return options.kind === 'chart'
        ? {
            kind: 'chart',
            fields: {
              chart: target.source.name,
              version: target.destination.tag,
              reference: `oci://${target.destination.reference}`
            }
          }
        : {
            kind: 'image',
            fields: { source: target.source.name, destination: target.destination.reference }
          }
    },
    describe: (target: Target<FakeSource>, _content, outcome) => [
      `source:      ${target.source.name}`,
      digestLine(outcome)
    ]
  }
  return { adapter, calls, clients }
}

function batch(adapter: Adapter<FakeSource>, name: string, n: number, tags: string[]): Batch {
  return {
    adapter,
    entries: [
      {
        source: { name, digest: digest(n) },
        destinations: tags.map(tag => destinationOf(REGISTRY, name, tag))
      }
    ]
  }
}

/** A registry client that holds whatever was pushed: the read-back finds the pushed digest. */
function holdingClient(held: Map<string, string>): RegistryClient {
  return {
    tagDigest: (repository: string, tag: string) =>
      Promise.resolve(held.get(`${repository}:${tag}`))
  } as unknown as RegistryClient
}

describe('the push pipeline', () => {
  test.each(['image', 'chart'] as const)(
    'a long push of a %s says now and then that it is alive',
    async kind => {
      const fake = fakeAdapter('tool', { kind, pushMs: 80 })
      const log = collectingLog()
      const push = await preparePush([batch(fake.adapter, 'slow', 1, ['v1'])], settings(), log, {
        heartbeatMs: 15
      })
      const report = await push.push({ states: [{ kind: 'absent' }] })
      expect(report[kind === 'image' ? 'images' : 'charts'].map(result => result.status)).toEqual([
        'pushed'
      ])
      const beats = log.lines.filter(line =>
        /^\.\.\. still pushing registry-oci\.example\.com\/catalog-apps-org-proj\/slow:v1 \([\d.]+s; 0\/1 done\)$/.test(
          line
        )
      )
      expect(beats.length).toBeGreaterThanOrEqual(2)
      // The heartbeat stops with the push.
      const after = log.lines.length
      await new Promise(resolve => setTimeout(resolve, 50))
      expect(log.lines.length).toBe(after)
    }
  )

  test('a dry run logs every tool in, pushes nothing and prints the plan of each kind', async () => {
    const images = fakeAdapter('podman')
    const charts = fakeAdapter('helm', { kind: 'chart' })
    const log = collectingLog()
    const push = await preparePush(
      [batch(images.adapter, 'app', 1, ['v1', 'v2']), batch(charts.adapter, 'chart', 2, ['1.0.0'])],
      settings({ dryRun: true }),
      log
    )
    const states: TagState[] = [
      { kind: 'absent' },
      { kind: 'same', digest: digest(1) },
      { kind: 'different', digest: digest(9) }
    ]
    const report = await push.push({ states })
    expect(images.calls.filter(call => /^(login|push)/.test(call))).toEqual([`login ${HOST}`])
    expect(charts.calls.filter(call => /^(login|push)/.test(call))).toEqual([`login ${HOST}`])
    expect(report.images.map(({ status, error }) => [status, error])).toEqual([
      ['skipped', 'dry run: would push'],
      ['unchanged', undefined]
    ])
    expect(report.charts).toEqual([
      expect.objectContaining({
        status: 'skipped',
        error: 'dry run: would push',
        digest: digest(9)
      })
    ])
    expect(log.lines).toEqual(
      expect.arrayContaining([
        'Dry run: the plan for 2 destinations; nothing is pushed',
        `  ${REGISTRY.prefix}/app:v1: would push (new tag)`,
        `  ${REGISTRY.prefix}/app:v2: unchanged (already holds this content)`,
        'Dry run: the plan for 1 chart; nothing is pushed',
        `  ${REGISTRY.prefix}/chart:1.0.0: would overwrite (holds ${digest(9)})`,
        `Logged in to ${HOST} as robot$proj+ci (podman, private credentials)`
      ])
    )
  })

  test('if-exists: fail names every conflict of every kind at once, charts first', async () => {
    const images = fakeAdapter('podman')
    const charts = fakeAdapter('helm', { kind: 'chart' })
    const push = await preparePush(
      [batch(images.adapter, 'app', 1, ['v1']), batch(charts.adapter, 'chart', 2, ['1.0.0'])],
      settings({ ifExists: 'fail' }),
      collectingLog()
    )
    expect(() =>
      push.refuseConflicts([
        { kind: 'different', digest: digest(8) },
        { kind: 'different', digest: digest(9) }
      ])
    ).toThrow(
      `if-exists: fail: "${REGISTRY.prefix}/chart:1.0.0" (holds ${digest(9)}), "${REGISTRY.prefix}/app:v1" (holds ${digest(8)}) already hold different content; nothing was pushed.`
    )
  })

  test('a failed push is a result, and the others go on', async () => {
    const fake = fakeAdapter('podman', { fails: 'denied' })
    const log = collectingLog()
    const push = await preparePush(
      [
        batch(fake.adapter, 'first', 1, ['v1']),
        batch(fake.adapter, 'denied', 2, ['v1']),
        batch(fake.adapter, 'last', 3, ['v1'])
      ],
      settings({ parallel: 1 }),
      log
    )
    const report = await push.push({
      states: [{ kind: 'absent' }, { kind: 'absent' }, { kind: 'absent' }]
    })
    expect(report.images.map(result => result.status)).toEqual(['pushed', 'failed', 'pushed'])
    expect(report.images[1]).toMatchObject({
      digest: '',
      error: expect.stringContaining('may pull but not push')
    })
    // Denied is not transient: one attempt.
    expect(fake.calls.filter(call => call.includes('/denied:'))).toHaveLength(1)
    expect(fake.calls.filter(call => call.startsWith('push'))).toHaveLength(3)
    expect(log.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^failed registry-oci\.example\.com\/catalog-apps-org-proj\/denied:v1 \(2\/3, [\d.]+s\)$/
        ),
        expect.stringMatching(
          /^pushed registry-oci\.example\.com\/catalog-apps-org-proj\/last:v1 \(3\/3, [\d.]+s\)$/
        )
      ])
    )
  })

  test('each kind is read once, each target labelled and decided once; only tools that push log in', async () => {
    const pushing = fakeAdapter('podman')
    const idle = fakeAdapter('skopeo')
    const log = collectingLog()
    const push = await preparePush(
      [
        batch(pushing.adapter, 'a', 1, ['v1', 'v2']),
        batch(idle.adapter, 'b', 2, ['v1']),
        batch(pushing.adapter, 'c', 3, ['v1'])
      ],
      settings({ ifExists: 'skip' }),
      log
    )
    expect(push.targets.map(target => `${target.repository}:${target.tag}`)).toEqual([
      `${PROJECT}/a:v1`,
      `${PROJECT}/a:v2`,
      `${PROJECT}/b:v1`,
      `${PROJECT}/c:v1`
    ])
    expect(await push.expected).toEqual([1, 1, 2, 3].map(n => ({ manifestDigest: digest(n) })))
    const report = await push.push({
      states: [
        { kind: 'absent' },
        { kind: 'different', digest: digest(8) },
        { kind: 'same', digest: digest(2) },
        { kind: 'unknown' }
      ]
    })
    expect(
      report.images.map(result => [result.destination.split('/').at(-1), result.status])
    ).toEqual([
      ['a:v1', 'pushed'],
      ['a:v2', 'skipped'],
      ['b:v1', 'unchanged'],
      ['c:v1', 'pushed']
    ])
    // One read per kind for all of its sources, in the order given.
    expect(pushing.calls.filter(call => call.startsWith('read'))).toEqual(['read a,c'])
    const count = (calls: string[], what: string): number =>
      calls.filter(call => call.startsWith(what)).length
    expect([count(pushing.calls, 'label'), count(pushing.calls, 'result')]).toEqual([3, 3])
    expect([count(idle.calls, 'label'), count(idle.calls, 'result')]).toEqual([1, 1])
    expect(pushing.calls.filter(call => call.startsWith('login'))).toEqual([`login ${HOST}`])
    // Nothing of skopeo's is pushed: it does not log in.
    expect(idle.calls.filter(call => call.startsWith('login') || call.startsWith('push'))).toEqual(
      []
    )
    expect(log.lines).toEqual(
      expect.arrayContaining([
        `Skipped: ${REGISTRY.prefix}/a:v2 holds other content (${digest(8)}); if-exists: skip`,
        `Unchanged: ${REGISTRY.prefix}/b:v1 already holds b (${digest(2)})`
      ])
    )
  })

  test('a kind without a tool login pushes with the session client, and each digest is read back', async () => {
    const own = fakeAdapter('harbor-push', { login: false })
    const log = collectingLog()
    const held = new Map([[`${PROJECT}/copied:v1`, digest(5)]])
    const client = holdingClient(held)
    const push = await preparePush(
      [batch(own.adapter, 'copied', 5, ['v1']), batch(own.adapter, 'raced', 6, ['v1'])],
      settings({ credentials: undefined }),
      log
    )
    const report = await push.push({ client, states: [{ kind: 'absent' }, { kind: 'absent' }] })
    expect(own.clients).toEqual([client, client])
    expect(report.images.map(result => result.status)).toEqual(['pushed', 'failed'])
    // The registry holds nothing where "raced" was pushed: said, not trusted.
    expect(report.images[1].error).toMatch(/reported sha256:6+, but the registry holds nothing/)
    expect(log.lines.some(line => line.includes('relying on the existing'))).toBe(false)
  })
})
