/**
 * The workload: seven images named as the script's product images, each a
 * base layer they all share plus a layer of its own, both of random bytes
 * (incompressible, so gzip cannot make the transfer small). Built with
 * buildah in podman's storage; docker gets the same images through
 * `podman save` (a docker archive holding all seven) and `docker load`, so
 * the base layer is shared there too.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { requireTool, run } from '../rig/tools.js'
import type { BenchConfig } from './config.js'

/**
 * Label on every image the bench makes: it only ever replaces or removes its
 * own. Its value is the run's id (earlier versions of the bench labelled
 * `io.github.harbor-push.bench` and removed every image with that label,
 * another run's too).
 */
export const LABEL = 'io.github.harbor-push.bench-run'

/**
 * This run's value of the label, and part of its base image's name: on a
 * machine shared with other runs of the bench, each removes only its own
 * images (another run's base, scale or big images stay).
 */
export const RUN_ID = crypto.randomBytes(4).toString('hex')

export interface Workload {
  /** `<sourcePath>/<name>:<tag>` for each product image. */
  sources: string[]
  /** Local image IDs by source, per tool. */
  ids: { podman: Record<string, string>; docker: Record<string, string> }
  /** Bytes of the random files: one base plus one per image. */
  uniqueBytes: number
}

/** The base every image is built on (the scale scenario builds on it too). */
export const BASE_REF = `localhost/harbor-push-bench/base-${RUN_ID}:latest`

export function sourceRef(config: BenchConfig, name: string): string {
  return `${config.sourcePath}/${name}:${config.tag}`
}

/** Builds the seven images in podman's storage; refuses to replace images it did not make. */
export async function buildPodmanImages(config: BenchConfig): Promise<Workload> {
  const buildah = requireTool('buildah', 'apt-get install -y buildah')
  const podman = requireTool('podman', 'apt-get install -y podman')
  const sources = config.images.map(name => sourceRef(config, name))
  for (const ref of sources) await refuseForeign(podman, ref, {})

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-layers-'))
  try {
    await removeIfOurs(podman, BASE_REF, {})
    const baseFile = path.join(tmp, 'base.bin')
    writeRandom(baseFile, config.baseBytes)
    const base = (await run(buildah, ['from', 'scratch'])).stdout.trim()
    await run(buildah, ['add', '--quiet', base, baseFile, '/opt/base/base.bin'])
    await run(buildah, ['config', '--label', `${LABEL}=${RUN_ID}`, base])
    await run(buildah, ['commit', '--quiet', '--rm', base, BASE_REF])

    // The label is inherited by every image built on the base. Three builds at a time.
    const ids: Record<string, string> = {}
    const queue = [...sources.entries()]
    const builder = async (): Promise<void> => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const [index, ref] = next
        const file = path.join(tmp, `image-${index}.bin`)
        writeRandom(file, config.imageBytes)
        const container = (
          await run(buildah, ['from', '--pull=never', '--quiet', BASE_REF])
        ).stdout.trim()
        await run(buildah, ['add', '--quiet', container, file, '/opt/app/app.bin'])
        await removeIfOurs(podman, ref, {})
        await run(buildah, ['commit', '--quiet', '--rm', container, ref])
        fs.rmSync(file)
        ids[ref] = await imageId(podman, ref, {})
      }
    }
    await Promise.all([builder(), builder(), builder()])
    return { sources, ids: { podman: ids, docker: {} }, uniqueBytes: uniqueBytes(config) }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** The same images in a docker engine, sharing the base layer. */
