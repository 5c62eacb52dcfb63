import { describe, expect, test } from '@jest/globals'
import { redactUserinfo, splitUserinfo, userinfoPasswords } from '../../src/redact.js'

describe('redactUserinfo', () => {
  test.each([
    ['https://u:p@mirror.example/helm', 'https://***@mirror.example/helm'],
    [
      'could not download http://u:p%40x@127.0.0.1:8080/a: 401',
      'could not download http://***@127.0.0.1:8080/a: 401'
    ],
    [
      'two: https://a:b@x.example and oci://c@y.example/z',
      'two: https://***@x.example and oci://***@y.example/z'
    ],
    ['no login: https://x.example/a@b', 'no login: https://x.example/a@b'],
    ['image@sha256:abc and user@example.com', 'image@sha256:abc and user@example.com']
  ])('%s', (text, shown) => {
    expect(redactUserinfo(text)).toBe(shown)
  })
})

describe('splitUserinfo', () => {
  test('moves a percent-encoded login into a Basic authorization', () => {
    expect(splitUserinfo('https://mirror%2Buser:p%40ss@mirror.example/helm')).toEqual({
      url: 'https://mirror.example/helm',
      authorization: `Basic ${Buffer.from('mirror+user:p@ss').toString('base64')}`
    })
  })

  test('a URL without a login is left as it is', () => {
    expect(splitUserinfo('https://get.helm.sh')).toEqual({ url: 'https://get.helm.sh' })
  })
})

describe('userinfoPasswords', () => {
  test('finds the password of every URL, as written and decoded, and a scheme-less registry', () => {
    const text = [
      'https://u:p%40ss@x.example/a',
      'robot$p+ci:s3cret@harbor.example/proj',
      'plain'
    ].join('\n')
    expect(userinfoPasswords(text).sort()).toEqual(['p%40ss', 'p@ss', 's3cret'].sort())
  })
})
