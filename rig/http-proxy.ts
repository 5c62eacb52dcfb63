/**
 * A real forward proxy (Debian's `squid`) on loopback, the kind company
 * runners sit behind, with a log of every request and CONNECT it served.
 *
 * Why squid and not tinyproxy: squid resolves names from a hosts file of its
 * own (`hosts_file`). A test can so give a registry a name that only the
 * proxy can resolve: nothing on the machine reaches it but through the proxy,
 * and the name is not `localhost` or a loopback IP, which Go's clients
 * (podman, helm) and the action never send through a proxy.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, requireTool, run, spawnServer, waitFor, type ServerProcess } from './tools.js'

export interface HttpProxy {
  /** `http://127.0.0.1:<port>`: the value for HTTPS_PROXY / HTTP_PROXY. */
  url: string
  /** Every request served, as `<METHOD> <URL or host:port> <status>`, oldest first. */
  requests(): string[]
  stop(): Promise<void>
}

/**
 * Starts squid; `hosts` maps names only the proxy resolves to addresses (e.g.
 * 127.0.0.1). With `login`, squid asks for it (407 Proxy Authentication
 * Required), as many company proxies do.
 */
export async function startHttpProxy(
  hosts: Record<string, string>,
  login?: { username: string; password: string }
): Promise<HttpProxy> {
  const squid = requireTool('squid', 'apt-get install -y squid')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-proxy-'))
  const authLines: string[] = []
  if (login) {
    const passwords = path.join(dir, 'passwords')
    const htpasswd = requireTool('htpasswd', 'apt-get install -y apache2-utils')
    // Fixture side: the proxy's test password on argv is fine here. MD5: what basic_ncsa_auth reads.
    await run(htpasswd, ['-bcm', passwords, login.username, login.password])
    fs.chmodSync(passwords, 0o644)
    authLines.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${passwords}`,
      'auth_param basic realm hp-test-proxy',
      'acl signed_in proxy_auth REQUIRED'
    )
  }
  // Started as root, squid drops to its own user, which must still write its logs here.
  fs.chmodSync(dir, 0o777)
  const accessLog = path.join(dir, 'access.log')
  fs.writeFileSync(
    path.join(dir, 'hosts'),
    Object.entries(hosts)
      .map(([name, address]) => `${address} ${name}\n`)
      .join('')
  )
  let lastError = ''
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const config = path.join(dir, 'squid.conf')
    fs.writeFileSync(
      config,
      [
        `http_port 127.0.0.1:${port}`,
        `pid_filename ${path.join(dir, 'squid.pid')}`,
        'logformat requests %rm %ru %>Hs',
        `access_log stdio:${accessLog} requests`,
        `cache_log ${path.join(dir, 'cache.log')}`,
        `hosts_file ${path.join(dir, 'hosts')}`,
        'cache deny all',
        'pinger_enable off',
        'shutdown_lifetime 0 seconds',
        ...authLines,
        // Any port, CONNECT included: the registries of the rig listen on free ports.
        login ? 'http_access allow localhost signed_in' : 'http_access allow localhost',
        'http_access deny all',
        ''
      ].join('\n')
    )
    const server = spawnServer(squid, ['-N', '-f', config], { cwd: dir })
    const cacheLog = (): string => {
      try {
        return fs.readFileSync(path.join(dir, 'cache.log'), 'utf8')
      } catch {
        return ''
      }
    }
    const ready = await waitFor(
      () => server.hasExited() || /Accepting HTTP Socket connections/.test(cacheLog()),
      20_000
    )
    if (ready && !server.hasExited()) return proxy(`http://127.0.0.1:${port}`, server, dir)
    lastError = `${server.logs()}\n${cacheLog()}`
    await server.stop(5_000)
    if (!/address already in use/i.test(lastError)) break
  }
  fs.rmSync(dir, { recursive: true, force: true })
  throw new Error(`squid did not start:\n${lastError}`)
}

function proxy(url: string, server: ServerProcess, dir: string): HttpProxy {
  return {
    url,
    requests: () => {
      const log = path.join(dir, 'access.log')
      if (!fs.existsSync(log)) return []
      return fs.readFileSync(log, 'utf8').split('\n').filter(Boolean)
    },
    stop: async () => {
      await server.stop(5_000)
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
