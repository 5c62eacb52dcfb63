import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import { INPUT_NAMES, getKeepLogin, getSettings } from '../../src/runner/inputs.js'

const actionYml = fs.readFileSync(
  fileURLToPath(new URL('../../action.yml', import.meta.url)),
  'utf8'
)

/** The two-space-indented keys of a top-level section of action.yml. */
function keysOf(section: string): string[] {
  const lines = actionYml.split('\n')
  const start = lines.indexOf(`${section}:`)
  expect(start).toBeGreaterThanOrEqual(0)
  const keys: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break
    const key = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line)
    if (key) keys.push(key[1])
  }
  return keys
}

describe('action.yml', () => {
  test('INPUT_NAMES is exactly the inputs of action.yml', () => {
    const inputs = keysOf('inputs')
    expect(inputs.length).toBeGreaterThan(10)
    expect([...INPUT_NAMES].sort()).toEqual([...inputs].sort())
    expect(new Set(INPUT_NAMES).size).toBe(INPUT_NAMES.length)
  })

  test('every output of the design contract is declared (images, charts, refs, subject-checksums)', () => {
    expect(keysOf('outputs')).toEqual(
      expect.arrayContaining(['images', 'charts', 'refs', 'subject-checksums'])
    )
  })

  test('only the registry input is required', () => {
    const required = [...actionYml.matchAll(/^ {2}([a-z-]+):\n(?: {4}.*\n)*? {4}required: true$/gm)]
    expect(required.map(match => match[1])).toEqual(['registry'])
  })
})

