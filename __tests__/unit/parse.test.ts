import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import {
  type RawInputs,
  parseRegistry,
  parseSettings,
  splitList
} from '../../src/settings/parse.js'
import { sourceCredentialsFor } from '../../src/settings/settings.js'

const base: RawInputs = { registry: 'harbor.example.com/proj', images: 'app', 'source-tag': 'v1' }

function parse(extra: RawInputs): {
  settings: ReturnType<typeof parseSettings>
  warnings: string[]
} {
  const warnings: string[] = []
  const settings = parseSettings({ ...base, ...extra }, message => warnings.push(message))
  return { settings, warnings }
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

describe('registry', () => {
  test.each([
    ['harbor.example.com', 'harbor.example.com', ''],
    [
      'registry-oci.cluster.example/catalog-apps-org-proj',
      'registry-oci.cluster.example',
      'catalog-apps-org-proj'
    ],
    ['127.0.0.1:5000', '127.0.0.1:5000', ''],
    ['localhost:5000/a/b/c', 'localhost:5000', 'a/b/c'],
    ['gcr.io/company-name', 'gcr.io', 'company-name'],
    ['Registry.Example.com/apim', 'Registry.Example.com', 'apim']
  ])('%s is host %s and path "%s", without warnings', (value, host, repositoryPath) => {
    const warnings: string[] = []
    const registry = parseRegistry(value, message => warnings.push(message))
    expect(registry).toEqual({
      host,
      path: repositoryPath,
      prefix: repositoryPath ? `${host}/${repositoryPath}` : host
    })
    expect(warnings).toEqual([])
  })

  test.each([
    ['https://harbor.example.com/proj', 'harbor.example.com/proj', ['scheme']],
    ['http://127.0.0.1:5000', '127.0.0.1:5000', ['scheme']],
    ['oci://harbor.example.com/proj/', 'harbor.example.com/proj', ['scheme', 'trailing']],
    ['harbor.example.com/proj//', 'harbor.example.com/proj', ['trailing']]
  ])('%s is cleaned to %s with a warning', (value, prefix, kinds) => {
    const warnings: string[] = []
    expect(parseRegistry(value, message => warnings.push(message)).prefix).toBe(prefix)
    expect(warnings).toHaveLength(kinds.length)
    kinds.forEach((kind, index) => {
      expect(warnings[index]).toContain(kind)
      expect(warnings[index]).toContain(`"${value}"`)
    })
  })

  test.each([
    ['', /"registry" is required/],
    ['ftp://harbor.example.com', /unknown scheme "ftp:\/\/"/],
    ['harbor..example.com', /not a valid host/],
    ['harbor.example.com:99999', /not a valid host/],
    ['harbor.example.com:port', /not a valid host/],
    ['harbor.example.com/Proj', /path "Proj" is not a valid repository path/],
    ['harbor.example.com/a//b', /path "a\/\/b" is not a valid/],
    ['harbor.example.com/chartrepo/proj', /chartrepo/],
    ['harbor example.com', /not a valid host/],
    [
      '[::1]:5000/apim',
      /"\[::1\]:5000" is an IPv6 address.*"::1 registry\.local" in \/etc\/hosts, then registry\.local:5000/
    ],
    ['[fe80::1]', /"\[fe80::1\]" is an IPv6 address.*then registry\.local\)/],
    [
      '[::1/apim',
      /"\[::1" is not a valid host\[:port\]: brackets belong only around an IPv6 address/
    ],
    ['::1]:5000', /brackets belong only around an IPv6 address/],
    ['[1]:5000', /"\[1\]:5000" is not a valid host\[:port\]: brackets/],
    ['[:::]:5000', /brackets belong only around an IPv6 address/],
    ['[]:5000', /brackets belong only around an IPv6 address/],
    ['[::1]x:5000', /brackets belong only around an IPv6 address/]
  ])('"%s" is refused', (value, pattern) => {
    expect(() => parseRegistry(value, () => undefined)).toThrow(pattern)
  })

  test.each([
    ['https://ci:s3cr%40t-pw@harbor.example.com/proj/', 'https://***@harbor.example.com/proj/'],
    ['ci:s3cr%40t-pw@harbor.example.com/proj', '***@harbor.example.com/proj'],
    ['oci://robot$p+ci:s3cr%40t-pw@127.0.0.1:5000', 'oci://***@127.0.0.1:5000']
  ])('%s: a login in the registry is refused, shown as %s, before any warning', (value, shown) => {
    const warnings: string[] = []
    let message = ''
    try {
      parseRegistry(value, warning => warnings.push(warning))
    } catch (error) {
      expect(error).toBeInstanceOf(InputError)
      message = (error as Error).message
    }
    expect(message).toContain(`registry "${shown}" carries a user name and password`)
    expect(message).not.toContain('s3cr')
    expect(warnings).toEqual([])
  })
})

