/**
 * The command's reading of GitLab's Harbor integration variables: what they
 * fill in, what wins over them, and the errors when only some are set. The
 * command end to end with them is in cli.test.ts ("GitLab's Harbor
 * variables") and integration/other-cis.test.ts.
 */
import { describe, expect, test } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import { withHarborVariables } from '../../src/cli/harbor-variables.js'
import type { RawInputs } from '../../src/settings/parse.js'

const HOST = 'registry-oci.example.com'
const PROJECT = 'catalog-apps-org-proj'
const USER = 'robot$catalog-apps-org-proj+gitlab'
const SECRET = 'gitlab-Secret-9Zq'

/** Runs withHarborVariables with a log that keeps its lines. */
function read(
  inputs: RawInputs,
  env: Record<string, string>,
  passwordStdin = false
): { inputs: RawInputs; info: string[]; warnings: string[] } {
  const info: string[] = []
  const warnings: string[] = []
  const result = withHarborVariables(
    inputs,
    env,
    { info: message => info.push(message), warning: message => warnings.push(message) },
    { passwordStdin }
  )
  return { inputs: result, info, warnings }
}

function errorOf(inputs: RawInputs, env: Record<string, string>): string {
  try {
    read(inputs, env)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return (error as Error).message
  }
  throw new Error('no error was thrown')
}

const ALL = {
  HARBOR_HOST: HOST,
  HARBOR_PROJECT: PROJECT,
  HARBOR_USERNAME: USER,
  HARBOR_PASSWORD: SECRET
}

describe('where no flag is given', () => {
  test('HARBOR_HOST and HARBOR_PROJECT make the registry, HARBOR_USERNAME the user; one line says so', () => {
    const ran = read({ images: 'a:v1', password: SECRET }, ALL)
    expect(ran.inputs).toEqual({
      images: 'a:v1',
      password: SECRET,
      registry: `${HOST}/${PROJECT}`,
      username: USER
    })
    expect(ran.info).toEqual([
      `From the Harbor variables: registry ${HOST}/${PROJECT} (HARBOR_HOST, HARBOR_PROJECT); username ${USER} (HARBOR_USERNAME)`
    ])
    expect(ran.warnings).toEqual([])
  })

  test('no variables: the inputs as they were, and nothing said', () => {
    const ran = read({ images: 'a:v1' }, { HOME: '/root' })
    expect(ran).toEqual({ inputs: { images: 'a:v1' }, info: [], warnings: [] })
  })

  test('variables that are empty or blank count as not set', () => {
    const blank = { HARBOR_HOST: ' ', HARBOR_PROJECT: '', HARBOR_USERNAME: '\t' }
    expect(read({ images: 'a:v1' }, blank)).toEqual({
      inputs: { images: 'a:v1' },
      info: [],
      warnings: []
    })
  })

  test('values are trimmed; slashes around the project are dropped', () => {
    const ran = read(
      { password: SECRET },
      { HARBOR_HOST: ` ${HOST} `, HARBOR_PROJECT: `/${PROJECT}/\n`, HARBOR_USERNAME: ` ${USER} ` }
    )
    expect(ran.inputs).toMatchObject({ registry: `${HOST}/${PROJECT}`, username: USER })
  })

  test.each([
    ['https://', `https://${HOST}`],
    ['http://', `http://${HOST}:8080`],
    ['oci://', `oci://${HOST}`]
  ])(
    'a HARBOR_HOST with %s: the scheme is dropped, with the registry input warning',
    (scheme, value) => {
      const ran = read({}, { HARBOR_HOST: value, HARBOR_PROJECT: PROJECT })
      expect(ran.inputs.registry).toBe(`${value.slice(scheme.length)}/${PROJECT}`)
      expect(ran.warnings).toEqual([
        `HARBOR_HOST: registry "${value}": dropped the scheme "${scheme}"; registries are given as host[:port][/path]`
      ])
    }
  )

  test('a HARBOR_HOST URL with a trailing slash: both dropped, each with its warning', () => {
    const ran = read({}, { HARBOR_HOST: `https://${HOST}/`, HARBOR_PROJECT: PROJECT })
    expect(ran.inputs.registry).toBe(`${HOST}/${PROJECT}`)
    expect(ran.warnings).toEqual([
      `HARBOR_HOST: registry "https://${HOST}/": dropped the scheme "https://"; registries are given as host[:port][/path]`,
      `HARBOR_HOST: registry "https://${HOST}/": dropped the trailing "/" (it would make "//" in image names)`
    ])
  })
})

