/**
 * A private Docker engine for tests: no networking, its own data-root, exec-root and socket
 * under a short temp dir. dockerd starts its own managed containerd (under
 * <exec-root>/containerd) because none listens on the default socket.
 *
 * Two image stores: the classic one (Debian 12's dockerd 20.10, vfs storage), and the
 * containerd image store, which holds multi-platform images (Debian 13's dockerd 26 and
 * containerd 1.7, unpacked by scripts/install-deps.sh into .ci/.tools/docker-containerd; the
 * `containerd-snapshotter` feature with the `native` snapshotter, the vfs of containerd).
 */
import fs from 'node:fs'
import path from 'node:path'
import { mountsUnder, requireTool, run, sleep, spawnServer, waitFor } from './tools.js'

/**
 * Where scripts/install-deps.sh unpacks the engine with the containerd image store: in the
 * project's .ci/.tools, found upwards (the bench runs this file compiled, from build/bench/rig).
 */
const CONTAINERD_ENGINE = path.join(
  projectRoot(import.meta.dirname),
  '.ci/.tools/docker-containerd'
)

function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) return path.resolve(from, '..')
  }
}

export interface DockerdOptions {
  /** 'containerd': the containerd image store (multi-platform images); default the classic one. */
  imageStore?: 'classic' | 'containerd'
}

export interface Dockerd {
  /** 'unix:///tmp/hpd-XXXXXX/docker.sock' */
  host: string
  /** { DOCKER_HOST } to pass to docker commands */
  env: Record<string, string>
  dir: string
  /** pid of dockerd */
  pid: number
  logs(): string
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 60_000
const STOP_GRACE_MS = 15_000

export async function startDockerd(options: DockerdOptions = {}): Promise<Dockerd> {
  const containerdStore = options.imageStore === 'containerd'
  const dockerdBin = containerdStore
    ? containerdEngineFile('usr/sbin/dockerd')
    : requireTool('dockerd', 'apt-get install -y docker.io')
  const dockerBin = requireTool('docker', 'apt-get install -y docker.io')
  if (containerdStore) containerdEngineFile('usr/bin/containerd')
  else requireTool('containerd', 'apt-get install -y docker.io')
  requireTool('runc', 'apt-get install -y docker.io')

  // Short on purpose: unix socket paths are limited to ~108 bytes, and containerd nests deeper.
  const dir = fs.mkdtempSync('/tmp/hpd-')
  const sock = path.join(dir, 'docker.sock')
  const host = `unix://${sock}`
  const env = { DOCKER_HOST: host }
  const configFile = path.join(dir, 'daemon.json')
  // A config of its own, so a host /etc/docker/daemon.json cannot change the daemon.
  const config = containerdStore ? { features: { 'containerd-snapshotter': true } } : {}
  fs.writeFileSync(configFile, `${JSON.stringify(config)}\n`, 'utf8')

  const server = spawnServer(
    dockerdBin,
    [
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--bridge=none',
      `--storage-driver=${containerdStore ? 'native' : 'vfs'}`,
      '--config-file',
      configFile,
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      path.join(dir, 'exec'),
      '--pidfile',
      path.join(dir, 'docker.pid'),
      '-H',
      host
    ],
    // The engine starts the containerd (and docker-init) it finds first on PATH: its own.
    containerdStore
      ? { env: { PATH: `${path.join(CONTAINERD_ENGINE, 'usr/bin')}:${process.env.PATH ?? ''}` } }
      : {}
  )

  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const containerdPid = readPid(path.join(dir, 'exec', 'containerd', 'containerd.pid'))
      await server.stop(STOP_GRACE_MS)
      // dockerd stops its managed containerd on a clean shutdown; after a SIGKILL it would not.
      if (containerdPid !== undefined && isAlive(containerdPid) && mentions(containerdPid, dir)) {
        process.kill(containerdPid, 'SIGTERM')
        if (!(await waitFor(() => !isAlive(containerdPid), 5_000))) {
          process.kill(containerdPid, 'SIGKILL')
          await waitFor(() => !isAlive(containerdPid), 5_000)
        }
      }
      // dockerd bind-mounts its data-root onto itself and unmounts it on a clean shutdown.
      for (const mount of mountsUnder(dir)) {
        await run('umount', ['-l', mount], { allowFailure: true })
      }
      fs.rmSync(dir, { recursive: true, force: true })
    })()
    return stopped
  }

  const engine: Dockerd = { host, env, dir, pid: server.pid, logs: () => server.logs(), stop }
  const deadline = Date.now() + START_TIMEOUT_MS
  let last = ''
  try {
    for (;;) {
      if (server.hasExited()) throw new Error('dockerd exited before it was ready')
      const res = await run(dockerBin, ['version', '--format', '{{.Server.Version}}'], {
        env,
        allowFailure: true,
        timeoutMs: 10_000
      })
      if (res.code === 0) return engine
      last = res.stderr.trim()
      if (Date.now() >= deadline) throw new Error(`dockerd not ready after ${START_TIMEOUT_MS} ms`)
      await sleep(200)
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const logs = server.logs()
    await stop()
    throw new Error(`${message} (docker version: ${last})\n--- dockerd logs ---\n${logs}`)
  }
}

/** A file of the unpacked containerd-store engine; missing is a failure with the fix. */
function containerdEngineFile(relative: string): string {
  const file = path.join(CONTAINERD_ENGINE, relative)
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} is missing: run bash scripts/install-deps.sh (it unpacks Debian 13's docker.io and containerd there)`
    )
  }
  return file
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Whether the command line of pid mentions text (so a reused pid is never killed). */
function mentions(pid: number, text: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)
  } catch {
    return false
  }
}

/** True while pid runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}
