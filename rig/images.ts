/** Local images for tests, made offline with `<tool> import` from a tiny random rootfs. */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { requireTool, run } from './tools.js'

export type ImageTool = 'docker' | 'podman'

export interface MakeImageOptions {
  /** Extra environment for the tool, e.g. dockerd.env ({ DOCKER_HOST }) */
  env?: Record<string, string>
  /** Size of the random file in the rootfs; 4 KiB by default */
  sizeBytes?: number
}

const INSTALL: Record<ImageTool, string> = {
  docker: 'apt-get install -y docker.io',
  podman: 'apt-get install -y podman'
}

export function toolPath(tool: ImageTool): string {
  return requireTool(tool, INSTALL[tool])
}

/** 'sha256:<hex>' whether the tool printed it with or without the algorithm. */
export function normaliseImageId(id: string): string {
  const trimmed = id.trim()
  return /^[0-9a-f]{64}$/.test(trimmed) ? `sha256:${trimmed}` : trimmed
}

/**
 * Creates the local image `ref` holding one file of random bytes (so every image has its own
 * ID) and returns its image ID as 'sha256:<hex>'.
 */
export async function makeImage(
  tool: ImageTool,
  ref: string,
  opts: MakeImageOptions = {}
): Promise<string> {
  const bin = toolPath(tool)
  const tarBin = requireTool('tar', 'apt-get install -y tar')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-image-'))
  try {
    const rootfs = path.join(tmp, 'rootfs')
    fs.mkdirSync(rootfs)
    fs.writeFileSync(path.join(rootfs, 'random.bin'), crypto.randomBytes(opts.sizeBytes ?? 4096))
    const tarFile = path.join(tmp, 'rootfs.tar')
    await run(tarBin, ['-C', rootfs, '-cf', tarFile, '.'])
    await run(bin, ['import', tarFile, ref], { env: opts.env })
    return await imageId(tool, ref, opts.env)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/**
 * Creates the local image `ref` on top of the local image `base`: the base's
 * layers and one of its own (random bytes). Images made on one base share
 * its layers, as product images on a common base image do. podman only
 * (`podman build` works offline with a local base).
 */
export async function makeImageOn(base: string, ref: string, sizeBytes = 4096): Promise<string> {
  const bin = toolPath('podman')
  const context = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-build-'))
  try {
    fs.writeFileSync(path.join(context, 'own.bin'), crypto.randomBytes(sizeBytes))
    fs.writeFileSync(path.join(context, 'Containerfile'), `FROM ${base}\nCOPY own.bin /own.bin\n`)
    await run(bin, ['build', '--quiet', '--pull=never', '--tag', ref, context])
    return await imageId('podman', ref)
  } finally {
    fs.rmSync(context, { recursive: true, force: true })
  }
}

/** The local image ID of ref as 'sha256:<hex>'. */
export async function imageId(
  tool: ImageTool,
  ref: string,
  env?: Record<string, string>
): Promise<string> {
  const res = await run(toolPath(tool), ['image', 'inspect', '--format', '{{.Id}}', ref], { env })
  return normaliseImageId(res.stdout)
}

/** Removes the local tag ref; an image that is already gone is fine. */
export async function removeImage(
  tool: ImageTool,
  ref: string,
  env?: Record<string, string>
): Promise<void> {
  const res = await run(toolPath(tool), ['image', 'rm', ref], { env, allowFailure: true })
  if (res.code !== 0 && !/no such image|image not known|not found/i.test(res.stderr)) {
    throw new Error(`${tool} image rm ${ref} failed: ${res.stderr}`)
  }
}

/**
 * A podman manifest list `ref` with one image per architecture (each built
 * with buildah from scratch, random bytes, `--arch`), as a multi-platform
 * build leaves it. Returns each platform's image ID, by architecture.
 */
export async function makeManifestList(
  ref: string,
  architectures: string[]
): Promise<Record<string, string>> {
  const podman = toolPath('podman')
  const buildah = requireTool('buildah', 'apt-get install -y buildah')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-list-'))
  const ids: Record<string, string> = {}
  try {
    await run(podman, ['manifest', 'create', ref])
    for (const arch of architectures) {
      const image = `${ref}-${arch}`
      const container = (await run(buildah, ['from', 'scratch'])).stdout.trim()
      try {
        const file = path.join(tmp, arch)
        fs.writeFileSync(file, crypto.randomBytes(4096))
        await run(buildah, ['config', '--arch', arch, '--os', 'linux', container])
        await run(buildah, ['add', container, file, '/random.bin'])
        await run(buildah, ['commit', '--quiet', container, image])
      } finally {
        await run(buildah, ['rm', container], { allowFailure: true })
      }
      ids[arch] = await imageId('podman', image)
      await run(podman, ['manifest', 'add', ref, `containers-storage:${image}`])
    }
    return ids
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** Removes a manifest list and the platform images makeManifestList made for it. */
export async function removeManifestList(ref: string, architectures: string[]): Promise<void> {
  await run(toolPath('podman'), ['manifest', 'rm', ref], { allowFailure: true })
  for (const arch of architectures) await removeImage('podman', `${ref}-${arch}`)
}

/**
 * A multi-platform index in a registry, as a build job leaves it in a
 * staging registry: a podman manifest list of `architectures` (see
 * makeManifestList), pushed whole with `podman manifest push --all` to
 * `destination` (`host/repo:tag`), then removed locally. Fixture side: the
 * login goes on podman's command line. Returns each platform's image ID.
 */
export async function pushManifestList(
  destination: string,
  architectures: string[],
  login?: { username: string; password: string }
): Promise<Record<string, string>> {
  const local = `localhost/hp-staged-${crypto.randomBytes(4).toString('hex')}:v1`
  const ids = await makeManifestList(local, architectures)
  try {
    await run(toolPath('podman'), [
      'manifest',
      'push',
      '--all',
      '--tls-verify=false',
      ...(login ? ['--creds', `${login.username}:${login.password}`] : []),
      local,
      `docker://${destination}`
    ])
    return ids
  } finally {
    await removeManifestList(local, architectures)
  }
}
