import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, jest, test } from '@jest/globals'
import { parse } from 'yaml'
import { InputError } from '../../src/errors.js'
import { getSettings } from '../../src/runner/inputs.js'
import {
  DEFAULTS_KEYS,
  parseDefaultsFile,
  readDefaultsFile
} from '../../src/settings/defaults-file.js'
import { applyDefaultsFile, loadSettings } from '../../src/settings/load.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-defaults-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

/** The values of a parsed file by key. */
function values(text: string): Record<string, string> {
  return Object.fromEntries(parseDefaultsFile(text, 'p.env').map(entry => [entry.key, entry.value]))
}

function parseError(text: string): string {
  try {
    parseDefaultsFile(text, 'p.env')
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return (error as Error).message
  }
  throw new Error('no error')
}

function file(name: string, text: string): string {
  const written = path.join(root, name)
  fs.mkdirSync(path.dirname(written), { recursive: true })
  fs.writeFileSync(written, text)
  return written
}

describe('parseDefaultsFile', () => {
  test.each<[string, string, Record<string, string>]>([
    ['plain KEY=VALUE', 'SOURCE_TAG=v6.0.0\n', { SOURCE_TAG: 'v6.0.0' }],
    ['no newline at the end', 'SOURCE_TAG=v6.0.0', { SOURCE_TAG: 'v6.0.0' }],
    ['an export prefix', 'export SOURCE_PATH=apim\n', { SOURCE_PATH: 'apim' }],
    ['double quotes', 'SOURCE_TAG="v6.0.0"\n', { SOURCE_TAG: 'v6.0.0' }],
    ['single quotes', "SOURCE_TAG='v6.0.0'\n", { SOURCE_TAG: 'v6.0.0' }],
    ['a quoted # is not a comment', 'SOURCE_TAG="a#b" # note\n', { SOURCE_TAG: 'a#b' }],
    ['a # inside a word is not a comment', 'SOURCE_TAG=a#b\n', { SOURCE_TAG: 'a#b' }],
    [
      'a comment after the value',
      'SOURCE_TAG=v6.0.0   # the product version\n',
      { SOURCE_TAG: 'v6.0.0' }
    ],
    [
      'comment lines, blank lines and indentation',
      '# defaults\n\n   \n  SOURCE_PATH=apim\n\t# more\nSOURCE_TAG=v6\n',
      { SOURCE_PATH: 'apim', SOURCE_TAG: 'v6' }
    ],
    [
      'CRLF line ends and a BOM',
      '\uFEFFSOURCE_PATH=apim\r\nSOURCE_TAG=v6\r\n',
      { SOURCE_PATH: 'apim', SOURCE_TAG: 'v6' }
    ],
    ['an empty value', 'SOURCE_TAG=\nSOURCE_PATH=""\n', { SOURCE_TAG: '', SOURCE_PATH: '' }],
    ['a list on one line, unquoted', 'IMAGES=a b c\n', { IMAGES: 'a b c' }],
    ['a list in double quotes', 'IMAGES="a b c"\n', { IMAGES: 'a b c' }],
    [
      'a list over several lines in quotes',
      'IMAGES="\n  a\n  b\n"\nSOURCE_TAG=v1\n',
      { IMAGES: 'a\n  b', SOURCE_TAG: 'v1' }
    ],
    ['a bash array on one line', 'IMAGES=(a b "c")\n', { IMAGES: 'a\nb\nc' }],
    [
      'a bash array over lines, with comments',
      "IMAGES=(\n  a   # the cache\n  # not this one: x\n  'b'\n  c)  # end\nSOURCE_TAG=v1\n",
      { IMAGES: 'a\nb\nc', SOURCE_TAG: 'v1' }
    ],
    ['an empty bash array', 'CHARTS=()\n', { CHARTS: '' }],
    [
      'DESTINATION_TAG as an array',
      'DESTINATION_TAG=(v6.0.0 stable)\n',
      { DESTINATION_TAG: 'v6.0.0\nstable' }
    ],
    ['escapes in double quotes', 'SOURCE_TAG="v\\"6\\$\\\\"\n', { SOURCE_TAG: 'v"6$\\' }],
    ['a line continuation', 'IMAGES="a \\\nb"\n', { IMAGES: 'a b' }],
    [
      'quoted and unquoted parts glued',
      'SOURCE_PATH=loc"al"host/\'apim\'\n',
      { SOURCE_PATH: 'localhost/apim' }
    ],
    ['an escaped $ outside quotes', 'SOURCE_TAG=v\\$1\n', { SOURCE_TAG: 'v$1' }],
    [
      'every key',
      'REGISTRY=r.example.com/p\nIMAGES=a\nSOURCE_PATH=s\nSOURCE_TAG=t\nDESTINATION_TAG=d\nCONTAINER_TOOL=podman\nCHARTS=c\n',
      {
        REGISTRY: 'r.example.com/p',
        IMAGES: 'a',
        SOURCE_PATH: 's',
        SOURCE_TAG: 't',
        DESTINATION_TAG: 'd',
        CONTAINER_TOOL: 'podman',
        CHARTS: 'c'
      }
    ]
  ])('%s', (_label, text, expected) => {
    expect(values(text)).toEqual(expected)
  })

  test('each entry names its input and its line', () => {
    expect(
      parseDefaultsFile('# c\n\nIMAGES=(\n a\n b\n)\nSOURCE_TAG="x\ny"\nSOURCE_PATH=p\n', 'f')
    ).toEqual([
      { key: 'IMAGES', input: 'images', value: 'a\nb', line: 3 },
      { key: 'SOURCE_TAG', input: 'source-tag', value: 'x\ny', line: 7 },
      { key: 'SOURCE_PATH', input: 'source-path', value: 'p', line: 9 }
    ])
  })

  test.each<[string, string, string]>([
    [
      'an unknown key, named with file:line',
      'SOURCE_TAG=v1\n\nPRODUCT_VERSION=v6.0.0\n',
      'defaults-file p.env:3: unknown key "PRODUCT_VERSION"; the keys are REGISTRY, IMAGES, SOURCE_PATH, SOURCE_TAG, DESTINATION_TAG, CONTAINER_TOOL, CHARTS'
    ],
    ['a lower-case key', 'images=a\n', 'p.env:1: unknown key "images"'],
    ['a secret', 'HARBOR_PASSWORD=x\n', 'credentials never go in a defaults file'],
    [
      'a list for a single value',
      'SOURCE_TAG=(a b)\n',
      'p.env:1: SOURCE_TAG takes one value, not a list "(...)"'
    ],
    [
      'a key set twice',
      'IMAGES=a\n# x\nIMAGES=b\n',
      'p.env:3: IMAGES is set twice (lines 1 and 3); keep one'
    ],
    ['an append', 'IMAGES+=(b)\n', 'p.env:1: "IMAGES+=" is not supported'],
    [
      'a variable',
      'SOURCE_TAG=$VERSION\n',
      'p.env:1: "$": variables and commands are not expanded'
    ],
    [
      'a variable in double quotes',
      'IMAGES=(a\n"${B}")\n',
      'p.env:2: "$": variables and commands are not expanded'
    ],
    [
      'a command substitution',
      'SOURCE_TAG=`date`\n',
      '"`": variables and commands are not expanded'
    ],
    [
      'shell syntax',
      'SOURCE_TAG=v1; echo hi\n',
      'p.env:1: ";" is shell syntax; put the value in quotes'
    ],
    [
      'a command line',
      'SOURCE_TAG=v1\nsource other.env\n',
      'p.env:2: expected KEY=VALUE, found "source other.env"'
    ],
    [
      'spaces around "="',
      'SOURCE_TAG = v1\n',
      'p.env:1: expected KEY=VALUE, found "SOURCE_TAG = v1"; write no spaces around "="'
    ],
    [
      'an unclosed double quote',
      'SOURCE_TAG=v1\nIMAGES="a\nb\n',
      'p.env:2: a double quote (") is not closed'
    ],
    ['an unclosed single quote', "IMAGES='a\n", "p.env:1: a single quote (') is not closed"],
    ['an unclosed array', 'IMAGES=(a\nb\n', 'p.env:1: the list of IMAGES is not closed with ")"'],
    ['text after an array', 'IMAGES=(a) b\n', 'p.env:1: unexpected "b" after the value']
  ])('refuses %s', (_label, text, message) => {
    expect(parseError(text)).toContain(message)
  })

  test('the example file for the reference script: seven images, path apim, version v6.0.0', () => {
    const example = fileURLToPath(
      new URL('../../examples/apim-product-defaults.env', import.meta.url)
    )
    const entries = readDefaultsFile(example)
    expect(Object.fromEntries(entries.map(entry => [entry.key, entry.value]))).toEqual({
      IMAGES: [
        'apim-le-cache',
        'apim-le-cacheloader-cron',
        'apim-le-toolkit',
        'apim-le-cacheloader',
        'apim-le-trafficmanager',
        'apim-le-platformapi',
        'apim-le-configui'
      ].join('\n'),
      SOURCE_PATH: 'apim',
      SOURCE_TAG: 'v6.0.0',
      CONTAINER_TOOL: 'docker'
    })
  })
})

