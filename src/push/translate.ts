import { PushError, ToolError, messageOf } from '../errors.js'
import { SourceError } from '../registry/content.js'
import { RegistryError } from '../registry/errors.js'
import { networkCause } from '../registry/http.js'

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

/** Harbor's roles that may push, and this product's group that has one. */
const PUSH_ROLES = "Developer, Maintainer or Project Admin; e.g. the project's Edge-Manager group"

const who = (context: FailureContext): string =>
  context.username ? `user "${context.username}"` : 'this account'

const project = (context: FailureContext): string =>
  context.project ? `project "${context.project}"` : `registry "${context.host}"`

/** What to tell the user, by the kind of failure; shared by tool output and registry API answers. */
export const ADVICE = {
  untrusted: (c: FailureContext) =>
    `the TLS certificate of "${c.host}" is not trusted: set ca-file to the registry's CA bundle (PEM), or tls-verify: false`,
  plainHttp: (c: FailureContext) =>
    c.tool === 'docker'
      ? `the registry "${c.host}" speaks plain HTTP: add it to "insecure-registries" in the docker daemon's daemon.json, or use container-tool: podman with tls-verify: false`
      : `the registry "${c.host}" speaks plain HTTP: set tls-verify: false`,
  immutable: (c: FailureContext) =>
    `tag "${c.reference ?? ''}" is immutable in Harbor (a tag immutability rule of ${project(c)}): push a new tag instead of overwriting this one`,
  quota: (c: FailureContext) =>
    `the storage quota of ${project(c)} is exceeded: delete old artifacts or ask a Harbor administrator to raise the quota`,
  readOnlyMode: (c: FailureContext) =>
    `the registry "${c.host}" is in read-only mode (Harbor maintenance): push again when an administrator turns it off`,
  proxyCache: (c: FailureContext) =>
    `${project(c)} is a proxy-cache project, which only mirrors another registry and takes no pushes: push to a normal project`,
  proxyRefused: (c: FailureContext) =>
    `the proxy in HTTPS_PROXY / HTTP_PROXY refused the connection to "${c.host}": a 407 needs the proxy's credentials in the variable (http://user:password@proxy:port); otherwise check that the proxy allows the registry, or list the registry in NO_PROXY`,
  htmlProxy: (c: FailureContext) =>
    `something between here and "${c.host}" (a proxy or firewall) answered with an HTML page instead of the registry: check the proxy settings and that the registry is allowed`,
  missingProject: (c: FailureContext) =>
    `${project(c)} not found: Harbor does not create projects on push; check the registry path or ask for the project to be created`,
  missingOrHidden: (c: FailureContext) =>
    `${project(c)} not found or not visible to this account: Harbor does not create projects on push; check the registry path, or ask a project admin for a role that may push (${PUSH_ROLES})`,
  noRole: (c: FailureContext) =>
    `${who(c)} has no role in ${project(c)}: ask a project admin for a role that may push (${PUSH_ROLES}); a robot account must be one of this project's, with push permission`,
  noProject: (c: FailureContext) =>
    `Harbor keeps every repository in a project: "${c.reference ?? ''}" names none; give the project in registry ("${c.host}/<project>"), so that it is pushed as "<project>/${c.reference ?? ''}". Nothing was pushed.`,
  pullPolicy: (c: FailureContext) =>
    `a pull policy of ${project(c)} (content trust or vulnerability prevention) refuses to read "${c.reference ?? ''}", and ${c.tool} reads a tag that exists before it pushes over it: push a new tag, or ask a project admin to sign the artifact or exempt it`,
  loginRejected: (c: FailureContext) =>
    `login to "${c.host}" rejected for user "${c.username ?? ''}": use the CLI secret from the Harbor user profile (not the SSO password); robot account names start with robot$ (Harbor's default prefix; an administrator may set another) and name their project: robot$<project>+<name>`,
  pushDenied: (c: FailureContext) => pushDenied(c),
  unreachable: (c: FailureContext) => `"${c.host}" could not be reached or failed temporarily`,
  partialIndex: (c: FailureContext) =>
    `docker's containerd image store holds only some platforms of the multi-platform image for "${c.reference ?? ''}", and docker pushes such an image whole, as its index (harbor-push never pushes a part of one): pull or build every platform it lists into the engine (docker pull --platform <os/arch> for each), or push an image built for one platform`
} satisfies Record<string, (context: FailureContext) => string>

/**
 * Tool output and registry error patterns, most specific first. They match
 * what docker, podman, helm and Harbor print; the registry's own error codes
 * (DENIED, NAME_UNKNOWN...) appear inside that output.
 */
