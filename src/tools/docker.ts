import dns from 'node:dns/promises'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { InputError, PushError, ToolError, messageOf } from '../errors.js'
import type { Credentials } from '../settings/settings.js'
import type { TlsOptions } from '../settings/tls.js'
import {
  type ContainerTool,
  DIGEST,
  type PrivatePaths,
  type LocalImage,
  LOCAL_IMAGE_FORMAT,
  inspectLocalImages,
  parseLocalImage
} from './container-tool.js'
import { writeFileOnlyAuthConfig } from './credential-helpers.js'
import type { Runner } from './exec.js'
import { StalledError, pushStallMs } from './stall-watch.js'

/** Where the docker daemon looks for per-registry CA files (`*.crt`). */
export const DOCKER_CERTS_ROOT = '/etc/docker/certs.d'

/** A CA file this step placed for the daemon, to be removed afterwards. */
export interface PlacedCaFile {
  file: string
  /**
   * The topmost folder this step created for it, if any: it and the folders
   * below it on the way to the file are removed too, each only while empty
   * (another job may have put its own CA there meanwhile).
   */
  createdDir?: string
}

/**
 * A local tag docker needs to push to a destination, and what that tag named
 * before (undefined: nothing). Put back after the push; by the post step when
 * the main step was killed mid-push.
 */
export interface TempTag {
  tag: string
  before?: string
  /** The DOCKER_CONFIG the step ran docker with (its private one), if any. */
  dockerConfig?: string
}

/** What the step leaves outside its private folder while it runs, told before it is made. */
export interface DockerHooks {
  /** Before a CA file is placed, so a post step can remove it even if this one dies. */
  onCaFilePlaced?: (placed: PlacedCaFile) => void
  /** Once it was removed again: nothing is left for a post step to remove there. */
  onCaFileRemoved?: () => void
  /** The temporary tags not yet put back, each time that changes (before a tag is made). */
  onTempTags?: (tags: TempTag[]) => void
}

/** `docker info` of the engine's version and registry settings, on one line. */
const DAEMON_INFO_FORMAT = '{{.ServerVersion}} {{json .RegistryConfig}}'

interface RegistryConfig {
  InsecureRegistryCIDRs?: string[]
  IndexConfigs?: Record<string, { Secure?: boolean }>
}

/**
 * docker: the daemon, not the command, talks to the registry. Logins are
 * isolated with DOCKER_CONFIG; TLS settings are the daemon's, so they can be
 * checked here but not changed per command.
 */
export class Docker implements ContainerTool {
  readonly name = 'docker'
  readonly recordsPushes = true
  readonly daemonDecidesTls = true
  private readonly env: Record<string, string> | undefined
  private readonly configDir: string | undefined
  private placed: PlacedCaFile | undefined
  private insecure = false
  private readonly tempTags = new Map<string, TempTag>()

  constructor(
    private readonly run: Runner,
    paths: PrivatePaths,
    private readonly tls: TlsOptions,
    private readonly hooks: DockerHooks = {},
    private readonly certsRoot = DOCKER_CERTS_ROOT
  ) {
    this.configDir = paths.isolated ? path.join(paths.dir, 'docker') : undefined
    this.env = this.configDir ? { DOCKER_CONFIG: this.configDir } : undefined
  }

  async prepare(host: string): Promise<string> {
    const { version, registryConfig } = await this.daemonInfo(host)
    this.insecure = await treatsAsInsecure(registryConfig, host)
    if (!this.tls.tlsVerify && !this.insecure) {
      throw new InputError(
        `tls-verify: false: docker cannot skip TLS verification per command, and the docker daemon does not treat "${host}" as insecure; add it to "insecure-registries" in the daemon's /etc/docker/daemon.json and restart the daemon, or use container-tool: podman, or ca-file`
      )
    }
    if (this.tls.caFile) this.placed = this.placeCaFile(host)
    return `docker engine ${version}`
  }

  /** The daemon skips verification (and falls back to HTTP) for registries it treats as insecure. */
  registryTls(): TlsOptions {
    return this.insecure ? { tlsVerify: false, caFile: '' } : this.tls
  }