describe('images and tags', () => {
  test('lists split on newlines, commas and spaces', () => {
    expect(splitList('a, b\nc  d,,\n')).toEqual(['a', 'b', 'c', 'd'])
  })

  test('an entry tag overrides source-tag', () => {
    const { settings } = parse({ images: 'a b:v2\nc', 'source-tag': 'v1' })
    expect(settings.images).toEqual([
      { name: 'a', tag: 'v1' },
      { name: 'b', tag: 'v2' },
      { name: 'c', tag: 'v1' }
    ])
  })

  test('entries with their own tags need no source-tag', () => {
    expect(parse({ images: 'a:1.0,ns/b:2.0', 'source-tag': '' }).settings.images).toEqual([
      { name: 'a', tag: '1.0' },
      { name: 'ns/b', tag: '2.0' }
    ])
  })

  test.each([
    ['a', '', /image "a" has no tag: set "source-tag".*no implicit "latest"/],
    ['', 'v1', /"images" is empty/],
    ['App', 'v1', /image "App": "App" is not a valid image name/],
    ['a@sha256:abc', 'v1', /digests are not accepted/],
    ['a:', 'v1', /tag "" is not a valid tag/],
    ['a:.x', 'v1', /begins with "\." or "-"/],
    ['a a', 'v1', /image "a:v1" is listed twice/],
    ['a', '-v1', /source-tag "-v1" is not a valid tag: it begins/],
    ['a', 'v1!', /source-tag "v1!".*only ASCII letters/]
  ])('images "%s" with source-tag "%s" is refused', (images, sourceTag, pattern) => {
    expect(parseError({ images, 'source-tag': sourceTag })).toMatch(pattern)
  })

  test.each([
    ['v6.0.0', ['v6.0.0']],
    ['latest, stable\n6.0', ['latest', 'stable', '6.0']],
    ['_x', ['_x']],
    ['a'.repeat(128), ['a'.repeat(128)]],
    ['v1 v1', ['v1']],
    ['', []]
  ])('destination-tag "%s" is accepted', (value, tags) => {
    expect(parse({ 'destination-tag': value }).settings.destinationTags).toEqual(tags)
  })

  test.each([
    ['.hidden', /begins with "\." or "-"/],
    ['-x', /begins with "\." or "-"/],
    ['a'.repeat(129), /129 characters long \(at most 128\)/],
    ['vé', /only ASCII letters/],
    ['a/b', /only ASCII letters/],
    ['a:b', /only ASCII letters/]
  ])('destination-tag "%s" is refused', (value, pattern) => {
    expect(parseError({ 'destination-tag': value })).toMatch(pattern)
  })

  test('two images landing on one destination are refused', () => {
    expect(parseError({ images: 'a:1 a:2', 'destination-tag': 'release' })).toMatch(
      /"a:1" and "a:2" would both be pushed to "harbor.example.com\/proj\/a:release"/
    )
  })

  test.each([
    ['apim', 'apim'],
    ['/apim/', 'apim'],
    ['localhost/apim', 'localhost/apim'],
    ['localhost:5000/apim', 'localhost:5000/apim'],
    ['', '']
  ])('source-path "%s" is "%s"', (value, expected) => {
    expect(parse({ 'source-path': value }).settings.sourcePath).toBe(expected)
  })

  test.each(['APIM', 'a b', 'a//b', 'localhost:5000', '[::1]:5000/apim', '[x/apim'])(
    'source-path "%s" is refused',
    value => {
      expect(parseError({ 'source-path': value })).toMatch(`source-path "${value}"`)
    }
  )

  // distribution's NameTotalLengthMax: the whole name, registry host and path included.
  const long = (length: number, prefix: string): string =>
    `${prefix}${'a'.repeat(length - prefix.length)}`
  test('a destination name of 255 characters is accepted', () => {
    const registry = 'harbor.example.com/proj'
    const name = long(255 - registry.length - 1, 'app')
    expect(parse({ registry, images: name }).settings.images[0].name).toBe(name)
  })

  test.each([
    [
      { registry: `harbor.example.com/${long(210, 'p')}`, images: long(30, 'app') },
      /image "app[a]+": the destination name "harbor\.example\.com\/p[a]+\/app[a]+" is 260 characters long; .* at most 255: use a shorter registry path or image name/
    ],
    [{ images: long(256, 'app') }, /the destination name .* is 280 characters long/],
    [
      { 'source-path': long(260, 'src'), images: 'app' },
      /image "app": the source name "src[a]+\/app" is 264 characters long/
    ]
  ])('an image name over 255 characters is refused: %o', (extra, pattern) => {
    expect(parseError(extra)).toMatch(pattern)
  })
})

