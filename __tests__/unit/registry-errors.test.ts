import { describe, expect, test } from '@jest/globals'
import { parseChallenge } from '../../src/registry/client.js'
import { RegistryError, errorDetail } from '../../src/registry/errors.js'
import { type FailureContext, translateFailure } from '../../src/push/translate.js'

const HOST = 'registry-oci.example.com'
const context: FailureContext = {
  action: 'push',
  tool: 'podman',
  host: HOST,
  project: 'proj',
  username: 'robot$proj+ci',
  reference: `${HOST}/proj/app:v1`
}

/** A registry error as the client raises it from a recorded answer. */
function answer(status: number, body: string): RegistryError {
  return new RegistryError(status, errorDetail(body), `https://${HOST}/v2/proj/app/manifests/v1`)
}

describe('registry error bodies, recorded from Harbor and the distribution registry', () => {
  test.each([
    [
      'immutable tag (412)',
      412,
      `{"errors":[{"code":"PRECONDITION","message":"Failed to process request due to 'app:v1' configured as immutable."}]}`,
      /^tag "registry-oci\.example\.com\/proj\/app:v1" is immutable in Harbor/,
      false
    ],
    [
      'quota',
      403,
      '{"errors":[{"code":"DENIED","message":"adding 1.2 MiB of storage resource, which when updated to current usage of 9.5 MiB will exceed the configured upper limit of 10.0 MiB."}]}',
      /^the storage quota of project "proj" is exceeded/,
      false
    ],
    [
      'read-only mode',
      503,
      '{"errors":[{"code":"DENIED","message":"The system is in read only mode. Any modification is prohibited."}]}',
      /^the registry "registry-oci\.example\.com" is in read-only mode/,
      false
    ],
    [
      'proxy-cache project',
      403,
      '{"errors":[{"code":"DENIED","message":"can not push artifact to a proxy project: dockerhub"}]}',
      /^project "proj" is a proxy-cache project/,
      false
    ],
    [
      'HTML 403 from a proxy',
      403,
      '<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><hr>nginx</body></html>',
      /^something between here and "registry-oci\.example\.com" \(a proxy or firewall\) answered with an HTML page/,
      false
    ],
    [
      'read-only account',
      403,
      '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}',
      /^user "robot\$proj\+ci" may pull but not push to project "proj"/,
      false
    ],
    [
      'missing project',
      404,
      '{"errors":[{"code":"NOT_FOUND","message":"project proj not found"}]}',
      /^project "proj" not found: Harbor does not create projects on push/,
      false
    ],
    [
      'unauthorized',
      401,
      '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
      /^user "robot\$proj\+ci" may pull but not push/,
      false
    ],
    [
      'too many requests',
      429,
      '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
      /could not be reached or failed temporarily/,
      true
    ],
    [
      'bad gateway page from a proxy: gateways recover',
      502,
      '<html><title>502 Bad Gateway</title></html>',
      /could not be reached or failed temporarily/,
      true
    ],
    ['service unavailable', 503, '', /could not be reached or failed temporarily/, true]
  ])('%s', (_label, status, body, advice, transient) => {
    const failure = translateFailure(answer(status, body), context)
    expect(failure.message).toMatch(advice)
    expect(failure.transient).toBe(transient)
  })

  test('an unknown answer passes through whole, with status and URL', () => {
    const failure = translateFailure(
      answer(418, '{"errors":[{"code":"TEAPOT","message":"short and stout"}]}'),
      context
    )
    expect(failure.message).toBe(
      `HTTP 418 from https://${HOST}/v2/proj/app/manifests/v1: TEAPOT: short and stout`
    )
  })
})

describe('network failures', () => {
  const fetchFailure = (code: string, message: string): Error =>
    new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) })

  test.each([
    [
      'self-signed certificate',
      fetchFailure('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
      /not trusted: set ca-file/,
      false
    ],
    [
      'unknown authority',
      fetchFailure('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'),
      /not trusted: set ca-file/,
      false
    ],
    [
      'connection refused',
      fetchFailure('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5000'),
      /could not be reached/,
      true
    ],
    [
      'connection reset',
      fetchFailure('ECONNRESET', 'socket hang up'),
      /could not be reached/,
      true
    ],
    [
      'timeout',
      Object.assign(new Error('The operation was aborted due to timeout'), {
        name: 'TimeoutError'
      }),
      /could not be reached/,
      true
    ]
  ])('%s', (_label, error, advice, transient) => {
    const failure = translateFailure(error, context)
    expect(failure.message).toMatch(advice)
    expect(failure.transient).toBe(transient)
  })
})

describe('errorDetail and challenges', () => {
  test.each([
    [
      '{"errors":[{"code":"DENIED","message":"no"},{"code":"X","message":"y"}]}',
      'DENIED: no; X: y'
    ],
    ['<html><head><title> 403 Forbidden </title></head></html>', '<html> 403 Forbidden'],
    ['plain words', 'plain words'],
    ['', '']
  ])('%j -> %j', (body, detail) => {
    expect(errorDetail(body)).toBe(detail)
  })

  test.each([
    [
      '{"errors":[{"code":"UNAUTHORIZED","message":"rejected header Basic cmVhZGVyOnNvdXJjZS1zZWNyZXQ="}]}',
      'UNAUTHORIZED: rejected header Basic ***'
    ],
    [
      '<html><title>401: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl was refused</title></html>',
      '<html> 401: Bearer *** was refused'
    ],
    [
      'debug proxy: authorization: basic cmVhZGVyOnNvdXJjZS1zZWNyZXQ',
      'debug proxy: authorization: basic ***'
    ],
    [`${'x'.repeat(180)} Basic cmVhZGVyOnNvdXJjZS1zZWNyZXQ=`, `${'x'.repeat(180)} Basic ***`]
  ])('credentials a registry or proxy echoes back are not repeated: %j', (body, detail) => {
    // The action masks the password and its base64 form whole, but not a
    // bearer token, nor a base64 form cut short by the clipping below.
    expect(errorDetail(body)).toBe(detail)
  })

  test.each([
    [
      'a hundred long errors',
      JSON.stringify({
        errors: Array.from({ length: 100 }, () => ({ code: 'DENIED', message: 'x'.repeat(500) }))
      }),
      `DENIED: ${'x'.repeat(291)}…`
    ],
    [
      'a long HTML title',
      `<html><title>${'t'.repeat(50_000)}</title></html>`,
      `<html> ${'t'.repeat(292)}…`
    ]
  ])(
    '%s from a hostile or broken registry stay one short line in the message',
    (_what, body, detail) => {
      // A registry's words go into the step's error, its log and summary: 300 characters say what it meant.
      expect(errorDetail(body)).toBe(detail)
    }
  )

  test.each([
    [
      'Bearer realm="https://h/service/token",service="harbor-registry",scope="repository:p/a:pull"',
      { scheme: 'bearer', realm: 'https://h/service/token', service: 'harbor-registry' }
    ],
    ['Basic realm="basic-realm"', { scheme: 'basic', realm: 'basic-realm' }]
  ])('%s', (header, challenge) => {
    expect(parseChallenge(header)).toEqual(challenge)
  })
})