  cleanup(): void {
    if (!this.placed) return
    removePlacedCaFile(this.placed)
    this.placed = undefined
    this.hooks.onCaFileRemoved?.()
  }

  /**
   * The engine's version and registry settings, in one call: each docker
   * command costs a process start and a daemon round trip (0.02 s), a tenth
   * of a re-run where every tag is already there.
   */
  private async daemonInfo(
    host: string
  ): Promise<{ version: string; registryConfig: RegistryConfig }> {
    let printed: string
    try {
      printed = (await this.docker(['info', '--format', DAEMON_INFO_FORMAT])).trim()
    } catch (error) {
      throw new InputError(
        `container-tool "docker" does not work here: ${messageOf(error)}; start the docker engine (or set DOCKER_HOST), or set container-tool: podman`
      )
    }
    const space = printed.indexOf(' ')
    const version = space === -1 ? printed : printed.slice(0, space)
    let registryConfig: RegistryConfig = {}
    try {
      registryConfig = (JSON.parse(printed.slice(space + 1)) as RegistryConfig | null) ?? {}
    } catch (error) {
      // Only tls-verify: false depends on them: without, the registry is asked with TLS as given.
      if (!this.tls.tlsVerify) {
        throw new InputError(
          `tls-verify: false: could not read the docker daemon's registry settings to check that "${host}" is allowed as insecure (${messageOf(error)})`
        )
      }
    }
    return { version, registryConfig }
  }

  async imageId(ref: string): Promise<string | undefined> {
    return (await this.localImage(ref))?.id
  }