const RULES: Rule[] = [
  {
    test: /x509:|certificate signed by unknown authority|certificate is not valid|tls: failed to verify|SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_/i,
    advice: ADVICE.untrusted
  },
  { test: /server gave HTTP response to HTTPS client/i, advice: ADVICE.plainHttp },
  // docker's containerd image store pushes a multi-platform image as its
  // index and refuses when a platform is not local (docker/cli #4959: "missing
  // content: content digest sha256:...: not found", "not all of them are
  // available locally or available to the remote repository").
  {
    test: /missing content: content digest|not all of them are available locally/i,
    advice: ADVICE.partialIndex
  },
  {
    // Docker Hub's 429 (TOOMANYREQUESTS): a limit per account, or per IP address when anonymous
    // (a hosted runner shares its address), counted over hours: the retries rarely help.
    test: /pull rate limit/i,
    transient: true,
    advice: c =>
      c.username
        ? `Docker Hub's pull rate limit of "${c.username}" is used up: wait for it, or use an account with a higher limit`
        : `Docker Hub's pull rate limit for anonymous pulls (counted per IP address, which runners share) is used up: give "source-username" and "source-password" of a Docker Hub account (a personal access token)`
  },
  {
    // helm with no login for the registry: v3 "no basic auth credentials", v4 "basic credential not found".
    test: /no basic auth credentials|basic credential not found/i,
    advice: c =>
      c.username
        ? `helm holds no login for "${c.host}" although it logged in as "${c.username}": check that the registry is given as host[:port][/project] (the login is stored for the host)`
        : `helm holds no login for "${c.host}": no username/password were given, so the helm login already on this machine was used, and it has none for this registry; set username and password`
  },
  {
    // Flags are chosen by helm version; this is the fallback when a helm reports one it lacks.
    test: /unknown flag: --/i,
    advice: c =>
      `this ${c.tool} is too old for a flag the registry settings need: put a newer ${c.tool} on PATH, or take it off PATH so that helm-version is installed`
  },
  // Harbor's pull policies answer 412 too, on reads: never an immutable tag.
  {
    test: /PROJECTPOLICYVIOLATION|is not signed by|cannot be pulled due to configured policy|(HEAD|GET) request to \S+\/manifests\/\S+: 412/i,
    advice: ADVICE.pullPolicy
  },
  { test: /\b412\b|precondition failed|immutable/i, advice: ADVICE.immutable },
  { test: /invalid repository name/i, advice: ADVICE.noProject },
  { test: /quota|exceed the configured upper limit/i, advice: ADVICE.quota },
  { test: /read[- ]only mode|registry is in read[- ]only|READ_ONLY/i, advice: ADVICE.readOnlyMode },
  { test: /proxy[- ]cache|proxy project/i, advice: ADVICE.proxyCache },
  {
    test: /project .{0,80}not found|project .{0,40}does not exist/i,
    advice: ADVICE.missingProject
  },
  // undici's tunnel through HTTPS_PROXY refused by the proxy (407 wants credentials, 403 a rule).
  {
    test: /Proxy response \(\d+\) !== 200 when HTTP Tunneling|Proxy Authentication Required/i,
    advice: ADVICE.proxyRefused
  },
  // A corporate proxy or firewall answering with its own HTML page, not the registry.
  // (A 5xx page is left to the transient rule below: gateways recover.)
  {
    test: /error parsing HTTP [1-4]\d\d response body|HTTP [1-4]\d\d from .*<html>/i,
    advice: ADVICE.htmlProxy
  },
  {
    test: /unauthorized|invalid username\/password|incorrect username or password|authentication required|\b401\b/i,
    advice: c => (c.action === 'login' ? ADVICE.loginRejected(c) : ADVICE.pushDenied(c))
  },
  { test: /denied|insufficient_scope|forbidden|\b403\b/i, advice: ADVICE.pushDenied },
  {
    test: /connection refused|deadline exceeded|connection reset|no route to host|i\/o timeout|timed out|timeout|TLS handshake|unexpected EOF|\bEOF\b|too many requests|\b429\b|\b50[0-4]\b|service unavailable|bad gateway|gateway time|ECONNREFUSED|ECONNRESET|ETIMEDOUT|UND_ERR|socket hang up|fetch failed/i,
    transient: true,
    advice: ADVICE.unreachable
  }
]

function pushDenied(c: FailureContext): string {
  if (!c.username) {
    return `the registry refused the push to ${project(c)}: no username/password were given, so the ${c.tool} login already on this machine was used; set username and password`
  }
  return `user "${c.username}" may pull but not push to ${project(c)}: it needs a role that may push (${PUSH_ROLES})`
}

/**
 * Turns a failure (a tool's output, a registry's error answer, a network
 * error) into a PushError whose message says what to do, with the original
 * words kept as the cause. Unknown failures pass through whole.
 */
export function translateFailure(error: unknown, context: FailureContext): PushError {
  if (error instanceof PushError) return error
  // The source's words: advice about the destination would mislead.
  if (error instanceof SourceError) return new PushError(error.message, error.transient)
  const text = failureText(error)
  const rule = RULES.find(candidate => candidate.test.test(text))
  if (!rule) return new PushError(error instanceof ToolError ? error.message : text)
  return new PushError(`${rule.advice(context)} (${lastLine(text)})`, rule.transient)
}

function failureText(error: unknown): string {
  if (error instanceof ToolError) return error.stderr
  if (error instanceof RegistryError) return error.message
  // Duck-typed: fetch errors may come from another realm, where instanceof fails.
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown }
  if (message === 'fetch failed') return networkCause(error)
  if (name === 'TimeoutError') return `timeout: ${String(message)}`
  return messageOf(error)
}

/** The last non-empty line of a tool's output: usually the one that says what went wrong. */
export function lastLine(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .filter(line => line.trim() !== '')
  return (lines.at(-1) ?? '').replace(/^(Error: |error: )/, '').trim()
}
