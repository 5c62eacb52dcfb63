import fs from 'node:fs'
import path from 'node:path'
import { InputError, PushError, messageOf } from '../errors.js'
import { type Scheme, detectScheme } from '../registry/probe.js'
import type { Credentials } from '../settings/settings.js'
import { DIGEST, type PrivatePaths, type TlsOptions } from './container-tool.js'
import { writeFileOnlyAuthConfig } from './credential-helpers.js'
import type { RunResult, Runner } from './exec.js'
import { pushStallMs } from './stall-watch.js'
import {
  type HelmVersion,
  MINIMUM_HELM,
  type RegistryFlags,
  atLeast,
  parseHelmVersion,
  registryFlags
} from './helm-version.js'

/** What `helm push` reports. */
export interface HelmPushResult {
  /** `host/path/name:tag`, as helm printed it after `Pushed:`. */
  pushed: string
  digest: string
}

/** Options for packaging a chart folder. */
export interface PackageOptions {
  /** `--version`, or '' to keep Chart.yaml's. */
  version: string
  /** `--app-version`, or '' to keep Chart.yaml's. */
  appVersion: string
}

/**
 * helm, run through the project's one Runner: argv arrays only, the secret on
 * stdin only. With a login of its own (`isolated`), every helm file lives in
 * the step's private directory: the registry login (`--registry-config`) and
 * helm's config, cache and data homes, so the user's helm setup is neither
 * read nor changed.
 */
export class Helm {
  readonly name = 'helm'
  private readonly registryConfig: string | undefined
  private readonly env: Record<string, string> | undefined
  private flags: RegistryFlags | undefined
  private detected: HelmVersion | undefined

  constructor(
    private readonly run: Runner,
    /** The helm binary: `helm` from PATH, or an absolute path from the tool cache. */
    readonly binary: string,
    paths: PrivatePaths,
    private readonly tls: TlsOptions
  ) {
    const home = path.join(paths.dir, 'helm')
    this.registryConfig = paths.isolated ? path.join(home, 'registry.json') : undefined
    this.env = paths.isolated
      ? {
          HELM_CONFIG_HOME: path.join(home, 'config'),
          HELM_CACHE_HOME: path.join(home, 'cache'),
          HELM_DATA_HOME: path.join(home, 'data')
        }
      : undefined
  }

  /** The version of this helm (`helm version --template {{.Version}}`); refuses one older than v3.8.0. */
  async version(): Promise<HelmVersion> {
    if (this.detected) return this.detected
    let printed: string
    try {
      printed = (await this.helm(['version', '--template', '{{.Version}}'])).stdout.trim()
    } catch (error) {
      throw new InputError(`helm (${this.binary}) does not run here: ${messageOf(error)}`)
    }
    const version = parseHelmVersion(printed)
    if (!version) {
      throw new InputError(
        `helm (${this.binary}) printed "${printed}" as its version; use helm 3 or 4`
      )
    }
    if (!atLeast(version, MINIMUM_HELM)) {
      throw new InputError(
        `helm ${version.text} (${this.binary}) is too old to push charts to OCI registries: it needs ${MINIMUM_HELM.text} or newer`
      )
    }
    this.detected = version
    return version
  }

  /**
   * Works out how to reach `host` (HTTPS or plain HTTP, with the TLS settings)
   * and the flags that needs; throws an InputError when the settings or this
   * helm cannot. Returns the scheme.
   */
  async connect(
    host: string,
    willLogin: boolean,
    detect: (host: string, tls: TlsOptions) => Promise<Scheme> = async (host, tls) =>
      (await detectScheme(host, tls)).scheme
  ): Promise<Scheme> {
    const version = await this.version()
    const scheme = await detect(host, this.tls)
    this.flags = registryFlags(version, host, scheme, this.tls, willLogin)
    return scheme
  }

  /** `helm dependency build`: fills charts/ from the chart's file:// dependencies. */
  async dependencyBuild(folder: string): Promise<void> {
    await this.helm(['dependency', 'build', folder])
  }

  /** `helm package` into `destination`; returns the path of the .tgz it wrote. */
  async package(folder: string, destination: string, options: PackageOptions): Promise<string> {
    const args = ['package', folder, '--destination', destination]
    if (options.version) args.push('--version', options.version)
    if (options.appVersion) args.push('--app-version', options.appVersion)
    const { stdout: output } = await this.helm(args)
    const saved = /saved it to:\s*(.+\.tgz)\s*$/m.exec(output)?.[1]
    const file = saved ?? fs.readdirSync(destination).find(name => name.endsWith('.tgz'))
    if (!file) throw new PushError(`helm package "${folder}" wrote no .tgz to ${destination}`)
    return path.resolve(destination, file)
  }

  /**
   * `helm show chart <file>`: the Chart.yaml of a packaged chart as helm's
   * loader reads it, the loader `helm push` runs too. Throws what helm says
   * when it refuses the chart.
   */
  async showChart(file: string): Promise<string> {
    return (await this.helm(['show', 'chart', file])).stdout
  }

  /** `helm registry login <host>` with the password on stdin, into the private registry config. */
  async login(host: string, credentials: Credentials): Promise<void> {
    // Without this, a docker-credential-secretservice (or -pass) on PATH gets the login.
    if (this.registryConfig) writeFileOnlyAuthConfig(this.registryConfig, host)
    await this.helm(
      [
        'registry',
        'login',
        host,
        '--username',
        credentials.username,
        '--password-stdin',
        ...this.configFlags(),
        ...this.connection().login
      ],
      credentials.password
    )
  }

  /**
   * `helm push <file> oci://<prefix>`: helm adds `<name>:<version>` itself.
   * Returns the reference and the manifest digest helm printed.
   */
  async push(file: string, prefix: string): Promise<HelmPushResult> {
    const { stdout, stderr } = await this.helm(
      ['push', file, `oci://${prefix}`, ...this.configFlags(), ...this.connection().push],
      undefined,
      pushStallMs()
    )
    // helm 3 and 4 print the result on stderr; stdout is read too in case that changes.
    const output = `${stdout}\n${stderr}`
    const pushed = /^Pushed:\s*(\S+)/m.exec(output)?.[1]
    const digest = new RegExp(`^Digest:\\s*(${DIGEST.source})`, 'm').exec(output)?.[1]
    if (!pushed || !digest) {
      throw new PushError(
        `helm push "${path.basename(file)}" printed no "Pushed:" and "Digest:" lines: ${output.trim()}`
      )
    }
    return { pushed, digest }
  }

  private configFlags(): string[] {
    return this.registryConfig ? ['--registry-config', this.registryConfig] : []
  }

  private connection(): RegistryFlags {
    if (!this.flags) throw new Error('Helm.connect() must run before login and push')
    return this.flags
  }

  private async helm(args: string[], input?: string, stallMs?: number): Promise<RunResult> {
    return this.run(this.binary, args, {
      ...(input === undefined ? {} : { input }),
      ...(this.env ? { env: this.env } : {}),
      ...(stallMs ? { stallMs } : {})
    })
  }
}