describe('credentials, tool and switches', () => {
  test('no credentials: rely on an existing login', () => {
    expect(parse({}).settings.credentials).toBeUndefined()
  })

  test('robot names with $ are kept as they are', () => {
    const { settings } = parse({ username: 'robot$proj+ci', password: 'secret' })
    expect(settings.credentials).toEqual({ username: 'robot$proj+ci', password: 'secret' })
  })

  test.each([
    [{ username: 'alice' }, /"username" is set but "password" is empty/],
    [{ password: 'secret' }, /"password" is set but "username" is empty/],
    [{ username: 'a b', password: 'secret' }, /username "a b" contains white space/]
  ])('%j is refused', (extra, pattern) => {
    expect(parseError(extra)).toMatch(pattern)
  })

  test('the password never appears in an input error', () => {
    expect(parseError({ password: 'hunter2-secret' })).not.toContain('hunter2-secret')
  })

  test.each([
    ['', 'docker'],
    ['docker', 'docker'],
    ['podman', 'podman'],
    ['Podman', 'podman']
  ])('container-tool "%s" is %s', (value, tool) => {
    expect(parse({ 'container-tool': value }).settings.containerTool).toBe(tool)
  })

  test('container-tool "buildah" is refused with the choices', () => {
    expect(parseError({ 'container-tool': 'buildah' })).toMatch(
      /container-tool "buildah" is not supported; use one of: docker, podman/
    )
  })

  test.each([
    ['', true],
    ['true', true],
    ['False', false],
    ['FALSE', false]
  ])('tls-verify "%s" is %s', (value, expected) => {
    expect(parse({ 'tls-verify': value }).settings.tlsVerify).toBe(expected)
  })

  test.each([
    ['tls-verify', 'no', /tls-verify "no" is not a boolean/],
    ['summary', 'yes', /summary "yes" is not a boolean/],
    ['parallel', '0', /parallel "0" is not a whole number from 1 to 32/],
    ['parallel', '2.5', /parallel "2.5"/],
    ['retries', '11', /retries "11" is not a whole number from 0 to 10/],
    ['retries', '-1', /retries "-1"/],
    [
      'if-exists',
      'replace',
      /if-exists "replace" is not supported; use one of: overwrite, skip, fail/
    ]
  ])('%s "%s" is refused', (name, value, pattern) => {
    expect(parseError({ [name]: value })).toMatch(pattern)
  })

  test('defaults', () => {
    const { settings } = parse({})
    expect(settings).toMatchObject({
      containerTool: 'docker',
      tlsVerify: true,
      caFile: '',
      ifExists: 'overwrite',
      parallel: 3,
      retries: 2,
      summary: true,
      destinationTags: [],
      sourcePath: ''
    })
  })
})

