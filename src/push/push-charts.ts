import path from 'node:path'
import { inspectCharts, packageCharts } from '../charts/prepare.js'
import type { Log } from '../log.js'
import type { Settings } from '../settings/settings.js'
import type { PrivatePaths } from '../tools/container-tool.js'
import type { Runner } from '../tools/exec.js'
import { Helm } from '../tools/helm.js'
import { type HelmLocation, locateHelm } from '../tools/helm-install.js'
import type { Scheme } from '../settings/tls.js'
import { chartBatch } from './adapters/chart.js'
import type { Batch } from './pipeline.js'

/** Charts read and checked, helm found: nothing asked of the registry yet. */
export interface FoundCharts {
  /**
   * Tells helm the registry's scheme (with the flags the TLS settings need:
   * an InputError when they cannot be met) and packages the chart folders.
   */
  package(scheme: Scheme): Promise<Batch>
}

/**
 * Everything about the charts that can fail without asking the registry:
 * each chart read and checked, helm found (or installed). Then `package`,
 * once the registry's scheme is known. Throws on any problem; a front end
 * calls this before it checks the images and the registry.
 */
export async function findCharts(
  settings: Settings,
  run: Runner,
  paths: PrivatePaths,
  log: Log,
  locate: typeof locateHelm = locateHelm
): Promise<FoundCharts> {
  const inspected = await inspectCharts(settings, log)
  const location = await locate(settings, path.join(paths.dir, 'helm-install'), log)
  const helm = new Helm(run, location.binary, paths, {
    tlsVerify: settings.tlsVerify,
    caFile: settings.caFile
  })
  log.info(usingHelm((await helm.version()).text, location, settings.helmVersion))
  return {
    package: async scheme => {
      await helm.connect(settings.registry.host, settings.credentials !== undefined, scheme)
      if (scheme === 'http') {
        log.info(`${settings.registry.host} speaks plain HTTP: helm uses --plain-http`)
      }
      const charts = await packageCharts(
        inspected,
        helm,
        path.join(paths.dir, 'charts'),
        settings,
        log
      )
      return chartBatch(charts, settings.registry, helm)
    }
  }
}

function usingHelm(version: string, location: HelmLocation, wanted: string): string {
  if (location.from === 'PATH') {
    return `Using helm ${version} from PATH (${location.binary}); helm-version ${wanted} is installed only when helm is not on PATH`
  }
  return `Using helm ${version} (${location.from === 'download' ? 'downloaded, checked against its sha256 and cached' : 'from the tool cache'}: ${location.binary})`
}
