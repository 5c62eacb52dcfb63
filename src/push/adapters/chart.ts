/** Helm charts, packaged, pushed by helm to `oci://<registry>`. */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { type PreparedChart, ociTag } from '../../charts/prepare.js'
import type { RegistryTarget } from '../../settings/settings.js'
import type { Helm } from '../../tools/helm.js'
import { destinationOf } from '../destination.js'
import { type Adapter, type Batch, type Content, type Target, digestLine } from '../pipeline.js'

function chartAdapter(helm: Pick<Helm, 'login' | 'push'>, prefix: string): Adapter<PreparedChart> {
  const reference = ({ destination }: Target<PreparedChart>): string =>
    `oci://${destination.reference}`
  return {
    kind: 'chart',
    tool: 'helm',
    login: (host, credentials) => helm.login(host, credentials),
    loginKept: 'private registry config',
    // The same .tgz (a chart's one layer) is not pushed again.
    read: sources =>
      Promise.all(
        sources.map(async (chart): Promise<Content> => ({
          expected: {
            layerDigest: `sha256:${crypto
              .createHash('sha256')
              .update(await fs.promises.readFile(chart.file))
              .digest('hex')}`
          }
        }))
      ),
    push: async target => {
      // helm adds `<name>:<version>` to the prefix itself: say so when it lands elsewhere.
      const pushed = await helm.push(target.source.file, prefix)
      const planned = target.destination.reference
      return {
        digest: pushed.digest,
        reference: `oci://${pushed.pushed}`,
        notes: pushed.pushed === planned ? [] : [`helm reported ${pushed.pushed}, not ${planned}`]
      }
    },
    label: target => {
      const { name, version } = target.source
      return {
        reference: reference(target),
        source: `${name} ${version}`,
        noun: 'chart ',
        plan: `${name} ${version} `
      }
    },
    result: (target, _content, outcome) => ({
      kind: 'chart',
      fields: {
        chart: target.source.name,
        version: target.source.version,
        reference: outcome.reference ?? reference(target)
      }
    }),
    describe: (target, _content, outcome) => [
      `chart:       ${target.source.name} ${target.source.version}`,
      `file:        ${target.source.file}`,
      `reference:   ${outcome.reference ?? reference(target)}`,
      digestLine(outcome)
    ]
  }
}

/** Every chart and the tag it goes to (its version; helm writes "+" as "_"). */
export function chartBatch(
  charts: readonly PreparedChart[],
  registry: RegistryTarget,
  helm: Pick<Helm, 'login' | 'push'>
): Batch<PreparedChart> {
  return {
    adapter: chartAdapter(helm, registry.prefix),
    entries: charts.map(chart => ({
      source: chart,
      destinations: [destinationOf(registry, chart.name, ociTag(chart.version))]
    }))
  }
}