describe('ca-file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-parse-'))
  const pem = path.join(dir, 'ca.pem')
  const notPem = path.join(dir, 'not.pem')
  fs.writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
  fs.writeFileSync(notPem, 'hello')

  test('a PEM file is kept as an absolute path', () => {
    expect(parse({ 'ca-file': pem }).settings.caFile).toBe(pem)
  })

  test.each([
    [path.join(dir, 'missing.pem'), /cannot be read/],
    [notPem, /holds no PEM certificate/]
  ])('%s is refused', (file, pattern) => {
    expect(parseError({ 'ca-file': file })).toMatch(pattern)
  })

  test('ca-file with tls-verify false is contradictory', () => {
    expect(parseError({ 'ca-file': pem, 'tls-verify': 'false' })).toMatch(/use one/)
  })
})

describe('archive and layout entries', () => {
  test.each([
    [
      'oci-archive:/build/web.tar',
      'web',
      '',
      { transport: 'oci-archive', path: '/build/web.tar', ref: '' }
    ],
    [
      'oci-archive:/build/web.oci.tar:v2',
      'web',
      'v2',
      { transport: 'oci-archive', path: '/build/web.oci.tar', ref: 'v2' }
    ],
    [
      'api=docker-archive:/build/a.tar:apim/api:v6',
      'api',
      'v6',
      { transport: 'docker-archive', path: '/build/a.tar', ref: 'apim/api:v6' }
    ],
    [
      'oci:/build/layout:v1',
      'layout',
      'v1',
      { transport: 'oci', path: '/build/layout', ref: 'v1' }
    ],
    ['multi=oci:/build/layout', 'multi', '', { transport: 'oci', path: '/build/layout', ref: '' }]
  ])('%s', (entry, name, tag, archive) => {
    const { settings } = parse({ images: entry, 'source-tag': '', 'destination-tag': 'r1' })
    expect(settings.images).toEqual([{ name, tag, archive }])
  })

  test('two images of one layout, by their refs, each go to their own tag', () => {
    const { settings } = parse({ images: 'app=oci:/b/layout:v1 app=oci:/b/layout:v2' })
    expect(settings.images.map(image => [image.name, image.tag])).toEqual([
      ['app', 'v1'],
      ['app', 'v2']
    ])
  })

  test('the same archive image listed twice is refused', () => {
    expect(parseError({ images: 'app=oci:/b/layout:v1 app=oci:/b/layout:v1' })).toMatch(
      /image "app=oci:\/b\/layout:v1" is listed twice/
    )
  })

  test('a relative path is made absolute', () => {
    const { settings } = parse({ images: 'oci-archive:web.tar:v1' })
    expect(settings.images[0].archive?.path).toBe(path.resolve('web.tar'))
  })

  test.each([
    [
      { images: 'oci-archive:/b/web.tar', 'source-tag': '' },
      /has no tag: set "destination-tag", or name the image inside with ":<tag>"/
    ],
    [
      { images: 'oci-archive:/b/web+app.tar:v1' },
      /is not a valid image name \(taken from the file name\); write "<name>=oci-archive:/
    ],
    [{ images: 'oci:/b/layout:-bad' }, /image "oci:\/b\/layout:-bad"/]
  ])('refused: %j', (inputs, message) => {
    expect(parseError(inputs)).toMatch(message)
  })
})

