import { describe, expect, test } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import type { Scheme } from '../../src/registry/probe.js'
import type { TlsOptions } from '../../src/tools/container-tool.js'
import {
  type HelmVersion,
  atLeast,
  isLoopback,
  parseHelmVersion,
  registryFlags
} from '../../src/tools/helm-version.js'

const HOST = 'registry-oci.example.com'
const CA = '/tmp/ca.pem'

function version(text: string): HelmVersion {
  const parsed = parseHelmVersion(text)
  if (!parsed) throw new Error(`test version "${text}" does not parse`)
  return parsed
}

describe('parseHelmVersion', () => {
  test.each([
    ['v3.17.3', 'v3.17.3', [3, 17, 3]],
    ['3.8.0', 'v3.8.0', [3, 8, 0]],
    ['v4.1.4\n', 'v4.1.4', [4, 1, 4]],
    ['v4.0.0-rc.1', 'v4.0.0-rc.1', [4, 0, 0]]
  ])('"%s" is %s', (text, normalised, [major, minor, patch]) => {
    expect(parseHelmVersion(text)).toEqual({ major, minor, patch, text: normalised })
  })

  test.each(['', 'latest', 'v3.17', '3', 'v3.17.3.1', '<no value>'])('"%s" is no version', text => {
    expect(parseHelmVersion(text)).toBeUndefined()
  })

  test.each([
    ['v3.13.0', 'v3.13.0', true],
    ['v3.13.1', 'v3.13.0', true],
    ['v3.12.9', 'v3.13.0', false],
    ['v4.0.0', 'v3.18.0', true],
    ['v3.18.0', 'v4.0.0', false],
    ['v3.18.0-rc.1', 'v3.18.0', true]
  ])('%s at least %s: %s', (have, since, expected) => {
    expect(atLeast(version(have), version(since))).toBe(expected)
  })
})

describe('registryFlags', () => {
  const verify: TlsOptions = { tlsVerify: true, caFile: '' }
  const caFile: TlsOptions = { tlsVerify: true, caFile: CA }
  const insecure: TlsOptions = { tlsVerify: false, caFile: '' }

  // Each helm version against each way of reaching a registry: the flags for
  // `helm registry login` and `helm push`, or the helm version it needs.
  test.each<[string, Scheme, TlsOptions, string[] | string, string[]]>([
    ['v3.8.0', 'https', verify, [], []],
    ['v3.8.0', 'https', insecure, /* push cannot skip TLS checks yet */ 'v3.11.0', []],
    ['v3.8.0', 'https', caFile, 'v3.11.0', []],
    ['v3.8.0', 'http', insecure, 'v3.13.0', []],
    ['v3.11.0', 'https', insecure, ['--insecure'], ['--insecure-skip-tls-verify']],
    ['v3.11.0', 'https', caFile, /* login --ca-file */ 'v3.12.0', []],
    ['v3.12.0', 'https', caFile, ['--ca-file', CA], ['--ca-file', CA]],
    ['v3.12.0', 'http', insecure, 'v3.13.0', []],
    // Logins before v3.18 fall back to plain HTTP by themselves (through a proxy, with
    // --insecure only); push needs the flag.
    ['v3.13.0', 'http', insecure, ['--insecure'], ['--plain-http']],
    ['v3.17.3', 'https', verify, [], []],
    ['v3.17.3', 'https', insecure, ['--insecure'], ['--insecure-skip-tls-verify']],
    ['v3.17.3', 'https', caFile, ['--ca-file', CA], ['--ca-file', CA]],
    ['v3.17.3', 'http', insecure, ['--insecure'], ['--plain-http']],
    ['v3.18.0', 'http', insecure, ['--plain-http'], ['--plain-http']],
    ['v4.1.4', 'https', verify, [], []],
    ['v4.1.4', 'https', insecure, ['--insecure'], ['--insecure-skip-tls-verify']],
    ['v4.1.4', 'https', caFile, ['--ca-file', CA], ['--ca-file', CA]],
    ['v4.1.4', 'http', insecure, ['--plain-http'], ['--plain-http']]
  ])('helm %s, %s, %j: login %j, push %j', (text, scheme, tls, login, push) => {
    const run = (): ReturnType<typeof registryFlags> =>
      registryFlags(version(text), HOST, scheme, tls, true)
    if (typeof login === 'string') {
      expect(run).toThrow(InputError)
      expect(run).toThrow(
        new RegExp(
          `^helm ${text.replace(/\./g, '\\.')} cannot .*needs helm ${login.replace(/\./g, '\\.')} or newer; put a newer helm on PATH, or remove helm from PATH so that helm-version is installed`
        )
      )
    } else {
      expect(run()).toEqual({ login, push })
    }
  })

  test('without a login, ca-file needs only what push needs', () => {
    expect(registryFlags(version('v3.11.0'), HOST, 'https', caFile, false)).toEqual({
      login: ['--ca-file', CA],
      push: ['--ca-file', CA]
    })
  })

  test.each(['v3.17.3', 'v4.1.4'])(
    'helm %s: a plain-HTTP registry with tls-verify true is refused with the fix',
    text => {
      for (const tls of [verify, caFile]) {
        expect(() => registryFlags(version(text), HOST, 'http', tls, true)).toThrow(
          `the registry "${HOST}" speaks plain HTTP: set tls-verify: false`
        )
      }
    }
  )
})

describe('helm 3 and loopback registries', () => {
  test.each([
    ['127.0.0.1:5000', true],
    ['localhost', true],
    ['localhost:5443', true],
    ['127.1.2.3:80', true],
    ['[::1]:5000', true],
    ['registry-oci.example.com', false],
    ['10.0.0.1:5000', false],
    ['localhost.example.com', false]
  ])('%s is loopback: %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected)
  })

  // helm 3 sends plain HTTP to loopback hosts whatever its TLS flags say.
  test.each<[string, Scheme, TlsOptions, string | RegistryFlagsLike]>([
    ['v3.17.3', 'https', { tlsVerify: true, caFile: CA }, 'refused'],
    ['v3.17.3', 'https', { tlsVerify: false, caFile: '' }, 'refused'],
    [
      'v3.17.3',
      'http',
      { tlsVerify: false, caFile: '' },
      { login: ['--insecure'], push: ['--plain-http'] }
    ],
    [
      'v4.1.4',
      'https',
      { tlsVerify: true, caFile: CA },
      { login: ['--ca-file', CA], push: ['--ca-file', CA] }
    ]
  ])('helm %s, %s to 127.0.0.1, %j: %j', (text, scheme, tls, expected) => {
    const run = (): RegistryFlagsLike =>
      registryFlags(version(text), '127.0.0.1:5443', scheme, tls, true)
    if (expected === 'refused') {
      expect(run).toThrow(
        `helm ${text} cannot push to the TLS registry "127.0.0.1:5443": helm 3 always talks plain HTTP to loopback hosts; use helm 4`
      )
    } else {
      expect(run()).toEqual(expected)
    }
  })
})

type RegistryFlagsLike = { login: string[]; push: string[] }
