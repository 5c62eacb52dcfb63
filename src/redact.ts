/**
 * Credentials written into a URL (`https://user:password@host/`): a
 * registry or mirror address pasted with its login. Shared by every module,
 * like errors.ts: whatever prints a URL prints it through here.
 */

/** `scheme://user:password@` or `user:password@` in front of a host. */
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi

/** `text` with the userinfo of every URL in it replaced by `***`. */
export function redactUserinfo(text: string): string {
  return text.replace(USERINFO, '$1***@')
}

/** A URL's userinfo, split off: the URL without it, and the Basic authorization it stood for. */
export function splitUserinfo(url: string): { url: string; authorization?: string } {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { url }
  }
  if (!parsed.username && !parsed.password) return { url }
  const user = decodeURIComponent(parsed.username)
  const password = decodeURIComponent(parsed.password)
  parsed.username = ''
  parsed.password = ''
  const bare =
    parsed.href.endsWith('/') && !url.endsWith('/') ? parsed.href.slice(0, -1) : parsed.href
  return {
    url: bare,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  }
}

/** The passwords written into URLs in `text` (as written, and decoded), to be masked. */
export function userinfoPasswords(text: string): string[] {
  const found = new Set<string>()
  // With a scheme anywhere, or at the start of a line (a registry given as user:password@host).
  for (const match of text.matchAll(/(?:^|[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:([^\s/@]+)@/gim)) {
    found.add(match[1])
    try {
      found.add(decodeURIComponent(match[1]))
    } catch {
      // Not percent-encoded: the form as written is masked.
    }
  }
  return [...found]
}
