import { PushError, ToolError, messageOf } from '../errors.js'

/** What was being done when a tool failed, to word the advice. */
export interface FailureContext {
  action: 'login' | 'push'
  tool: string
  /** `host[:port]` of the registry. */
  host: string
  /** The Harbor project (first path segment of the destination repository), or ''. */
  project: string
  /** Who logged in; undefined when relying on an existing login. */
  username?: string
  /** The destination reference of a push. */
  reference?: string
}

interface Rule {
  test: RegExp
  /** Whether another attempt may succeed. */
  transient?: boolean
  advice: (context: FailureContext) => string
}

const project = (context: FailureContext): string =>
  context.project ? `project "${context.project}"` : `registry "${context.host}"`

/**
 * Tool output patterns, most specific first. They match what docker, podman
 * and Harbor print; the registry's own error codes (DENIED, NAME_UNKNOWN...)
 * appear inside that output.
 */
const RULES: Rule[] = [
  {
    test: /x509:|certificate signed by unknown authority|certificate is not valid|tls: failed to verify/i,
    advice: c =>
      `the TLS certificate of "${c.host}" is not trusted: set ca-file to the registry's CA bundle (PEM), or tls-verify: false`
  },
  {
    test: /server gave HTTP response to HTTPS client/i,
    advice: c =>
      c.tool === 'docker'
        ? `the registry "${c.host}" speaks plain HTTP: add it to "insecure-registries" in the docker daemon's daemon.json, or use container-tool: podman with tls-verify: false`
        : `the registry "${c.host}" speaks plain HTTP: set tls-verify: false`
  },
  {
    test: /\b412\b|precondition failed|immutable/i,
    advice: c =>
      `tag "${c.reference ?? ''}" is immutable in Harbor (a tag immutability rule of ${project(c)}): push a new tag instead of overwriting this one`
  },
  {
    test: /quota|exceed the configured upper limit/i,
    advice: c =>
      `the storage quota of ${project(c)} is exceeded: delete old artifacts or ask a Harbor administrator to raise the quota`
  },
  {
    test: /read[- ]only mode|registry is in read[- ]only|READ_ONLY/i,
    advice: c =>
      `the registry "${c.host}" is in read-only mode (Harbor maintenance): push again when an administrator turns it off`
  },
  {
    test: /proxy[- ]cache|proxy project/i,
    advice: c =>
      `${project(c)} is a proxy-cache project, which only mirrors another registry and takes no pushes: push to a normal project`
  },
  {
    test: /project .{0,80}not found|project .{0,40}does not exist/i,
    advice: c =>
      `${project(c)} not found or not visible to this account: Harbor does not create projects on push; check the registry path or ask for the project to be created`
  },
  {
    // A corporate proxy or firewall answering with its own HTML page, not the registry.
    test: /error parsing HTTP \d+ response body|<html/i,
    advice: c =>
      `something between here and "${c.host}" (a proxy or firewall) answered with an HTML page instead of the registry: check the proxy settings and that the registry is allowed`
  },
  {
    test: /unauthorized|invalid username\/password|incorrect username or password|authentication required|\b401\b/i,
    advice: c =>
      c.action === 'login'
        ? `login to "${c.host}" rejected for user "${c.username ?? ''}": use the CLI secret from the Harbor user profile (not the SSO password); robot account names start with robot$`
        : pushDenied(c)
  },
  {
    test: /denied|insufficient_scope|forbidden|\b403\b/i,
    advice: pushDenied
  },
  {
    test: /connection refused|deadline exceeded|connection reset|no route to host|i\/o timeout|timed out|timeout|TLS handshake|unexpected EOF|\bEOF\b|too many requests|\b429\b|\b50[0-4]\b|service unavailable|bad gateway|gateway time/i,
    transient: true,
    advice: c => `"${c.host}" could not be reached or failed temporarily`
  }
]

function pushDenied(c: FailureContext): string {
  if (!c.username) {
    return `the registry refused the push to ${project(c)}: no username/password were given, so the ${c.tool} login already on this machine was used; set username and password`
  }
  return `user "${c.username}" may pull but not push to ${project(c)}: it needs a read-write role (e.g. the project's Edge-Manager group)`
}

/**
 * Turns a tool failure into a PushError whose message says what to do, with
 * the tool's own last words kept as the cause. Unknown failures pass through
 * whole.
 */
export function translateFailure(error: unknown, context: FailureContext): PushError {
  if (error instanceof PushError) return error
  if (!(error instanceof ToolError)) return new PushError(messageOf(error))
  const rule = RULES.find(candidate => candidate.test.test(error.stderr))
  if (!rule) return new PushError(error.message)
  return new PushError(`${rule.advice(context)} (${lastLine(error.stderr)})`, rule.transient)
}

function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter(line => line.trim() !== '')
  return (lines.at(-1) ?? '').replace(/^(Error: |error: )/, '').trim()
}
