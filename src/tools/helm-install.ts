/**
 * Which helm runs: the one on PATH when there is one (the user chose it),
 * else `helm-version` from the runner's tool cache, downloaded from
 * `helm-download-url` and checked against its published sha256 before it is
 * unpacked, cached or run.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import * as io from '@actions/io'
import * as tc from '@actions/tool-cache'
import { InputError, messageOf } from '../errors.js'
import type { Log } from '../log.js'
import { redactUserinfo, splitUserinfo } from '../redact.js'
import type { Settings } from '../settings/settings.js'

/** Where the helm to run comes from. */
export interface HelmLocation {
  /** Absolute path of the binary. */
  binary: string
  from: 'PATH' | 'tool cache' | 'download'
}

/** helm's release names for Node's `process.arch`. */
const ARCH: Partial<Record<NodeJS.Architecture, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64'
}

/** `<os>-<arch>` of helm's release archives for this machine. */
export function helmPlatform(
  platform: NodeJS.Platform = process.platform,
  arch: NodeJS.Architecture = process.arch
): string {
  const helmArch = ARCH[arch]
  if (!['linux', 'darwin'].includes(platform) || !helmArch) {
    throw new InputError(
      `helm is not on PATH, and harbor-push installs helm only on Linux and macOS (this is ${platform}/${arch}); install helm before this step`
    )
  }
  return `${platform}-${helmArch}`
}

/**
 * The helm to run. `workDir` (inside the private directory) takes the
 * download while it is checked, so nothing unchecked outlives the step.
 */
export async function locateHelm(
  settings: Pick<Settings, 'helmVersion' | 'helmDownloadUrl'>,
  workDir: string,
  log: Log
): Promise<HelmLocation> {
  const onPath = await io.which('helm', false)
  if (onPath) return { binary: onPath, from: 'PATH' }

  const platform = helmPlatform()
  const arch = platform.split('-')[1]
  const version = settings.helmVersion
  if (!process.env.RUNNER_TOOL_CACHE) {
    throw new InputError(
      `helm is not on PATH, and RUNNER_TOOL_CACHE is not set, so helm ${version} cannot be installed: install helm, or set RUNNER_TOOL_CACHE to a folder harbor-push may install it into`
    )
  }
  const cached = tc.find('helm', version, arch)
  if (cached) return { binary: path.join(cached, 'helm'), from: 'tool cache' }

  const archiveName = `helm-${version}-${platform}.tar.gz`
  // A login in the mirror URL goes in an Authorization header: the toolkit
  // prints the URL it downloads in debug lines (and sends no userinfo itself).
  const mirror = splitUserinfo(settings.helmDownloadUrl)
  const url = `${mirror.url}/${archiveName}`
  log.info(`helm is not on PATH: installing helm ${version} from ${redacted(url)}`)
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 })
  const sumFile = await download(
    `${url}.sha256sum`,
    path.join(workDir, `${archiveName}.sha256sum`),
    version,
    mirror.authorization
  )
  const archive = await download(
    url,
    path.join(workDir, archiveName),
    version,
    mirror.authorization
  )
  const expected = /^[a-f0-9]{64}\b/i
    .exec(fs.readFileSync(sumFile, 'utf8').trim())?.[0]
    .toLowerCase()
  if (!expected) {
    throw new Error(
      `${redacted(url)}.sha256sum holds no sha256; refusing to run an unchecked helm (check helm-download-url)`
    )
  }
  const actual = await sha256(archive)
  if (actual !== expected) {
    fs.rmSync(archive, { force: true })
    throw new Error(
      `${redacted(url)} does not match its published sha256 (${expected}; the download is ${actual}): refusing to install or run it; check helm-download-url (is the mirror serving another file?)`
    )
  }
  const unpacked = await tc.extractTar(archive, path.join(workDir, 'unpacked'))
  const folder = path.join(unpacked, platform)
  if (!fs.existsSync(path.join(folder, 'helm'))) {
    throw new Error(`${redacted(url)} holds no ${platform}/helm; check helm-download-url`)
  }
  const installed = await tc.cacheDir(folder, 'helm', version, arch)
  return { binary: path.join(installed, 'helm'), from: 'download' }
}

async function download(
  url: string,
  destination: string,
  version: string,
  authorization?: string
): Promise<string> {
  try {
    return await tc.downloadTool(url, destination, authorization)
  } catch (error) {
    if (error instanceof tc.HTTPError && error.httpStatusCode === 404) {
      throw new InputError(
        `helm ${version} is not at ${redacted(url)} (HTTP 404): check helm-version (e.g. v3.17.3) and helm-download-url`
      )
    }
    throw new Error(
      `could not download ${redacted(url)}: ${messageOf(error)}; check helm-download-url, or put helm on PATH before this step`
    )
  }
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256')
    fs.createReadStream(file)
      .on('data', chunk => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')))
  })
}

/** A URL without the user and password a mirror URL may carry. */
function redacted(url: string): string {
  return redactUserinfo(url)
}
