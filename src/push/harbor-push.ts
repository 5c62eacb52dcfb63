import { createPrivateDir, removePrivateDir } from '../credentials/private-dir.js'
import type { Log } from '../log.js'
import type { Settings } from '../settings/settings.js'
import { stopStrayTools } from '../tools/children.js'
import { createContainerTool } from '../tools/create.js'
import { Skopeo } from '../tools/skopeo.js'
import type { PlacedCaFile, TempTag } from '../tools/docker.js'
import { type Runner, runTool } from '../tools/exec.js'
import { prepareChartPush } from './push-charts.js'
import { prepareImagePush } from './push-images.js'
import type { Report } from './results.js'

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
  // A step with no local image (charts, archives) needs no container tool, so none is made or checked.
  const tool = settings.images.some(image => !image.archive)
    ? createContainerTool(settings, run, paths, hooks)
    : undefined
  const skopeo = settings.images.some(image => image.archive)
    ? new Skopeo(run, paths, { tlsVerify: settings.tlsVerify, caFile: settings.caFile })
    : undefined
  try {
    // Nothing is pushed until everything was checked: the charts (read,
    // packaged) and the images (in local storage), and the registry for both
    // (login, permissions, what each tag holds now).
    const charts =
      settings.charts.length > 0 ? await prepareChartPush(settings, run, paths, log) : undefined
    const images =
      settings.images.length > 0
        ? await prepareImagePush(settings, { container: tool, skopeo }, log)
        : undefined
    return {
      images: images ? await images.push() : [],
      charts: charts ? await charts.push() : []
    }
  } finally {
    // Every tool has ended here, unless a failure cut a wait short: one still
    // running is stopped first, or it could write its login after the folder went.
    await stopStrayTools()
    tool?.cleanup()
    removePrivateDir(dir)
  }
}