describe('registry entries (docker://)', () => {
  const DIGEST = `sha256:${'ab'.repeat(32)}`

  test.each([
    [
      'docker://staging.example.com/staging/app:v1',
      { name: 'app', tag: 'v1' },
      { host: 'staging.example.com', repository: 'staging/app', tag: 'v1', digest: '' }
    ],
    [
      'web=docker://127.0.0.1:5000/a/b/c:1.0',
      { name: 'web', tag: '1.0' },
      { host: '127.0.0.1:5000', repository: 'a/b/c', tag: '1.0', digest: '' }
    ],
    [
      `docker://harbor.example.com/staging/api@${DIGEST}`,
      { name: 'api', tag: '' },
      { host: 'harbor.example.com', repository: 'staging/api', tag: '', digest: DIGEST }
    ]
  ])('%s', (entry, request, registry) => {
    const { settings } = parse({
      images: entry,
      'source-tag': 'ignored',
      'destination-tag': 'r1'
    })
    expect(settings.images).toEqual([{ ...request, registry }])
  })

  test('without destination-tag a tag entry lands under its own tag; source-path and source-tag do not apply', () => {
    const { settings } = parse({
      images: 'docker://h.example.com/staging/app:v7',
      'source-path': 'localhost/apim',
      'source-tag': 'v1'
    })
    expect(settings.images[0]).toMatchObject({ name: 'app', tag: 'v7' })
  })

  test.each([
    ['no repository', 'docker://h.example.com', /names no repository on "h\.example\.com"/],
    ['no repository, a slash', 'docker://h.example.com/', /names no repository/],
    ['no tag nor digest', 'docker://h.example.com/s/app', /names no tag or digest/],
    [
      'a tag and a digest',
      `docker://h.example.com/s/app:v1@${DIGEST}`,
      /names both a tag \("v1"\) and a digest; give one/
    ],
    ['a short digest', 'docker://h.example.com/s/app@sha256:abc', /is not a sha256 digest/],
    [
      'another algorithm',
      `docker://h.example.com/s/app@sha512:${'a'.repeat(128)}`,
      /is not a sha256 digest/
    ],
    ['a bad host', 'docker://h_x!/s/app:v1', /is not a valid registry host/],
    ['a bad port', 'docker://h.example.com:99999/s/app:v1', /is not a valid registry host/],
    ['upper case', 'docker://h.example.com/S/App:v1', /"S\/App" is not a valid repository/],
    ['a bad tag', 'docker://h.example.com/s/app:-x', /tag "-x" is not a valid tag/],
    ['a bad name', 'Bad=docker://h.example.com/s/app:v1', /"Bad" is not a valid image name/],
    [
      'listed twice',
      'docker://h.example.com/s/app:v1 docker://h.example.com/s/app:v1',
      /is listed twice/
    ]
  ])('refused: %s', (_label, images, message) => {
    expect(parseError({ images })).toMatch(message)
  })

  test.each([
    // distribution/reference reads these as Docker Hub's (splitDockerDomain): never assumed here.
    ['docker://alpine:3.20', 'docker://docker.io/library/alpine:3.20', ''],
    ['docker://alpine@sha256:' + 'ab'.repeat(32), 'docker://docker.io/library/alpine@sha256:', ''],
    ['docker://library/alpine:3.20', 'docker://docker.io/library/alpine:3.20', '"library"'],
    ['docker://myorg/app:1', 'docker://docker.io/myorg/app:1', '"myorg"'],
    ['docker://harbor/staging/app:v1', 'docker://docker.io/harbor/staging/app:v1', '"harbor"']
  ])('%s names no registry host: refused, Docker Hub spelled out', (images, hub, segment) => {
    const message = parseError({ images })
    expect(message).toContain(`image "${images}" names no registry host`)
    expect(message).toContain(`write ${hub}`)
    expect(message).toMatch(/Docker Hub, which harbor-push never assumes/)
    expect(message).toMatch(/full host name or HOST:PORT/)
    if (segment) expect(message).toContain(`${segment} has no "." or ":"`)
  })

  test('a digest entry without destination-tag: say where it goes', () => {
    expect(parseError({ images: `docker://h.example.com/s/app@${DIGEST}` })).toMatch(
      /names a digest and no tag: set "destination-tag"/
    )
  })

  test.each([
    ['user:password@', 'docker://ci:s3cr3t-pw@h.example.com/s/app:v1'],
    ['with a name', 'app=docker://ci:s3cr3t-pw@h.example.com/s/app:v1'],
    ['a user only', 'docker://s3cr3t-pw@h.example.com/s/app:v1']
  ])('a login in the entry (%s) is refused and never shown', (_label, images) => {
    const message = parseError({ images })
    expect(message).toMatch(
      /carries a user name and password: .*"source-username" and "source-password"/
    )
    expect(message).toContain('docker://***@h.example.com/s/app:v1')
    expect(message).not.toContain('s3cr3t-pw')
  })
})

