import fs from 'node:fs'
import path from 'node:path'
import { InputError, PushError, ToolError, messageOf } from '../errors.js'
import type { Credentials } from '../settings/settings.js'
import {
  type ContainerTool,
  DIGEST,
  type PrivatePaths,
  type TlsOptions,
  type LocalImage,
  LOCAL_IMAGE_FORMAT,
  inspectLocalImages,
  parseLocalImage
} from './container-tool.js'
import {
  checkRegistriesConfDropIns,
  writeAuthFileOnlyRegistriesConf
} from './credential-helpers.js'
import type { Runner } from './exec.js'
import { pushStallMs } from './stall-watch.js'

/**
 * podman: daemonless, so every registry setting is a flag of each command:
 * `--authfile` for the private login, `--tls-verify` / `--cert-dir` for TLS.
 */
export class Podman implements ContainerTool {
  readonly name = 'podman'
  private readonly authFile: string
  private readonly certDir: string
  /** A registries.conf whose credential-helpers is the auth file only (see credential-helpers.ts). */
  private readonly registriesConf: string
  private digestCount = 0

  constructor(
    private readonly run: Runner,
    private readonly paths: PrivatePaths,
    private readonly tls: TlsOptions
  ) {
    this.authFile = path.join(paths.dir, 'podman-auth.json')
    this.certDir = path.join(paths.dir, 'podman-certs')
    this.registriesConf = path.join(paths.dir, 'podman-registries.conf')
  }

  async prepare(): Promise<string> {
    let version: string
    try {
      version = (await this.run('podman', ['--version'])).stdout.trim()
    } catch (error) {
      throw new InputError(
        `container-tool "podman" does not work here (${messageOf(error)}); install podman or set container-tool: docker`
      )
    }
    if (this.tls.caFile) this.prepareCertDir()
    if (this.paths.isolated) {
      checkRegistriesConfDropIns()
      writeAuthFileOnlyRegistriesConf(this.registriesConf)
    }
    return version
  }

  registryTls(): TlsOptions {
    return this.tls
  }

  cleanup(): void {
    // Everything podman needs lives in the private directory.
  }

  async imageId(ref: string): Promise<string | undefined> {
    return (await this.localImage(ref))?.id
  }

  localImages(refs: string[]): Promise<(LocalImage | undefined)[]> {
    return inspectLocalImages(
      async refs => (await this.inspect(refs)).stdout,
      ref => this.localImage(ref),
      refs
    )
  }

  private async localImage(ref: string): Promise<LocalImage | undefined> {
    try {
      return parseLocalImage((await this.inspect([ref])).stdout)
    } catch (error) {
      if (error instanceof ToolError && /image not known|no such image/i.test(error.stderr)) {
        return undefined
      }
      throw error
    }
  }

  private inspect(refs: string[]): ReturnType<Runner> {
    return this.run('podman', ['image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, ...refs])
  }

  async login(host: string, credentials: Credentials): Promise<void> {
    await this.run(
      'podman',
      [
        'login',
        ...this.registryFlags(),
        '--username',
        credentials.username,
        '--password-stdin',
        host
      ],
      { input: credentials.password, ...this.registryEnv() }
    )
  }

  async push(source: string, destination: string): Promise<string> {
    const digestFile = path.join(this.paths.dir, `digest-${++this.digestCount}`)
    try {
      await this.run(
        'podman',
        [
          'push',
          ...this.registryFlags(),
          '--digestfile',
          digestFile,
          source,
          `docker://${destination}`
        ],
        { ...this.registryEnv(), stallMs: pushStallMs() }
      )
      const digest = DIGEST.exec(fs.readFileSync(digestFile, 'utf8'))
      if (!digest) throw new PushError(`podman pushed "${destination}" but wrote no digest`)
      return digest[0]
    } finally {
      fs.rmSync(digestFile, { force: true })
    }
  }

  /** Flags every command that talks to the registry takes. */
  registryFlags(): string[] {
    const flags = this.paths.isolated ? ['--authfile', this.authFile] : []
    if (!this.tls.tlsVerify) flags.push('--tls-verify=false')
    if (this.tls.caFile) flags.push('--cert-dir', this.certDir)
    return flags
  }

  /** The environment of commands that read or write the login: the private registries.conf. */
  private registryEnv(): { env?: Record<string, string> } {
    return this.paths.isolated ? { env: { CONTAINERS_REGISTRIES_CONF: this.registriesConf } } : {}
  }

  /** podman trusts every `*.crt` in `--cert-dir`; a private copy keeps the user's folder out of it. */
  private prepareCertDir(): void {
    fs.mkdirSync(this.certDir, { recursive: true, mode: 0o700 })
    fs.copyFileSync(this.tls.caFile, path.join(this.certDir, 'ca.crt'))
  }
}