  localImages(refs: string[]): Promise<(LocalImage | undefined)[]> {
    return inspectLocalImages(
      refs => this.docker(['image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, ...refs]),
      ref => this.localImage(ref),
      refs
    )
  }

  private async localImage(ref: string): Promise<LocalImage | undefined> {
    try {
      return parseLocalImage(
        await this.docker(['image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, ref])
      )
    } catch (error) {
      if (error instanceof ToolError && /no such image/i.test(error.stderr)) return undefined
      throw error
    }
  }

  async login(host: string, credentials: Credentials): Promise<void> {
    // docker/cli stores a Docker Hub login under https://index.docker.io/v1/,
    // the key its pushes of docker.io/... and index.docker.io/... look up
    // (cli/config/configfile/file.go getAuthConfigKey), only when told
    // "docker.io"; told "index.docker.io" it stores it under that host name
    // (cli/command/registry/login.go runLogin), where no push finds it.
    const server = host.toLowerCase() === 'index.docker.io' ? 'docker.io' : host
    // Without this, a docker-credential-secretservice (or -pass) on PATH gets the login.
    if (this.configDir) writeFileOnlyAuthConfig(path.join(this.configDir, 'config.json'), server)
    await this.run(
      'docker',
      ['login', '--username', credentials.username, '--password-stdin', server],
      { input: credentials.password, env: this.env }
    )
  }

  async push(source: string, destination: string): Promise<string> {
    // docker pushes tags, so the destination needs a local tag. Afterwards the
    // tag is removed, or pointed back at what it named before: local storage
    // is left as it was found. The tag is told before it is made, so a post
    // step can put it back after a main step killed mid-push.
    let temp: TempTag | undefined
    if (source !== destination) {
      temp = {
        tag: destination,
        before: await this.imageId(destination),
        dockerConfig: this.env?.DOCKER_CONFIG
      }
      this.tempTags.set(destination, temp)
      this.hooks.onTempTags?.([...this.tempTags.values()])
      await this.docker(['tag', source, destination])
    }
    try {
      const output = await this.docker(['push', destination], { stallMs: pushStallMs() }).catch(
        (error: unknown) => {
          // The engine does the upload and keeps a stalled one after its client is stopped:
          // another `docker push` would only join it and wait again.
          if (!(error instanceof StalledError)) throw error
          throw new PushError(
            `${error.message}. The docker engine keeps the stalled upload after its client is stopped, so it was not tried again: check the engine's network path to the registry (its own proxy settings, not the step's) and restart the engine`
          )
        }
      )
      const digest = /digest: (sha256:[a-f0-9]{64})/.exec(output)?.[1] ?? DIGEST.exec(output)?.[0]
      if (!digest) throw new PushError(`docker pushed "${destination}" but printed no digest`)
      return digest
    } finally {
      // Only a tag put back is forgotten: one left (a run being stopped) stays for the clean-up.
      if (
        temp &&
        (await restoreTempTag(this.run, temp).then(
          () => true,
          () => false
        ))
      ) {
        this.tempTags.delete(destination)
        this.hooks.onTempTags?.([...this.tempTags.values()])
      }
    }
  }

  /**
   * `ca-file`: the daemon trusts every `*.crt` in certs.d/<host>/. A file of
   * our own name leaves any CA the user placed untouched.
   */
  placeCaFile(host: string): PlacedCaFile {
    const dir = path.join(this.certsRoot, host)
    const placed: PlacedCaFile = {
      file: path.join(dir, `harbor-push-${process.pid}-${Date.now()}.crt`),
      createdDir: topmostMissing(dir)
    }
    this.hooks.onCaFilePlaced?.(placed)
    try {
      fs.mkdirSync(dir, { recursive: true })
      fs.copyFileSync(this.tls.caFile, placed.file)
    } catch (error) {
      throw new InputError(
        `ca-file: docker reads registry CAs from ${dir}/ on the daemon's machine, and it cannot be written here (${messageOf(error)}); place the CA there as ca.crt yourself, or use container-tool: podman`
      )
    }
    return placed
  }

  private async docker(args: string[], options: { stallMs?: number } = {}): Promise<string> {
    return (await this.run('docker', args, { env: this.env, ...options })).stdout
  }
}

/**
 * Whether the daemon treats `host` as an insecure registry (its
 * insecure-registries setting, or an address in an insecure range such as
 * the default 127.0.0.0/8). docker has no per-command TLS switch, so this
 * is what `tls-verify: false` can rely on.
 */
async function treatsAsInsecure(config: RegistryConfig, host: string): Promise<boolean> {
  if (config.IndexConfigs?.[host]?.Secure === false) return true
  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  // dockerd treats a name as insecure when any of its addresses is in an insecure range.
  const addresses = net.isIP(hostname)
    ? [hostname]
    : await dns.lookup(hostname, { all: true }).then(
        found => found.map(entry => entry.address),
        () => []
      )
  const cidrs = config.InsecureRegistryCIDRs ?? []
  return addresses.some(address => inCidrs(address, cidrs))
}

/**
 * Removes a CA file placed by `placeCaFile`, then the folders this step
 * created for it, deepest first, each only while empty: whatever another job
 * put in them meanwhile (its own CA, another registry's folder) stays.
 */
export function removePlacedCaFile(placed: PlacedCaFile): void {
  fs.rmSync(placed.file, { force: true })
  if (!placed.createdDir) return
  for (let dir = path.dirname(placed.file); ; dir = path.dirname(dir)) {
    // Never climb above the folder this step created, whatever the saved state says.
    if (!isWithin(dir, placed.createdDir)) return
    try {
      fs.rmdirSync(dir)
    } catch (error) {
      // Not empty: someone else's things are in it, and in every folder above.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return
    }
    if (dir === placed.createdDir) return
  }
}

function isWithin(dir: string, top: string): boolean {
  const relative = path.relative(top, dir)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

/** Puts a temporary tag back: pointed at what it named before, or removed. */
export async function restoreTempTag(run: Runner, temp: TempTag): Promise<void> {
  const env = temp.dockerConfig ? { DOCKER_CONFIG: temp.dockerConfig } : undefined
  const args = temp.before ? ['tag', temp.before, temp.tag] : ['image', 'rm', temp.tag]
  await run('docker', args, { env })
}

/** The highest folder on the way to `dir` that does not exist yet, if any. */
function topmostMissing(dir: string): string | undefined {
  let missing: string | undefined
  for (let current = dir; !fs.existsSync(current); current = path.dirname(current)) {
    missing = current
  }
  return missing
}

function inCidrs(address: string, cidrs: string[]): boolean {
  const list = new net.BlockList()
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split('/')
    const family = net.isIPv6(network) ? 'ipv6' : 'ipv4'
    list.addSubnet(network, Number(prefix), family)
  }
  return list.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4')
}
