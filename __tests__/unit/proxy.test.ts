import { describe, expect, test } from '@jest/globals'
import { networkCause, registryFetch } from '../../src/registry/http.js'
import { proxyFor } from '../../src/registry/proxy.js'

const PROXY = 'http://proxy.corp:3128'

describe('proxyFor follows Go’s ProxyFromEnvironment, as podman, helm and docker do', () => {
  test.each([
    // [url, env, expected]
    ['https://harbor.corp/v2/', { HTTPS_PROXY: PROXY }, PROXY],
    ['https://harbor.corp/v2/', { https_proxy: PROXY }, PROXY],
    ['https://harbor.corp/v2/', { HTTPS_PROXY: PROXY, https_proxy: 'http://other:1' }, PROXY],
    ['https://harbor.corp/v2/', { HTTPS_PROXY: '', https_proxy: PROXY }, PROXY],
    ['https://harbor.corp/v2/', { HTTP_PROXY: PROXY }, undefined],
    ['http://harbor.corp/v2/', { HTTP_PROXY: PROXY }, PROXY],
    ['http://harbor.corp/v2/', { HTTPS_PROXY: PROXY }, undefined],
    ['https://harbor.corp/v2/', { HTTPS_PROXY: 'proxy.corp:3128' }, PROXY],
    ['https://harbor.corp/v2/', {}, undefined]
  ])('%s with %j: %s', (url, env, expected) => {
    expect(proxyFor(new URL(url), env)).toBe(expected)
  })

  test.each([
    ['localhost', ''],
    ['127.0.0.1', ''],
    ['127.1.2.3', ''],
    ['[::1]', ''],
    ['harbor.corp', '*'],
    ['harbor.corp', 'harbor.corp'],
    ['harbor.corp', 'HARBOR.CORP'],
    ['registry.harbor.corp', 'harbor.corp'],
    ['registry.harbor.corp', '.harbor.corp'],
    ['registry.harbor.corp', '*.harbor.corp'],
    ['harbor.corp', 'other.org, harbor.corp'],
    ['harbor.corp:8443', 'harbor.corp:8443'],
    ['harbor.corp', 'harbor.corp:443'],
    ['10.1.2.3', '10.0.0.0/8'],
    ['10.1.2.3', '10.1.2.3'],
    ['[fd00::5]', 'fd00::/8'],
    ['[fd00::5]:5000', '[fd00::5]:5000']
  ])('%s goes direct with NO_PROXY=%j', (host, noProxy) => {
    expect(
      proxyFor(new URL(`https://${host}/v2/`), { HTTPS_PROXY: PROXY, NO_PROXY: noProxy })
    ).toBe(undefined)
  })

  test.each([
    ['harbor.corp', 'corp.example'],
    ['harbor.corp', '.harbor.corp'],
    ['harbor.corp', '*.harbor.corp'],
    ['myharbor.corp', 'harbor.corp'],
    ['harbor.corp:8443', 'harbor.corp:443'],
    ['harbor.corp', 'harbor.corp:8443'],
    ['11.1.2.3', '10.0.0.0/8'],
    // Loopback by name only through DNS is not exempt: Go does not resolve names to decide.
    ['localhost.corp', '']
  ])('%s uses the proxy with NO_PROXY=%j', (host, noProxy) => {
    expect(
      proxyFor(new URL(`https://${host}/v2/`), { HTTPS_PROXY: PROXY, NO_PROXY: noProxy })
    ).toBe(PROXY)
  })

  test('no_proxy is read when NO_PROXY is empty', () => {
    expect(
      proxyFor(new URL('https://harbor.corp/'), { HTTPS_PROXY: PROXY, no_proxy: 'harbor.corp' })
    ).toBe(undefined)
  })
})

describe('a proxy the registry requests cannot use', () => {
  test('a SOCKS proxy is named, without its credentials, with the fix', async () => {
    const saved = process.env.HTTPS_PROXY
    process.env.HTTPS_PROXY = 'socks5://user:hunter2@127.0.0.1:1080'
    try {
      const error = await registryFetch('https://harbor.corp.invalid/v2/', {
        tlsVerify: true,
        caFile: ''
      }).catch((caught: unknown) => caught)
      const cause = networkCause(error)
      expect(cause).toBe(
        'the proxy "socks5://127.0.0.1:1080" (HTTPS_PROXY) is not an http:// or https:// proxy, the only kinds harbor-push\'s own registry requests can use: give an HTTP proxy, or list "harbor.corp.invalid" in NO_PROXY'
      )
      expect(cause).not.toContain('hunter2')
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY
      else process.env.HTTPS_PROXY = saved
    }
  })
})
