/** A registry answered with an error status; the body's `errors` kept for translation. */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    /** `code: message` of each entry of the `{"errors":[...]}` body, or the body's start. */
    readonly detail: string,
    readonly url: string
  ) {
    super(`HTTP ${status} from ${url}${detail ? `: ${detail}` : ''}`)
    this.name = 'RegistryError'
  }
}

/**
 * The words of an error body: the distribution spec's
 * `{"errors":[{"code","message","detail"}]}`, or the start of anything else
 * (an HTML page from a proxy says more in its title than in its status).
 */
export function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] }
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
      return clipped(
        parsed.errors
          .map(entry => [entry.code, entry.message].filter(Boolean).join(': '))
          .join('; ')
      )
    }
  } catch {
    // Not JSON.
  }
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1]
  if (title) return clipped(`<html> ${title.trim()}`)
  return withoutCredentials(body.trim()).slice(0, 200)
}

/** The words a registry's answer puts in a message at most: a registry may send pages of them. */
const DETAIL_CHARS = 300

/**
 * `Basic <base64>` or `Bearer <token>` that a registry or a debugging proxy
 * echoes back: the runner masks the password and its base64 form whole,
 * but not a bearer token, nor a base64 form cut short by the clipping.
 */
const ECHOED_CREDENTIALS = /\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{16,}/gi

function withoutCredentials(text: string): string {
  return text.replace(ECHOED_CREDENTIALS, '$1 ***')
}

function clipped(text: string): string {
  const told = withoutCredentials(text)
  return told.length > DETAIL_CHARS ? `${told.slice(0, DETAIL_CHARS - 1)}…` : told
}
