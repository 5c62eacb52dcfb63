import fs from 'node:fs'
import path from 'node:path'
import { InputError, PushError, ToolError, messageOf } from '../errors.js'
import { type Platform, platformName } from '../oci.js'
import type { Credentials } from '../settings/settings.js'
import type { TlsOptions } from '../settings/tls.js'
import {
  type ContainerTool,
  DIGEST,
  type PrivatePaths,
  type LocalImage,
  LOCAL_IMAGE_FORMAT,
  type PlatformImage,
  normaliseImageId,
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
  readonly recordsPushes = false
  readonly daemonDecidesTls = false
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

  /**
   * The images `refs` name. A manifest list (`podman manifest create` and
   * `add`) is inspected by podman as its native platform's image, which a
   * plain `podman push` would push alone: lists are found first, and each
   * carries its platforms, so that it is pushed whole.
   */
  async localImages(refs: string[]): Promise<(LocalImage | undefined)[]> {
    const [images, lists] = await Promise.all([
      inspectLocalImages(
        async refs => (await this.inspect(refs)).stdout,
        ref => this.localImage(ref),
        refs
      ),
      this.manifestLists()
    ])
    return Promise.all(
      images.map(async (image, index) => {
        const ref = refs[index]
        if (!image || !(lists.has(ref) || lists.has(`localhost/${ref}`))) return image
        return { ...image, layers: [], platforms: await this.listPlatforms(ref) }
      })
    )
  }

  /** Every manifest list in local storage, as `repository:tag`. */
  private async manifestLists(): Promise<Set<string>> {
    const { stdout } = await this.run('podman', [
      'images',
      '--filter',
      'manifest=true',
      '--format',
      '{{.Repository}}:{{.Tag}}'
    ])
    return new Set(
      stdout
        .split('\n')
        .map(line => line.trim())
        .filter(Boolean)
    )
  }

  /** The platforms of the manifest list `ref`, each with its image's ID. */
  private async listPlatforms(ref: string): Promise<PlatformImage[]> {
    const list = JSON.parse((await this.run('podman', ['manifest', 'inspect', ref])).stdout) as {
      manifests?: {
        digest: string
        platform?: Platform
      }[]
    }
    const instances = list.manifests ?? []
    if (instances.length === 0) {
      throw new InputError(
        `"${ref}" is a manifest list with no images: add one with podman manifest add`
      )
    }
    const { stdout } = await this.run('podman', [
      'image',
      'inspect',
      '--format',
      '{{.Id}}',
      ...instances.map(instance => `${ref}@${instance.digest}`)
    ])
    const ids = stdout
      .split('\n')
      .map(line => line.trim())
      .filter(Boolean)
    return instances.map((instance, index) => ({
      platform: platformName(instance.platform),
      id: normaliseImageId(ids[index] ?? '')
    }))
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

  async push(source: string, destination: string, image?: LocalImage): Promise<string> {
    const digestFile = path.join(this.paths.dir, `digest-${++this.digestCount}`)
    // A manifest list goes with `manifest push --all`: every platform, then the list itself.
    const command = image?.platforms ? ['manifest', 'push', '--all'] : ['push']
    try {
      await this.run(
        'podman',
        [
          ...command,
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