describe('source-username and source-password', () => {
  const images = 'docker://staging.example.com/s/app:v1'

  test('paired: the login of docker:// sources', () => {
    const { settings, warnings } = parse({
      images,
      'source-username': 'puller',
      'source-password': ' spaced secret \n'
    })
    expect(settings.sourceCredentials).toEqual({ username: 'puller', password: ' spaced secret ' })
    expect(warnings).toEqual([])
  })

  test.each([
    [{ 'source-username': 'puller' }, /"source-username" is set but "source-password" is empty/],
    [{ 'source-password': 'x' }, /"source-password" is set but "source-username" is empty/],
    [
      { 'source-username': 'a b', 'source-password': 'x' },
      /source-username "a b" contains white space/
    ],
    [
      { 'source-username': 'puller', 'source-password': 'first\nsecond' },
      /"source-password" holds a line break/
    ]
  ])('refused: %j', (extra, message) => {
    const text = parseError({ images, ...extra })
    expect(text).toMatch(message)
    expect(text).not.toContain('second')
  })

  test('given with no docker:// source: not used, and said', () => {
    const { warnings } = parse({ 'source-username': 'puller', 'source-password': 'x' })
    expect(warnings).toEqual([expect.stringMatching(/no "images" entry is a docker:\/\/ source/)])
  })

  test("empty: anonymous, or the destination's login on the destination registry (a promotion)", () => {
    const destination = { username: 'ci', password: 'pw' }
    const { settings } = parse({
      registry: 'Harbor.example.com/release',
      images: 'docker://harbor.example.com/staging/app:v1 docker://other.example.com/x/y:v1',
      ...destination
    })
    expect(settings.sourceCredentials).toBeUndefined()
    expect(sourceCredentialsFor(settings, 'harbor.example.com')).toEqual(destination)
    expect(sourceCredentialsFor(settings, 'other.example.com')).toBeUndefined()
    // Docker Hub under its other names is the same registry, so the same login.
    const hub = parse({ registry: 'docker.io/myorg', images, ...destination }).settings
    expect(sourceCredentialsFor(hub, 'index.docker.io')).toEqual(destination)
    expect(sourceCredentialsFor(hub, 'Docker.IO')).toEqual(destination)
    expect(sourceCredentialsFor(hub, 'registry-1.docker.io')).toEqual(destination)
    expect(sourceCredentialsFor(hub, 'docker.io:5000')).toBeUndefined()
    const own = parse({
      registry: 'harbor.example.com/release',
      images,
      ...destination,
      'source-username': 'puller',
      'source-password': 'pull-secret'
    }).settings
    expect(sourceCredentialsFor(own, 'harbor.example.com')).toEqual({
      username: 'puller',
      password: 'pull-secret'
    })
  })
})
