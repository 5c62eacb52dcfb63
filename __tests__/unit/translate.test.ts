import { describe, expect, test } from '@jest/globals'
import { PushError } from '../../src/errors.js'
import { RegistryError, errorDetail } from '../../src/registry/errors.js'
import { type FailureContext, translateFailure } from '../../src/push/translate.js'
import { toolError } from './fake-runner.js'

const HOST = 'registry-oci.example.com'

const login: FailureContext = {
  action: 'login',
  tool: 'podman',
  host: HOST,
  project: 'proj',
  username: 'robot$proj+ci'
}
const push: FailureContext = { ...login, action: 'push', reference: `${HOST}/proj/app:v1` }
const dockerLogin: FailureContext = { ...login, tool: 'docker' }
const dockerPush: FailureContext = { ...push, tool: 'docker' }

function translate(stderr: string, context: FailureContext): PushError {
  return translateFailure(toolError(context.tool, [context.action, HOST], stderr), context)
}

// Advice classes, as a user reads them.
const REJECTED =
  /^login to "registry-oci\.example\.com" rejected for user "robot\$proj\+ci": use the CLI secret from the Harbor user profile \(not the SSO password\); robot account names start with robot\$/
const READ_ONLY =
  /^user "robot\$proj\+ci" may pull but not push to project "proj": it needs a role that may push \(Developer, Maintainer or Project Admin; e\.g\. the project's Edge-Manager group\)/
const NO_PROJECT = /^project "proj" not found: Harbor does not create projects on push/
const UNTRUSTED =
  /^the TLS certificate of "registry-oci\.example\.com" is not trusted: set ca-file to the registry's CA bundle \(PEM\), or tls-verify: false/
const PLAIN_HTTP_PODMAN =
  /^the registry "registry-oci\.example\.com" speaks plain HTTP: set tls-verify: false/
const PLAIN_HTTP_DOCKER =
  /^the registry "registry-oci\.example\.com" speaks plain HTTP: add it to "insecure-registries" in the docker daemon's daemon\.json/
const IMMUTABLE =
  /^tag "registry-oci\.example\.com\/proj\/app:v1" is immutable in Harbor .*: push a new tag/
const QUOTA = /^the storage quota of project "proj" is exceeded/
const MAINTENANCE = /^the registry "registry-oci\.example\.com" is in read-only mode/
const PROXY_HTML =
  /^something between here and "registry-oci\.example\.com" \(a proxy or firewall\) answered with an HTML page/
const PROXY_CACHE = /^project "proj" is a proxy-cache project, .*takes no pushes/
const UNREACHABLE = /^"registry-oci\.example\.com" could not be reached or failed temporarily/
const PARTIAL_INDEX =
  /^docker's containerd image store holds only some platforms of the multi-platform image for "registry-oci\.example\.com\/proj\/app:v1", and docker pushes such an image whole, as its index .*docker pull --platform/

describe('recorded tool output', () => {
  test.each([
    // docker 25 with the containerd image store (docker/cli #4959), one platform of two pulled
    [
      'docker push, containerd store, a platform missing locally',
      dockerPush,
      `The push refers to repository [${HOST}/proj/app]\nmissing content: content digest sha256:165029e1484c36a25c0d8df3be27b9145bd944a0b1fce6543dfb119d9b0c73c5: not found\nNote: You're trying to push a manifest list/index which references multiple platform specific manifests, but not all of them are available locally or available to the remote repository.\nMake sure you have all the referenced content and try again.\n`,
      PARTIAL_INDEX,
      false
    ],
    // podman 4
    [
      'podman login, wrong secret',
      login,
      `Error: logging into "${HOST}": invalid username/password\n`,
      REJECTED,
      false
    ],
    [
      'podman login, bearer realm refuses',
      login,
      `Error: logging into "${HOST}": unable to retrieve auth token: invalid username/password: unauthorized: authentication required`,
      REJECTED,
      false
    ],
    [
      'podman login, self-signed',
      login,
      `Error: authenticating creds for "${HOST}": pinging container registry ${HOST}: Get "https://${HOST}/v2/": x509: certificate signed by unknown authority`,
      UNTRUSTED,
      false
    ],
    [
      'podman login, HTTP registry',
      login,
      `Error: authenticating creds for "${HOST}": pinging container registry ${HOST}: Get "https://${HOST}/v2/": http: server gave HTTP response to HTTPS client`,
      PLAIN_HTTP_PODMAN,
      false
    ],
    [
      'podman login, refused',
      login,
      `Error: authenticating creds for "${HOST}": pinging container registry ${HOST}: Get "https://${HOST}/v2/": dial tcp 10.0.0.5:443: connect: connection refused`,
      UNREACHABLE,
      true
    ],
    [
      'podman push, read-only',
      push,
      'Error: writing blob: initiating layer upload to /v2/proj/app/blobs/uploads/ in registry-oci.example.com: requested access to the resource is denied',
      READ_ONLY,
      false
    ],
    [
      'podman push, 412',
      push,
      `Error: writing manifest: uploading manifest v1 to ${HOST}/proj/app: received unexpected HTTP status: 412 Precondition Failed`,
      IMMUTABLE,
      false
    ],
    [
      'podman push, x509',
      push,
      `Error: trying to reuse blob sha256:${'ab'.repeat(32)} at destination: pinging container registry ${HOST}: Get "https://${HOST}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
      UNTRUSTED,
      false
    ],
    [
      'podman push, reset',
      push,
      `Error: writing blob: uploading layer chunked: Patch "https://${HOST}/v2/proj/app/blobs/uploads/x": read tcp 10.0.0.2:51234->10.0.0.5:443: read: connection reset by peer`,
      UNREACHABLE,
      true
    ],
    [
      'podman push, EOF',
      push,
      `Error: writing blob: uploading layer chunked: Patch "https://${HOST}/v2/proj/app/blobs/uploads/x": EOF`,
      UNREACHABLE,
      true
    ],
    // docker 20+
    [
      'docker login, wrong secret',
      dockerLogin,
      `Error response from daemon: Get "https://${HOST}/v2/": unauthorized: incorrect username or password\n`,
      REJECTED,
      false
    ],
    [
      'docker login, 503',
      dockerLogin,
      `Error response from daemon: Get "https://${HOST}/v2/": received unexpected HTTP status: 503 Service Unavailable`,
      UNREACHABLE,
      true
    ],
    [
      'docker login, timeout',
      dockerLogin,
      `Error response from daemon: Get "https://${HOST}/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`,
      UNREACHABLE,
      true
    ],
    [
      'docker login, HTTP registry',
      dockerLogin,
      `Error response from daemon: Get "https://${HOST}/v2/": http: server gave HTTP response to HTTPS client`,
      PLAIN_HTTP_DOCKER,
      false
    ],
    [
      'docker push, read-only',
      dockerPush,
      'denied: requested access to the resource is denied',
      READ_ONLY,
      false
    ],
    [
      'docker push, Harbor unauthorized to push',
      dockerPush,
      'unauthorized: unauthorized to access repository: proj/app, action: push: unauthorized to access repository: proj/app, action: push',
      READ_ONLY,
      false
    ],
    [
      'docker push, no project',
      dockerPush,
      'unauthorized: project foo not found: project foo not found',
      NO_PROJECT,
      false
    ],
    [
      'docker push, x509',
      dockerPush,
      `Get "https://${HOST}/v2/": x509: certificate signed by unknown authority`,
      UNTRUSTED,
      false
    ],
    [
      'docker push, immutable',
      dockerPush,
      "unknown: Failed to process request due to 'app:v1' configured as immutable.",
      IMMUTABLE,
      false
    ],
    [
      'docker push, quota',
      dockerPush,
      'denied: Quota exceeded when processing the request of adding 1.2 MiB of storage resource, which when updated to current usage of 9.5 MiB will exceed the configured upper limit of 10.0 MiB.',
      QUOTA,
      false
    ],
    [
      'docker push, read-only mode',
      dockerPush,
      'denied: The system is in read only mode. Any modification is prohibited.',
      MAINTENANCE,
      false
    ],
    [
      'podman push, read-only mode',
      push,
      'Error: writing manifest: the registry is in read only mode',
      MAINTENANCE,
      false
    ],
    [
      'docker push, 502',
      dockerPush,
      'received unexpected HTTP status: 502 Bad Gateway',
      UNREACHABLE,
      true
    ],
    [
      'docker push, 429',
      dockerPush,
      'received unexpected HTTP status: 429 Too Many Requests',
      UNREACHABLE,
      true
    ],
    [
      'docker push, TLS handshake',
      dockerPush,
      `Get "https://${HOST}/v2/": net/http: TLS handshake timeout`,
      UNREACHABLE,
      true
    ],
    [
      'docker push, HTML 403 from a proxy',
      dockerPush,
      'error parsing HTTP 403 response body: invalid character \'<\' looking for beginning of value: "<html>\\r\\n<head><title>403 Forbidden</title></head>\\r\\n<body>\\r\\n<center><h1>403 Forbidden</h1></center>\\r\\n<hr><center>nginx</center>\\r\\n</body>\\r\\n</html>\\r\\n"',
      PROXY_HTML,
      false
    ],
    [
      'Harbor v2 quota',
      dockerPush,
      'denied: adding 1.2 MiB of storage resource, which when updated to current usage of 9.5 MiB will exceed the configured upper limit of 10.0 MiB.',
      QUOTA,
      false
    ],
    [
      'Harbor proxy project',
      dockerPush,
      'denied: can not push artifact to a proxy project: dockerhub',
      PROXY_CACHE,
      false
    ],
    [
      'context deadline',
      dockerLogin,
      `Error response from daemon: Get "https://${HOST}/v2/": context deadline exceeded`,
      UNREACHABLE,
      true
    ]
  ])('%s', (_label, context, stderr, advice, transient) => {
    const failure = translate(stderr, context)
    expect(failure).toBeInstanceOf(PushError)
    expect(failure.message).toMatch(advice)
    expect(failure.transient).toBe(transient)
  })
})

describe('wording', () => {
  const stderr = 'unauthorized: authentication required'

  test('the same 401 is a rejected login at login and a missing push right at push', () => {
    expect(translate(stderr, login).message).toMatch(REJECTED)
    expect(translate(stderr, push).message).toMatch(READ_ONLY)
    expect(translate(stderr, push).message).not.toMatch(/SSO password/)
  })

  test('without credentials the advice is to set username and password', () => {
    const message = translate('denied: requested access to the resource is denied', {
      ...push,
      username: undefined
    }).message
    expect(message).toMatch(
      /^the registry refused the push to project "proj": no username\/password were given, so the podman login already on this machine was used; set username and password/
    )
    expect(message).not.toMatch(/Edge-Manager/)
  })

  test('a destination with no project names the registry instead', () => {
    expect(
      translate('denied: requested access to the resource is denied', { ...push, project: '' })
        .message
    ).toMatch(/may pull but not push to registry "registry-oci\.example\.com"/)
  })

  test("the tool's last line is kept as the cause, without its Error: prefix", () => {
    const message = translate(
      `Getting image source signatures\nCopying blob 5f70bf18a086 done\nError: logging into "${HOST}": invalid username/password\n\n`,
      login
    ).message
    expect(message).toMatch(
      /\(logging into "registry-oci\.example\.com": invalid username\/password\)$/
    )
  })

  test('unknown failures pass through whole and are not retried', () => {
    const error = toolError(
      'podman',
      ['push', 'a', 'b'],
      'Error: something nobody has seen before\n'
    )
    const failure = translateFailure(error, push)
    expect(failure.message).toBe(error.message)
    expect(failure.message).toBe(
      '"podman push a b" failed (exit 125): Error: something nobody has seen before'
    )
    expect(failure.transient).toBe(false)
  })

  test('a PushError is returned as it is', () => {
    const original = new PushError('already translated', true)
    expect(translateFailure(original, push)).toBe(original)
  })

  test('anything else keeps its message', () => {
    const failure = translateFailure(new Error('ENOENT: no such file, open digest-1'), push)
    expect(failure).toBeInstanceOf(PushError)
    expect(failure.message).toBe('ENOENT: no such file, open digest-1')
    expect(failure.transient).toBe(false)
  })
})

describe('helm', () => {
  const helmLogin: FailureContext = { ...login, tool: 'helm' }
  const helmPush: FailureContext = {
    ...push,
    tool: 'helm',
    reference: `oci://${HOST}/proj/app:1.0.0`
  }

  // What helm v3.17.3 and v4.1.4 print, captured against the test registry.
  test.each<[string, string, FailureContext, RegExp, boolean]>([
    [
      'v3 wrong secret',
      'Error: login attempt to http://127.0.0.1:5099/v2/ failed with status: 401 Unauthorized',
      helmLogin,
      REJECTED,
      false
    ],
    [
      'v4 wrong secret',
      'Error: authenticating to "127.0.0.1:5099": GET "http://127.0.0.1:5099/v2/": response status code 401: unauthorized: authentication required',
      helmLogin,
      REJECTED,
      false
    ],
    [
      'v4 plain HTTP without --plain-http',
      'Error: failed to perform "Exists" on destination: Head "https://h/v2/p/app/manifests/sha256:ab": http: server gave HTTP response to HTTPS client',
      helmPush,
      PLAIN_HTTP_PODMAN,
      false
    ],
    [
      'an untrusted certificate',
      'Error: Get "https://127.0.0.1:5443/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority',
      helmLogin,
      UNTRUSTED,
      false
    ],
    [
      'an immutable chart version',
      'Error: failed to push: PUT "https://h/v2/proj/app/manifests/1.0.0": response status code 412: Precondition Failed',
      helmPush,
      /^tag "oci:\/\/registry-oci\.example\.com\/proj\/app:1\.0\.0" is immutable in Harbor/,
      false
    ],
    [
      'a read-only account',
      'Error: failed to push: POST "https://h/v2/proj/app/blobs/uploads/": response status code 403: denied: requested access to the resource is denied',
      helmPush,
      READ_ONLY,
      false
    ]
  ])('%s', (_label, stderr, context, advice, transient) => {
    const failure = translate(stderr, context)
    expect(failure.message).toMatch(advice)
    expect(failure.transient).toBe(transient)
  })

  test.each([
    'Error: push access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials',
    'Error: failed to perform "Exists" on destination: HEAD "http://h/v2/p/app/manifests/sha256:ab": basic credential not found'
  ])('no helm login for the registry: %s', stderr => {
    expect(translate(stderr, helmPush).message).toMatch(
      /^helm holds no login for "registry-oci\.example\.com" although it logged in as "robot\$proj\+ci"/
    )
    expect(translate(stderr, { ...helmPush, username: undefined }).message).toMatch(
      /^helm holds no login for "registry-oci\.example\.com": no username\/password were given, so the helm login already on this machine was used, and it has none for this registry; set username and password/
    )
  })

  test('a helm without a flag it was given', () => {
    expect(translate('Error: unknown flag: --plain-http', helmLogin).message).toBe(
      'this helm is too old for a flag the registry settings need: put a newer helm on PATH, or take it off PATH so that helm-version is installed (unknown flag: --plain-http)'
    )
  })
})

/**
 * Harbor's own answers, byte for byte as its source builds them
 * (lib/http/error.go SendError: `{"errors":[{code, message}]}`, message and
 * cause joined by lib/errors), as the registry client reports them.
 */
describe("Harbor's error bodies", () => {
  const answer = (status: number, code: string, message: string): RegistryError =>
    new RegistryError(
      status,
      errorDetail(`${JSON.stringify({ errors: [{ code, message }] })}\n`),
      `https://${HOST}/v2/proj/app/manifests/v1`
    )
  const POLICY =
    /^a pull policy of project "proj" \(content trust or vulnerability prevention\) refuses to read "registry-oci\.example\.com\/proj\/app:v1"/

  test.each<[string, RegistryError, RegExp]>([
    [
      'content trust, cosign (contenttrust/contentrust.go)',
      answer(412, 'PROJECTPOLICYVIOLATION', 'The image is not signed by cosign.'),
      POLICY
    ],
    [
      'content trust, notation',
      answer(412, 'PROJECTPOLICYVIOLATION', 'The image is not signed by notation.'),
      POLICY
    ],
    [
      'vulnerability prevention (vulnerable/vulnerable.go)',
      answer(
        412,
        'PROJECTPOLICYVIOLATION',
        `current image with 2 vulnerabilities cannot be pulled due to configured policy in 'Prevent images with vulnerability severity of "High" or higher from running.' To continue with pull, please contact your project administrator to exempt matched vulnerabilities through configuring the CVE allowlist.`
      ),
      POLICY
    ],
    [
      'an immutable tag (immutable/error.go)',
      answer(
        412,
        'PRECONDITION',
        "Failed to process request due to 'app:v1' configured as immutable."
      ),
      IMMUTABLE
    ],
    [
      'quota (controller/quota, pkg/quota/errors.go)',
      answer(
        403,
        'DENIED',
        'Quota exceeded when processing the request of adding 1.5 MiB of storage resource, which when updated to current usage of 10 MiB will exceed the configured upper limit of 10 MiB.: adding 1.5 MiB of storage resource, which when updated to current usage of 10 MiB will exceed the configured upper limit of 10 MiB.'
      ),
      QUOTA
    ],
    [
      'read-only mode (readonly/readonly.go)',
      answer(403, 'DENIED', 'The system is in read only mode. Any modification is prohibited.'),
      MAINTENANCE
    ],
    [
      'a proxy-cache project (repoproxy/proxy.go)',
      answer(403, 'DENIED', 'denied: can not push artifact to a proxy project: proj'),
      PROXY_CACHE
    ],
    [
      'a one-segment repository (artifactinfo/artifact_info.go)',
      answer(400, 'BAD_REQUEST', 'bad request: invalid repository name: app'),
      /^Harbor keeps every repository in a project/
    ],
    [
      'no push right (v2auth/auth.go)',
      answer(
        401,
        'UNAUTHORIZED',
        'unauthorized to access repository: proj/app, action: push: unauthorized to access repository: proj/app, action: push'
      ),
      READ_ONLY
    ]
  ])('%s', (_label, error, advice) => {
    const failure = translateFailure(error, push)
    expect(failure.message).toMatch(advice)
    expect(failure.message).not.toMatch(advice === IMMUTABLE ? /^$/ : /immutable/)
  })
})

test('a proxy that refuses the tunnel says which variable and what a 407 wants', () => {
  const failure = translateFailure(
    new Error('Proxy response (407) !== 200 when HTTP Tunneling'),
    login
  )
  expect(failure.message).toMatch(
    /^the proxy in HTTPS_PROXY \/ HTTP_PROXY refused the connection to "registry-oci\.example\.com": a 407 needs the proxy's credentials/
  )
  expect(failure.transient).toBe(false)
})

describe("Docker Hub's pull rate limit", () => {
  const limit = new RegistryError(
    429,
    'TOOMANYREQUESTS: You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit',
    'https://registry-1.docker.io/v2/library/alpine/manifests/3.20'
  )
  const context = {
    action: 'login' as const,
    tool: 'harbor-push',
    host: 'docker.io',
    project: 'library'
  }

  test('anonymous: give a Docker Hub login as the source login; still a transient failure', () => {
    const failure = translateFailure(limit, context)
    expect(failure.message).toMatch(
      /^Docker Hub's pull rate limit for anonymous pulls .* is used up: give "source-username" and "source-password" of a Docker Hub account/
    )
    expect(failure.message).toContain('TOOMANYREQUESTS')
    expect(failure.transient).toBe(true)
  })

  test('with a login: that account’s limit', () => {
    expect(translateFailure(limit, { ...context, username: 'hubuser' }).message).toMatch(
      /^Docker Hub's pull rate limit of "hubuser" is used up/
    )
  })
})