export async function loadIntoDocker(
  workload: Workload,
  env: Record<string, string>
): Promise<void> {
  const podman = requireTool('podman', 'apt-get install -y podman')
  const docker = requireTool('docker', 'apt-get install -y docker.io')
  for (const ref of workload.sources) await refuseForeign(docker, ref, env)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-bench-archive-'))
  try {
    const archive = path.join(tmp, 'images.tar')
    await run(podman, [
      'save',
      '--quiet',
      '--multi-image-archive',
      '--format',
      'docker-archive',
      '--output',
      archive,
      ...workload.sources
    ])
    const loaded = await run(docker, ['load', '--input', archive], { env, timeoutMs: 600_000 })
    // podman names the images `localhost/<path>/...`; docker keeps that name.
    const names = [...loaded.stdout.matchAll(/Loaded image: (\S+)/g)].map(match => match[1])
    for (const ref of workload.sources) {
      const loadedName = names.find(name => name === ref || name.endsWith(`/${ref}`))
      if (loadedName === undefined) {
        throw new Error(`docker load did not load ${ref}: ${loaded.stdout}${loaded.stderr}`)
      }
      if (loadedName !== ref) {
        await run(docker, ['tag', loadedName, ref], { env })
        await run(docker, ['image', 'rm', loadedName], { env })
      }
      workload.ids.docker[ref] = await imageId(docker, ref, env)
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/**
 * Removes every image this run of the bench made (by its label and run id, so
 * never anyone else's, nor another run's), with every name it has: the loop's
 * destination tags too, even after an interrupted run.
 */
export async function removeImages(
  tool: 'podman' | 'docker',
  env: Record<string, string> = {}
): Promise<void> {
  const bin = requireTool(tool, `apt-get install -y ${tool === 'docker' ? 'docker.io' : tool}`)
  const listed = await run(
    bin,
    ['images', '--all', '--quiet', '--no-trunc', '--filter', `label=${LABEL}=${RUN_ID}`],
    { env, allowFailure: true }
  )
  const ids = [
    ...new Set(
      listed.stdout
        .split('\n')
        .map(line => line.trim())
        .filter(Boolean)
    )
  ]
  // Images built on others first (podman refuses to remove a base that others still use).
  for (let pass = 0; pass < 3 && ids.length > 0; pass++) {
    for (const id of [...ids]) {
      const res = await run(bin, ['image', 'rm', '--force', id], { env, allowFailure: true })
      if (res.code === 0 || /no such image|image not known/i.test(res.stderr))
        ids.splice(ids.indexOf(id), 1)
    }
  }
}

async function imageId(bin: string, ref: string, env: Record<string, string>): Promise<string> {
  const id = (
    await run(bin, ['image', 'inspect', '--format', '{{.Id}}', ref], { env })
  ).stdout.trim()
  return id.startsWith('sha256:') ? id : `sha256:${id}`
}

async function label(
  bin: string,
  ref: string,
  env: Record<string, string>
): Promise<string | undefined> {
  const res = await run(
    bin,
    ['image', 'inspect', '--format', `{{index .Config.Labels "${LABEL}"}}`, ref],
    { env, allowFailure: true }
  )
  if (res.code !== 0) return undefined
  return res.stdout.trim()
}

/** Throws when `ref` exists locally and was not made by the bench. */
async function refuseForeign(bin: string, ref: string, env: Record<string, string>): Promise<void> {
  const found = await label(bin, ref, env)
  if (found !== undefined && (found === '' || found === '<no value>')) {
    throw new Error(
      `${ref} is already in local ${path.basename(bin)} storage and was not made by the benchmark; ` +
        'remove it, or pick another local path with --source-path'
    )
  }
}

async function removeIfOurs(bin: string, ref: string, env: Record<string, string>): Promise<void> {
  const found = await label(bin, ref, env)
  if (found === undefined || found === '' || found === '<no value>') return
  await run(bin, ['image', 'rm', '--force', ref], { env, allowFailure: true })
}

/** A file of `bytes` random bytes (incompressible layers), written 8 MiB at a time. */
export function writeRandom(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w')
  try {
    for (let done = 0; done < bytes;) {
      const chunk = crypto.randomBytes(Math.min(8 * 1024 * 1024, bytes - done))
      fs.writeSync(fd, chunk)
      done += chunk.length
    }
  } finally {
    fs.closeSync(fd)
  }
}

function uniqueBytes(config: BenchConfig): number {
  return config.baseBytes + config.images.length * config.imageBytes
}
