import net from 'node:net'

/**
 * The proxy for a request to `url`, from the standard variables, or
 * undefined to go direct.
 *
 * podman, helm and the docker engine are Go programs: they pick their proxy
 * with Go's `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy,
 * proxy.go). The action's own registry requests follow the same rules, so a
 * preflight never takes another path than the push that follows it:
 * - `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http URLs (no fallback
 *   from one to the other); the upper-case name first, then the lower-case
 *   one; a value without a scheme is `http://`.
 * - `localhost` and loopback IP literals (127.0.0.0/8, ::1) never use a proxy,
 *   listed in `NO_PROXY` or not (unlike curl, which proxies them unless listed).
 * - `NO_PROXY`: comma-separated; `*` excludes everything; an IP or CIDR
 *   (`10.0.0.0/8`) matches IP literals; `example.com` matches it and its
 *   subdomains, `.example.com` and `*.example.com` only subdomains; `:port`
 *   narrows an entry to one port.
 * The docker engine takes its proxy from its own service, not from the step:
 * there the same variables must be set for the daemon.
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const names =
    url.protocol === 'https:'
      ? ['HTTPS_PROXY', 'https_proxy']
      : url.protocol === 'http:'
        ? ['HTTP_PROXY', 'http_proxy']
        : []
  const proxy = firstSet(env, names)
  if (!proxy) return undefined
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  if (!usesProxy(host, port, firstSet(env, ['NO_PROXY', 'no_proxy']) ?? '')) return undefined
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`
}

function firstSet(env: NodeJS.ProcessEnv, names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim()
    if (value) return value
  }
  return undefined
}

function usesProxy(host: string, port: string, noProxy: string): boolean {
  if (host === 'localhost') return false
  const ip = net.isIP(host) !== 0
  if (ip && isLoopback(host)) return false
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase()
    if (!entry) continue
    if (entry === '*') return false
    if (entry.includes('/')) {
      if (ip && inCidr(host, entry)) return false
      continue
    }
    const [entryHost, entryPort] = splitHostPort(entry)
    if (!entryHost || (entryPort && entryPort !== port)) continue
    if (net.isIP(entryHost) !== 0) {
      if (ip && sameAddress(host, entryHost)) return false
      continue
    }
    const domain = entryHost.replace(/^\*\./, '.')
    if (
      domain.startsWith('.')
        ? host.endsWith(domain)
        : host === domain || host.endsWith(`.${domain}`)
    ) {
      return false
    }
  }
  return true
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`; a bare IPv6 address has no port. */
function splitHostPort(entry: string): [string, string] {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry)
  if (bracketed) return [bracketed[1], bracketed[2] ?? '']
  if (net.isIPv6(entry)) return [entry, '']
  const withPort = /^(.*):(\d+)$/.exec(entry)
  return withPort ? [withPort[1], withPort[2]] : [entry, '']
}

function isLoopback(ip: string): boolean {
  if (net.isIPv4(ip)) return ip.startsWith('127.')
  return sameAddress(ip, '::1') || /^::ffff:127\./i.test(ip)
}

function sameAddress(a: string, b: string): boolean {
  const list = new net.BlockList()
  list.addAddress(b, net.isIPv6(b) ? 'ipv6' : 'ipv4')
  return list.check(a, net.isIPv6(a) ? 'ipv6' : 'ipv4')
}

function inCidr(ip: string, cidr: string): boolean {
  const [network, bits] = cidr.split('/')
  const family = net.isIPv6(network) ? 'ipv6' : net.isIPv4(network) ? 'ipv4' : undefined
  const prefix = Number(bits)
  if (!family || !Number.isInteger(prefix)) return false
  const list = new net.BlockList()
  try {
    list.addSubnet(network, prefix, family)
  } catch {
    return false
  }
  return list.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4')
}
