import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import { chartVersionProblem } from '../../src/settings/chart-inputs.js'
import { type RawInputs, parseSettings } from '../../src/settings/parse.js'
import { DEFAULT_HELM_VERSION } from '../../src/tools/helm-version.js'

const base: RawInputs = { registry: 'harbor.example.com/proj' }

function parse(extra: RawInputs): ReturnType<typeof parseSettings> {
  return parseSettings({ ...base, ...extra }, () => undefined)
}

function parseError(extra: RawInputs): string {
  try {
    parse(extra)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return (error as Error).message
  }
  throw new Error(`expected an InputError for ${JSON.stringify(extra)}`)
}

describe('charts and images', () => {
  test('charts alone are enough: images may be empty', () => {
    const settings = parse({ charts: 'charts/app\ndist/*.tgz, charts/app' })
    expect(settings.images).toEqual([])
    expect(settings.charts).toEqual(['charts/app', 'dist/*.tgz'])
  })

  test('neither images nor charts is refused, naming both', () => {
    expect(parseError({ images: '', charts: '' })).toBe(
      '"images" is empty and so is "charts": at least one of images and charts must name something to push; list local images (e.g. "apim-le-cache apim-le-toolkit") and/or chart folders or .tgz files (e.g. "charts/*")'
    )
  })

  test('images and charts together', () => {
    const settings = parse({ images: 'app', 'source-tag': 'v1', charts: 'charts/*' })
    expect(settings.images).toEqual([{ name: 'app', tag: 'v1' }])
    expect(settings.charts).toEqual(['charts/*'])
  })

  test('defaults: the tested helm, get.helm.sh, no overrides', () => {
    expect(parse({ charts: 'c' })).toMatchObject({
      chartVersion: '',
      chartAppVersion: '',
      helmVersion: DEFAULT_HELM_VERSION,
      helmDownloadUrl: 'https://get.helm.sh'
    })
  })

  test('the helm-version default of action.yml is the one the code installs and CI tests', () => {
    const actionYml = fs.readFileSync(
      fileURLToPath(new URL('../../action.yml', import.meta.url)),
      'utf8'
    )
    expect(actionYml).toMatch(
      new RegExp(`\\n {2}helm-version:\\n(?: {4}.*\\n)*? {4}default: ${DEFAULT_HELM_VERSION}\\n`)
    )
  })
})

describe('chart-version', () => {
  test.each([
    '1.0.0',
    '0.0.1',
    '10.20.30',
    '1.0.0-rc.1',
    '1.0.0-alpha.beta+exp.sha.5114f85',
    '1.0.0+20130313144700'
  ])('"%s" is SemVer 2', version => {
    expect(parse({ charts: 'c', 'chart-version': version }).chartVersion).toBe(version)
  })

  test.each([
    [
      '1.0',
      /it is not SemVer 2 \(MAJOR\.MINOR\.PATCH\[-prerelease\]\[\+build\], e\.g\. 1\.4\.0 or 1\.4\.0-rc\.1\)/
    ],
    ['v1.0.0', /drop the leading "v"/],
    ['01.0.0', /not SemVer 2/],
    ['1.0.0-', /not SemVer 2/],
    ['1.0.0-01', /not SemVer 2/],
    ['1.0.0+', /not SemVer 2/],
    ['latest', /not SemVer 2/],
    [`1.0.0-${'a'.repeat(130)}`, /it is 136 characters long \(at most 128\)/]
  ])('"%s" is refused before anything runs', (version, message) => {
    const error = parseError({ charts: 'c', 'chart-version': version })
    expect(error).toMatch(`chart-version "${version}" is not valid: `)
    expect(error).toMatch(message)
  })

  test('chartVersionProblem is undefined for a good version', () => {
    expect(chartVersionProblem('1.2.3')).toBeUndefined()
  })

  test('chart-app-version is free text on one line', () => {
    expect(parse({ charts: 'c', 'chart-app-version': 'v6.0.0 (build 7)' }).chartAppVersion).toBe(
      'v6.0.0 (build 7)'
    )
    expect(parseError({ charts: 'c', 'chart-app-version': 'a\u0007b' })).toMatch(
      /chart-app-version ".*" holds a line break or control character/
    )
  })
})

describe('helm-version and helm-download-url', () => {
  test.each([
    ['v3.17.3', 'v3.17.3'],
    ['3.17.3', 'v3.17.3'],
    ['v4.1.4', 'v4.1.4'],
    ['v4.0.0-rc.1', 'v4.0.0-rc.1']
  ])('helm-version "%s" is %s', (value, expected) => {
    expect(parse({ charts: 'c', 'helm-version': value }).helmVersion).toBe(expected)
  })

  test.each([
    ['latest', /helm-version "latest" is not a helm release version; give one such as "v3\.17\.3"/],
    ['v3.17', /is not a helm release version/],
    [
      'v3.7.0',
      /helm-version "v3\.7\.0" is too old: pushing charts to OCI registries needs helm v3\.8\.0 or newer/
    ],
    ['v2.17.0', /too old/]
  ])('helm-version "%s" is refused', (value, message) => {
    expect(parseError({ charts: 'c', 'helm-version': value })).toMatch(message)
  })

  test.each([
    ['https://mirror.example.com/helm/', 'https://mirror.example.com/helm'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080']
  ])('helm-download-url "%s" is %s', (value, expected) => {
    expect(parse({ charts: 'c', 'helm-download-url': value }).helmDownloadUrl).toBe(expected)
  })

  test.each([
    ['get.helm.sh', /is not an http\(s\) URL/],
    ['ftp://mirror.example.com', /is not an http\(s\) URL/],
    ['https://mirror.example.com/?token=x', /has a query or fragment/]
  ])('helm-download-url "%s" is refused', (value, message) => {
    expect(parseError({ charts: 'c', 'helm-download-url': value })).toMatch(message)
  })

  test.each([
    [
      'ftp://reader:pw-9f3c@mirror.example.com',
      /"ftp:\/\/\*\*\*@mirror\.example\.com" is not an http\(s\) URL/
    ],
    [
      'https://reader:pw-9f3c@mirror.example.com/#x',
      /"https:\/\/\*\*\*@mirror\.example\.com\/#x" has a query/
    ]
  ])('a refused helm-download-url with a login is shown without it', (value, message) => {
    const error = parseError({ charts: 'c', 'helm-download-url': value })
    expect(error).toMatch(message)
    expect(error).not.toContain('pw-9f3c')
  })
})