describe('readDefaultsFile', () => {
  test('relative CHARTS are resolved against the file folder', () => {
    const written = file('product/defaults.env', 'CHARTS=(charts/app /abs/x.tgz "!charts/skip*")\n')
    const [charts] = readDefaultsFile(written)
    const folder = path.join(root, 'product')
    expect(charts.value.split('\n')).toEqual([
      path.join(folder, 'charts/app'),
      '/abs/x.tgz',
      `!${path.join(folder, 'charts/skip*')}`
    ])
  })

  test('a file that cannot be read is an input error naming it', () => {
    expect(() => readDefaultsFile(path.join(root, 'nope.env'))).toThrow(
      /defaults-file ".*nope\.env" cannot be read \(ENOENT\); give the path of a KEY=VALUE file, relative to /
    )
  })
})

describe('loadSettings: the defaults file fills in what is not given', () => {
  const product = file(
    'apim.env',
    [
      'IMAGES=(apim-le-cache apim-le-toolkit)',
      'SOURCE_PATH=apim',
      'SOURCE_TAG=v6.0.0',
      'CONTAINER_TOOL=podman',
      'REGISTRY=registry-oci.example.com/catalog-apps-org-proj',
      ''
    ].join('\n')
  )
  const warn = (): void => undefined

  test('every default from the file', () => {
    const notes: string[] = []
    const settings = loadSettings({ 'defaults-file': product }, warn, note => notes.push(note))
    expect(settings).toMatchObject({
      registry: { prefix: 'registry-oci.example.com/catalog-apps-org-proj' },
      images: [
        { name: 'apim-le-cache', tag: 'v6.0.0' },
        { name: 'apim-le-toolkit', tag: 'v6.0.0' }
      ],
      sourcePath: 'apim',
      containerTool: 'podman'
    })
    expect(notes).toEqual([
      `Defaults from ${product}: images, source-path, source-tag, container-tool, registry`
    ])
  })

  test.each<[string, Record<string, string>, Record<string, unknown>]>([
    [
      'images',
      { images: 'apim-le-configui' },
      { images: [{ name: 'apim-le-configui', tag: 'v6.0.0' }] }
    ],
    ['source-tag', { 'source-tag': 'v6.1.0' }, { images: [{ tag: 'v6.1.0' }, { tag: 'v6.1.0' }] }],
    ['source-path', { 'source-path': 'localhost/other' }, { sourcePath: 'localhost/other' }],
    ['container-tool', { 'container-tool': 'docker' }, { containerTool: 'docker' }],
    ['registry', { registry: 'other.example.com/p' }, { registry: { host: 'other.example.com' } }],
    ['destination-tag', { 'destination-tag': 'stable' }, { destinationTags: ['stable'] }]
  ])('an explicit %s wins over the file', (_label, given, expected) => {
    const notes: string[] = []
    const settings = loadSettings({ 'defaults-file': product, ...given }, warn, note =>
      notes.push(note)
    )
    expect(settings).toMatchObject(expected)
    const name = Object.keys(given)[0]
    if (name !== 'destination-tag')
      expect(notes[0]).toMatch(new RegExp(`given explicitly: ${name}$`))
  })

  test('white space is not a value: the file still fills the input', () => {
    expect(applyDefaultsFile({ 'defaults-file': product, images: ' \n ' }).inputs.images).toBe(
      'apim-le-cache\napim-le-toolkit'
    )
  })

  test('without a defaults file nothing changes, and container-tool defaults to docker', () => {
    const raw = { registry: 'r.example.com/p', images: 'a:v1' }
    expect(applyDefaultsFile(raw)).toEqual({ inputs: raw, fromFile: [], overridden: [] })
    expect(loadSettings(raw, warn).containerTool).toBe('docker')
  })

  test('an error in the file stops everything, naming file:line', () => {
    const bad = file('bad.env', 'SOURCE_TAG=v1\nTOOL=podman\n')
    expect(() => loadSettings({ 'defaults-file': bad, registry: 'r.example.com' }, warn)).toThrow(
      `defaults-file ${bad}:2: unknown key "TOOL"`
    )
  })
})