describe('flags win', () => {
  test('-r: HARBOR_HOST and HARBOR_PROJECT are not used, and a line says so', () => {
    const ran = read({ registry: 'other.example.com/team', password: SECRET }, ALL)
    expect(ran.inputs.registry).toBe('other.example.com/team')
    expect(ran.info).toEqual([
      '-r/--registry was given: HARBOR_HOST and HARBOR_PROJECT are not used',
      `From the Harbor variables: username ${USER} (HARBOR_USERNAME)`
    ])
  })

  test('-r given, and HARBOR_HOST without HARBOR_PROJECT: no error, the flag is used', () => {
    const ran = read({ registry: `${HOST}/team` }, { HARBOR_HOST: HOST })
    expect(ran.inputs).toEqual({ registry: `${HOST}/team` })
  })

  test('-u with --password-stdin: HARBOR_USERNAME is not used, and no warning', () => {
    const ran = read({ username: 'someone', password: 'piped-secret' }, ALL, true)
    expect(ran.inputs.username).toBe('someone')
    expect(ran.warnings).toEqual([])
  })

  test('-u of another user with the secret from HARBOR_PASSWORD: a warning (that secret is HARBOR_USERNAME’s)', () => {
    const ran = read({ username: 'someone', password: SECRET }, ALL)
    expect(ran.inputs.username).toBe('someone')
    expect(ran.warnings).toEqual([
      `-u/--username "someone" is used with HARBOR_PASSWORD, which belongs to HARBOR_USERNAME "${USER}"; if the login is rejected, pipe that user's secret to --password-stdin, or leave out -u`
    ])
    expect(ran.warnings.join('\n')).not.toContain(SECRET)
  })

  test('-u of the same user as HARBOR_USERNAME: no warning', () => {
    expect(read({ username: USER, password: SECRET }, ALL).warnings).toEqual([])
  })
})

describe('only some set: an error naming the variable and the fix', () => {
  test.each<[string, RawInputs, Record<string, string>, string]>([
    [
      'HARBOR_HOST without HARBOR_PROJECT',
      {},
      { HARBOR_HOST: HOST },
      `HARBOR_HOST "${HOST}" is set but HARBOR_PROJECT is empty: set HARBOR_PROJECT to the Harbor project to push to (GitLab's Harbor integration, or set them yourself), or give the registry as -r <host>/<project>`
    ],
    [
      'HARBOR_PROJECT without HARBOR_HOST',
      {},
      { HARBOR_PROJECT: PROJECT },
      `HARBOR_PROJECT "${PROJECT}" is set but HARBOR_HOST is empty: set HARBOR_HOST to the Harbor host (e.g. registry-oci.example.com; GitLab's Harbor integration, or set them yourself), or give the registry as -r <host>/${PROJECT}`
    ],
    [
      'HARBOR_USERNAME without a secret',
      {},
      { HARBOR_USERNAME: USER },
      `HARBOR_USERNAME "${USER}" is set but there is no secret: set HARBOR_PASSWORD too (GitLab's Harbor integration, or set them yourself), or pipe the secret to --password-stdin`
    ],
    [
      'a HARBOR_HOST that is not a host',
      {},
      { HARBOR_HOST: 'harbor example', HARBOR_PROJECT: PROJECT },
      `HARBOR_HOST: registry "harbor example": "harbor example" is not a valid host[:port]; give e.g. registry-oci.example.com or 127.0.0.1:5000`
    ],
    [
      'a HARBOR_HOST with an unknown scheme',
      {},
      { HARBOR_HOST: `ftp://${HOST}`, HARBOR_PROJECT: PROJECT },
      `HARBOR_HOST: registry "ftp://${HOST}" starts with an unknown scheme "ftp://"; give host[:port][/path] without a scheme`
    ]
  ])('%s', (_label, inputs, env, message) => {
    expect(errorOf(inputs, env)).toBe(message)
  })

  test('a HARBOR_HOST URL carrying a login is refused without showing it', () => {
    const message = errorOf(
      {},
      { HARBOR_HOST: `https://${USER}:${SECRET}@${HOST}`, HARBOR_PROJECT: PROJECT }
    )
    expect(message).toMatch(/^HARBOR_HOST: registry "https:\/\/\*\*\*@registry-oci\.example\.com"/)
    expect(message).not.toContain(SECRET)
  })
})
