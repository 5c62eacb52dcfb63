import { createPrivateDir, removePrivateDir } from '../credentials/private-dir.js'
import type { Log } from '../log.js'
import type { Settings } from '../settings/settings.js'
import { stopStrayTools } from '../tools/children.js'
import { createContainerTool } from '../tools/create.js'
import { Skopeo } from '../tools/skopeo.js'
import type { PlacedCaFile, TempTag } from '../tools/docker.js'
import { type Runner, runTool } from '../tools/exec.js'
import { type Batch, preparePush } from './pipeline.js'
import { imageBatches, needsSkopeo } from './plan.js'
import type { Report } from './results.js'
import { OWN_CLIENT, RegistrySession } from './session.js'

/** What a front end learns as the run goes, to clean up after a crash. */
export interface RunHooks {
  /** Told the private directory before anything is written into it. */
  onPrivateDir?: (dir: string) => void
  /** Told a CA file's place before it is written outside the private directory. */
  onCaFilePlaced?: (placed: PlacedCaFile) => void
  /** Told when that CA file was removed again. */
  onCaFileRemoved?: () => void
  /** Told the docker tags made for pushes and not yet put back, before each is made. */
  onTempTags?: (tags: TempTag[]) => void
  /** How tools are run; tests pass a fake. */
  runner?: Runner
}

/**
 * The whole job, shared by every front end: everything the settings ask for,
 * pushed, with credentials that exist only while it runs. Throws on bad input
 * or a failed login (nothing pushed); a failed push is in the report.
 */
export async function harborPush(
  settings: Settings,
  log: Log,
  hooks: RunHooks = {}
): Promise<Report> {
  const dir = createPrivateDir()
  hooks.onPrivateDir?.(dir)
  const run = hooks.runner ?? runTool
  const paths = { dir, isolated: settings.credentials !== undefined }
  const settingsTls = { tlsVerify: settings.tlsVerify, caFile: settings.caFile }
  // A step with no local image (charts, archives) needs no container tool, so none is made or checked.
  const tool = settings.images.some(image => !image.archive && !image.registry)
    ? createContainerTool(settings, run, paths, hooks)
    : undefined
  const skopeo =
    settings.images.some(image => image.archive) && needsSkopeo(settings)
      ? new Skopeo(run, paths, settingsTls)
      : undefined
  const pushingTools = [
    ...(settings.charts.length > 0 ? ['helm'] : []),
    ...(tool ? [tool.name] : []),
    ...(skopeo ? ['skopeo'] : []),
    ...(settings.images.some(image => image.registry) ? [OWN_CLIENT] : [])
  ]
  let session: RegistrySession | undefined
  try {
    // Nothing is pushed until everything was checked, in this order: the
    // charts (read, helm told the registry's scheme, packaged), the images
    // (their tools; local storage read while the registry is asked), and the
    // registry for both at once: one login check, one rights check, one
    // token cache. The scheme is probed once: for helm when there are charts
    // (it takes the TLS settings as given), else with the TLS the container
    // tool really uses (a docker daemon may treat the registry as insecure).
    // Then one pipeline (push/pipeline.ts) pushes images and charts alike.
    let charts: Batch | undefined
    if (settings.charts.length > 0) {
      // Loaded only for charts: helm's code, its installer, YAML and globs are a
      // third of the bundle, which a run of images alone would compile for nothing.
      const { findCharts } = await import('./push-charts.js')
      const found = await findCharts(settings, run, paths, log)
      session = await RegistrySession.open(settings, settingsTls, pushingTools, log)
      charts = await found.package(session.scheme)
    }
    const opening = () =>
      RegistrySession.open(settings, tool?.registryTls() ?? settingsTls, pushingTools, log)
    // The probe goes out while the tools are checked, unless a docker daemon's
    // settings decide its TLS; its failure waits for theirs (bad input first).
    const early = session || tool?.daemonDecidesTls ? undefined : opening()
    early?.catch(() => undefined)
    const push = await preparePush(
      [...imageBatches(settings, tool, skopeo, log), ...(charts ? [charts] : [])],
      settings,
      log
    )
    const checking = (async () => {
      session ??= await (early ?? opening())
      return session.check(push.targets, push.expected, {
        awaitRecorded: tool?.recordsPushes
      })
    })()
    // A missing image is reported first: it is bad input, whatever the registry says.
    const [read, checked] = await Promise.allSettled([push.expected, checking])
    if (read.status === 'rejected') throw read.reason
    if (checked.status === 'rejected') throw checked.reason
    push.refuseConflicts(checked.value.states)
    return await push.push(checked.value)
  } finally {
    // Cancelled upload probes of the rights check may still be on their way.
    await session?.tidied()
    // Every tool has ended here, unless a failure cut a wait short: one still
    // running is stopped first, or it could write its login after the folder went.
    await stopStrayTools()
    tool?.cleanup()
    removePrivateDir(dir)
  }
}