describe('the action reads defaults-file', () => {
  test('every input a defaults file can set has an empty default in action.yml, or it could never apply', () => {
    const action = parse(
      fs.readFileSync(fileURLToPath(new URL('../../action.yml', import.meta.url)), 'utf8')
    ) as { inputs: Record<string, { default?: string }> }
    for (const input of Object.values(DEFAULTS_KEYS)) {
      expect([input, action.inputs[input]?.default ?? '']).toEqual([input, ''])
    }
  })

  afterEach(() => {
    jest.restoreAllMocks()
    for (const key of Object.keys(process.env)) {
      if (key.startsWith('INPUT_')) delete process.env[key]
    }
  })

  test('getSettings merges the file under the inputs and says so', () => {
    const written: string[] = []
    jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      written.push(String(chunk))
      return true
    })
    const product = file('action.env', 'IMAGES="a b"\nSOURCE_TAG=v2\nCONTAINER_TOOL=podman\n')
    process.env['INPUT_DEFAULTS-FILE'] = product
    process.env.INPUT_REGISTRY = 'registry-oci.example.com/proj'
    process.env['INPUT_SOURCE-TAG'] = 'v3'
    // What the runner passes for an input with an empty default that was not set.
    process.env['INPUT_CONTAINER-TOOL'] = ''
    expect(getSettings()).toMatchObject({
      images: [
        { name: 'a', tag: 'v3' },
        { name: 'b', tag: 'v3' }
      ],
      containerTool: 'podman'
    })
    expect(written.join('')).toContain(
      `Defaults from ${product}: images, container-tool; given explicitly: source-tag`
    )
  })
})
