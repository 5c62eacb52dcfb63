import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { InputError, PushError, ToolError, messageOf } from '../errors.js'
import { type ArchiveSource, type Credentials, archiveReference } from '../settings/settings.js'
import type { TlsOptions } from '../settings/tls.js'
import { type Platform, platformName } from '../oci.js'
import { DIGEST, type LocalImage, type PrivatePaths } from './container-tool.js'
import type { Runner } from './exec.js'
import { pushStallMs } from './stall-watch.js'

interface RawManifest {
  mediaType?: string
  config?: { digest?: string }
  layers?: { digest?: string }[]
  manifests?: {
    digest?: string
    platform?: Platform
  }[]
}

/**
 * skopeo: copies images from archives and layouts (`docker save`, `podman
 * save`, `buildx --output type=oci`) to a registry with no container engine,
 * multi-platform indexes whole, when no username/password is given (its own
 * login on the machine pushes; with them, the own registry client does). The same containers libraries as podman, so
 * the login is podman's auth file format, and TLS the same flags, with
 * `--dest-` in front for a copy.
 */
export class Skopeo {
  private readonly authFile: string
  private readonly certDir: string
  private digestCount = 0

  constructor(
    private readonly run: Runner,
    private readonly paths: PrivatePaths,
    private readonly tls: TlsOptions
  ) {
    this.authFile = path.join(paths.dir, 'skopeo-auth.json')
    this.certDir = path.join(paths.dir, 'skopeo-certs')
  }

  /** Checks skopeo works; returns its version. */
  async prepare(): Promise<string> {
    let version: string
    try {
      version = (await this.run('skopeo', ['--version'])).stdout.trim()
    } catch (error) {
      throw new InputError(
        `archives and layouts are pushed with skopeo when no username/password is given (its login on this machine then pushes), and skopeo does not work here (${messageOf(error)}): give username and password, or install skopeo (apt-get install skopeo; GitHub's Ubuntu runners have it)`
      )
    }
    if (this.tls.caFile) {
      fs.mkdirSync(this.certDir, { recursive: true, mode: 0o700 })
      fs.copyFileSync(this.tls.caFile, path.join(this.certDir, 'ca.crt'))
    }
    return version
  }

  /**
   * What the archive or layout holds, read without pushing: the manifest's
   * digest (an OCI image or index keeps it byte for byte in the registry),
   * the config digest (a docker archive's image ID, since its manifest is
   * made anew on the way) and the platforms of an index. A missing or
   * unreadable source is an input error.
   */
  async inspect(source: ArchiveSource): Promise<LocalImage> {
    const reference = archiveReference(source)
    let raw: string
    try {
      raw = (await this.run('skopeo', ['inspect', '--raw', reference])).stdout
    } catch (error) {
      const why = error instanceof ToolError ? lastLine(error.stderr) : messageOf(error)
      throw new InputError(
        `"${reference}" could not be read (${why}): check the path, and that it is ${TRANSPORT_WORDS[source.transport]}. Nothing was pushed.`
      )
    }
    const manifest = JSON.parse(raw) as RawManifest
    const digest = `sha256:${crypto.createHash('sha256').update(raw).digest('hex')}`
    // Archives that share a layer are then pushed one after the other: the
    // first uploads it and skopeo mounts it for the rest (its blob-info cache
    // knows where it went); side by side, each would upload it.
    const layers = (manifest.layers ?? []).flatMap(layer => (layer.digest ? [layer.digest] : []))
    if (source.transport === 'docker-archive') {
      const config = (await this.run('skopeo', ['inspect', '--config', '--raw', reference])).stdout
      const id = `sha256:${crypto.createHash('sha256').update(config).digest('hex')}`
      return { id, layers }
    }
    const platforms = manifest.manifests?.map(entry => ({
      platform: platformName(entry.platform),
      id: entry.digest ?? ''
    }))
    return {
      id: manifest.config?.digest ?? digest,
      layers,
      digest,
      ...(platforms ? { platforms } : {})
    }
  }

  /** Logs in to `host` with the password on stdin, into the private directory. */
  async login(host: string, credentials: Credentials): Promise<void> {
    await this.run(
      'skopeo',
      [
        'login',
        '--authfile',
        this.authFile,
        ...this.tlsFlags(''),
        '--username',
        credentials.username,
        '--password-stdin',
        host
      ],
      { input: credentials.password }
    )
  }

  /**
   * Copies the source to `destination` (every platform of an index); an OCI
   * source keeps its digests (`--preserve-digests`: the copy fails rather
   * than rewrite a manifest). Returns the digest the registry holds.
   */
  async push(source: ArchiveSource, destination: string): Promise<string> {
    const digestFile = path.join(this.paths.dir, `skopeo-digest-${++this.digestCount}`)
    try {
      await this.run(
        'skopeo',
        [
          'copy',
          '--all',
          ...(source.transport === 'docker-archive' ? [] : ['--preserve-digests']),
          ...(this.paths.isolated ? ['--dest-authfile', this.authFile] : []),
          ...this.tlsFlags('dest-'),
          '--digestfile',
          digestFile,
          archiveReference(source),
          `docker://${destination}`
        ],
        { stallMs: pushStallMs() }
      )
      const digest = DIGEST.exec(fs.readFileSync(digestFile, 'utf8'))
      if (!digest) throw new PushError(`skopeo copied to "${destination}" but wrote no digest`)
      return digest[0]
    } finally {
      fs.rmSync(digestFile, { force: true })
    }
  }

  private tlsFlags(prefix: '' | 'dest-'): string[] {
    const flags: string[] = []
    if (!this.tls.tlsVerify) flags.push(`--${prefix}tls-verify=false`)
    if (this.tls.caFile) flags.push(`--${prefix}cert-dir`, this.certDir)
    return flags
  }
}

const TRANSPORT_WORDS: Record<ArchiveSource['transport'], string> = {
  'oci-archive': 'an OCI archive (podman save --format oci-archive, buildx --output type=oci)',
  oci: 'an OCI image layout folder (holding index.json)',
  'docker-archive': 'a docker save / podman save tar'
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter(line => line.trim() !== '')
  return (lines.at(-1) ?? '').replace(/^time=".*?" level=\w+ msg="?|"$/g, '').replace(/\\"/g, '"')
}
