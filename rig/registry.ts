/**
 * A real CNCF distribution registry (Debian's `docker-registry`, distribution 2.8) on loopback,
 * optionally with htpasswd basic auth and a self-signed TLS certificate.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { request } from './registry-api.js'
import { selfSigned } from './tls.js'
import { freePort, requireTool, run, sleep, spawnServer, type ServerProcess } from './tools.js'

export interface Registry {
  /** '127.0.0.1:<port>' */
  host: string
  /** 'http://<host>' or 'https://<host>' */
  url: string
  /** Temp dir holding config, storage, htpasswd and certificates; removed by stop(). */
  dir: string
  /**
   * PEM of the self-signed certificate when tls. It sits alone in its own folder as `ca.crt`, so
   * `path.dirname(caFile)` can be given to `podman --cert-dir` as it is.
   */
  caFile?: string
  users: Record<string, string>
  /** pid of the registry process */
  pid: number
  logs(): string
  /** Kills the registry process (SIGKILL), keeping its storage and port for `start()`. */
  kill(): Promise<void>
  /** Starts it again after `kill()`, on the same port with the same storage. */
  start(): Promise<void>
  stop(): Promise<void>
}

export interface RegistryOptions {
  users?: Record<string, string>
  tls?: boolean
  /** Names besides 127.0.0.1 that the TLS certificate is valid for. */
  tlsHostNames?: string[]
  /**
   * The loopback address to listen on (default 127.0.0.1): another one makes another registry
   * host for clients that remember where blobs went by host (docker's containerd image store).
   */
  address?: string
}

const START_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 5_000

export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const registryBin = requireTool('docker-registry', 'apt-get install -y docker-registry')
  const users = { ...(opts.users ?? {}) }
  const userNames = Object.keys(users)
  const htpasswdBin =
    userNames.length > 0 ? requireTool('htpasswd', 'apt-get install -y apache2-utils') : ''

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-registry-'))
  try {
    fs.mkdirSync(path.join(dir, 'data'))

    let htpasswdFile: string | undefined
    if (userNames.length > 0) {
      htpasswdFile = path.join(dir, 'htpasswd')
      let first = true
      for (const name of userNames) {
        // Fixture side: passing the password in argv is fine here.
        await run(htpasswdBin, [first ? '-Bbc' : '-Bb', htpasswdFile, name, users[name] ?? ''])
        first = false
      }
    }

    let caFile: string | undefined
    let certFile: string | undefined
    let keyFile: string | undefined
    if (opts.tls) {
      const tls = await selfSigned(dir, 'ca', opts.tlsHostNames)
      certFile = tls.certFile
      keyFile = tls.keyFile
      caFile = tls.certFile
    }

    let lastError: Error | undefined
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort()
      const host = `${opts.address ?? '127.0.0.1'}:${port}`
      const configFile = path.join(dir, 'config.yml')
      fs.writeFileSync(
        configFile,
        registryConfig({ dir, host, htpasswdFile, certFile, keyFile }),
        'utf8'
      )
      const server = spawnServer(registryBin, ['serve', configFile], { cwd: dir })
      const reg = makeRegistry({
        host,
        tls: opts.tls === true,
        dir,
        caFile,
        users,
        server,
        restart: () => spawnServer(registryBin, ['serve', configFile], { cwd: dir })
      })
      try {
        await waitUntilReady(reg, server)
        return reg
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err))
        await server.stop(STOP_GRACE_MS)
        // Someone else took the port between freePort() and listen: try another one.
        if (!/address already in use/i.test(server.logs())) break
      }
    }
    throw lastError ?? new Error('docker-registry did not start')
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

function registryConfig(c: {
  dir: string
  host: string
  htpasswdFile?: string
  certFile?: string
  keyFile?: string
}): string {
  // JSON strings are valid YAML double-quoted scalars.
  const q = (s: string): string => JSON.stringify(s)
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(path.join(c.dir, 'data'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${q(c.host)}`,
    `  secret: ${q(crypto.randomBytes(16).toString('hex'))}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]'
  ]
  if (c.certFile && c.keyFile) {
    lines.push('  tls:', `    certificate: ${q(c.certFile)}`, `    key: ${q(c.keyFile)}`)
  }
  if (c.htpasswdFile) {
    lines.push('auth:', '  htpasswd:', '    realm: hp-registry', `    path: ${q(c.htpasswdFile)}`)
  }
  return lines.join('\n') + '\n'
}

function makeRegistry(c: {
  host: string
  tls: boolean
  dir: string
  caFile?: string
  users: Record<string, string>
  server: ServerProcess
  restart: () => ServerProcess
}): Registry {
  let stopped: Promise<void> | undefined
  let server = c.server
  const reg: Registry = {
    host: c.host,
    url: `${c.tls ? 'https' : 'http'}://${c.host}`,
    dir: c.dir,
    users: c.users,
    pid: server.pid,
    logs: () => server.logs(),
    kill: async () => {
      server.child.kill('SIGKILL')
      await server.exited
    },
    start: async () => {
      server = c.restart()
      await waitUntilReady(reg, server)
    },
    stop: () => {
      stopped ??= (async () => {
        await server.stop(STOP_GRACE_MS)
        fs.rmSync(c.dir, { recursive: true, force: true })
      })()
      return stopped
    }
  }
  if (c.caFile !== undefined) reg.caFile = c.caFile
  return reg
}

async function waitUntilReady(reg: Registry, server: ServerProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  let last = ''
  while (Date.now() < deadline) {
    if (server.hasExited()) {
      throw new Error(`docker-registry exited before it was ready\n--- logs ---\n${reg.logs()}`)
    }
    try {
      const res = await request(reg, 'GET', '/v2/', {}, 2_000)
      if (res.status === 200 || res.status === 401) return
      last = `GET /v2/ answered ${res.status}`
    } catch (err) {
      last = err instanceof Error ? err.message : String(err)
    }
    await sleep(100)
  }
  throw new Error(
    `docker-registry at ${reg.url} not ready after ${START_TIMEOUT_MS} ms (${last})\n` +
      `--- logs ---\n${reg.logs()}`
  )
}