describe('getSettings', () => {
  const USERNAME = 'robot$proj+ci'
  const PASSWORD = 'Zq9-cli-secret'
  let written: string[]

  function setInputs(inputs: Record<string, string>): void {
    for (const [name, value] of Object.entries(inputs)) {
      process.env[`INPUT_${name.toUpperCase()}`] = value
    }
  }

  beforeEach(() => {
    written = []
    jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      written.push(String(chunk))
      return true
    })
  })

  afterEach(() => {
    jest.restoreAllMocks()
    for (const key of Object.keys(process.env)) {
      if (key.startsWith('INPUT_')) delete process.env[key]
    }
  })

  const masks = (): string[] =>
    written
      .filter(line => line.startsWith('::add-mask::'))
      .map(line => line.replace(/\r?\n$/, '').slice('::add-mask::'.length))

  test('reads INPUT_<NAME> with hyphens kept', () => {
    setInputs({
      registry: 'registry-oci.example.com/proj',
      images: 'app other:v2',
      'source-tag': 'v1',
      'source-path': 'localhost/apim',
      'container-tool': 'podman',
      'destination-tag': 'v1 latest',
      'tls-verify': 'false',
      parallel: '5',
      retries: '0',
      summary: 'false'
    })
    expect(getSettings()).toMatchObject({
      registry: { host: 'registry-oci.example.com', path: 'proj' },
      images: [
        { name: 'app', tag: 'v1' },
        { name: 'other', tag: 'v2' }
      ],
      sourcePath: 'localhost/apim',
      containerTool: 'podman',
      destinationTags: ['v1', 'latest'],
      tlsVerify: false,
      parallel: 5,
      retries: 0,
      summary: false
    })
  })

  test('masks the password and the base64 user:password of the auth files', () => {
    setInputs({
      registry: 'registry-oci.example.com/proj',
      images: 'app:v1',
      username: USERNAME,
      password: `${PASSWORD}\n`
    })
    const settings = getSettings()
    expect(settings.credentials).toEqual({ username: USERNAME, password: PASSWORD })
    expect(masks()).toEqual([PASSWORD, Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')])
  })

  test('spaces around the password belong to it; only a final newline goes', () => {
    for (const [given, secret] of [
      [`  ${PASSWORD} \n`, `  ${PASSWORD} `],
      [`  ${PASSWORD}\r\n`, `  ${PASSWORD}`],
      [`\t${PASSWORD}`, `\t${PASSWORD}`]
    ]) {
      written = []
      setInputs({
        registry: 'r.example.com',
        images: 'app:v1',
        username: USERNAME,
        password: given
      })
      expect(getSettings().credentials).toEqual({ username: USERNAME, password: secret })
      // The value as given and its trimmed form are both masked (the runner may show either).
      expect(masks()).toEqual(
        expect.arrayContaining([
          secret,
          PASSWORD,
          Buffer.from(`${USERNAME}:${secret}`).toString('base64')
        ])
      )
    }
  })

  test('a password with a line break inside: an input error that never prints it', () => {
    setInputs({
      registry: 'r.example.com',
      images: 'app:v1',
      username: USERNAME,
      password: 'first-half\nsecond-half\n'
    })
    expect(() => getSettings()).toThrow(/"password" holds a line break/)
    expect(() => getSettings()).toThrow(InputError)
    // Each line is masked on its own, before the error.
    expect(masks()).toEqual(expect.arrayContaining(['first-half', 'second-half']))
  })

  test('the password is masked before anything else is printed', () => {
    setInputs({
      registry: 'https://registry-oci.example.com/proj/',
      images: 'app:v1',
      username: USERNAME,
      password: PASSWORD
    })
    getSettings()
    const firstMask = written.findIndex(line => line.startsWith('::add-mask::'))
    const firstWarning = written.findIndex(line => line.startsWith('::warning::'))
    expect(firstMask).toBe(0)
    expect(firstWarning).toBeGreaterThan(firstMask)
  })

  test('masks source-password (as given, trimmed, each line) and its base64 user:password', () => {
    const SOURCE = ' pull-secret-4Kd '
    setInputs({
      registry: 'registry-oci.example.com/release',
      images: 'docker://staging.example.com/staging/app:v1',
      'source-username': 'puller',
      'source-password': `${SOURCE}\n`
    })
    const settings = getSettings()
    expect(settings.sourceCredentials).toEqual({ username: 'puller', password: SOURCE })
    expect(masks()).toEqual(
      expect.arrayContaining([
        SOURCE,
        SOURCE.trim(),
        Buffer.from(`puller:${SOURCE}`).toString('base64')
      ])
    )
  })

  test('a source-password with a line break: an input error, each line masked first', () => {
    setInputs({
      registry: 'r.example.com',
      images: 'docker://s.example.com/s/app:v1',
      'source-username': 'puller',
      'source-password': 'first-part\nsecond-part'
    })
    expect(() => getSettings()).toThrow(/"source-password" holds a line break/)
    expect(masks()).toEqual(expect.arrayContaining(['first-part', 'second-part']))
  })

  test('a login written into a docker:// entry is masked before the input error', () => {
    setInputs({
      registry: 'r.example.com',
      images: 'app=docker://ci:entry-pw-9@s.example.com/s/app:v1'
    })
    expect(() => getSettings()).toThrow(/carries a user name and password/)
    expect(masks()).toContain('entry-pw-9')
  })

  test('no credentials, nothing to mask', () => {
    setInputs({ registry: 'registry-oci.example.com/proj', images: 'app:v1' })
    expect(getSettings().credentials).toBeUndefined()
    expect(masks()).toEqual([])
  })

  test.each([
    [
      'a password without a username',
      { password: PASSWORD },
      /"password" is set but "username" is empty/
    ],
    [
      'a bad retries value',
      { username: USERNAME, password: PASSWORD, retries: 'many' },
      /retries "many"/
    ],
    ['a bad tag', { username: USERNAME, password: PASSWORD, images: 'app:-x' }, /not a valid tag/]
  ])('%s is an InputError without the password, masked anyway', (_label, extra, pattern) => {
    setInputs({ registry: 'registry-oci.example.com/proj', images: 'app:v1', ...extra })
    let error: unknown
    try {
      getSettings()
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toMatch(pattern)
    expect((error as Error).message).not.toContain(PASSWORD)
    expect(masks()).toContain(PASSWORD)
  })
})

describe('getKeepLogin', () => {
  afterEach(() => {
    delete process.env['INPUT_KEEP-LOGIN']
  })

  test.each([
    ['', false],
    ['false', false],
    ['true', true],
    ['True', true]
  ])('keep-login "%s" is %s', (value, expected) => {
    process.env['INPUT_KEEP-LOGIN'] = value
    expect(getKeepLogin()).toBe(expected)
  })

  test('anything else is an InputError naming the value', () => {
    process.env['INPUT_KEEP-LOGIN'] = 'yes'
    expect(() => getKeepLogin()).toThrow(InputError)
    expect(() => getKeepLogin()).toThrow('keep-login "yes" is not a boolean; use true or false')
  })
})
