import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import {
  checkRegistriesConfDropIns,
  credentialHelpersOf,
  writeAuthFileOnlyRegistriesConf,
  writeFileOnlyAuthConfig
} from '../../src/tools/credential-helpers.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-cred-helpers-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

describe('writeFileOnlyAuthConfig', () => {
  test('names the registry with an empty helper, 0600 in a 0700 folder', () => {
    const file = path.join(root, 'docker', 'config.json')
    writeFileOnlyAuthConfig(file, '127.0.0.1:5000')
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
      auths: {},
      credHelpers: { '127.0.0.1:5000': '' }
    })
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
  })
})

describe('writeAuthFileOnlyRegistriesConf', () => {
  test("keeps the machine's settings and puts the auth file alone in credential-helpers", () => {
    const source = path.join(root, 'source.conf')
    fs.writeFileSync(
      source,
      [
        'unqualified-search-registries = ["docker.io"]',
        'credential-helpers = [',
        '  "secretservice",',
        '  "containers-auth.json",',
        ']',
        '[[registry]]',
        'location = "registry.example.com"',
        'insecure = true',
        ''
      ].join('\n')
    )
    const file = path.join(root, 'private', 'registries.conf')
    writeAuthFileOnlyRegistriesConf(file, { CONTAINERS_REGISTRIES_CONF: source })
    const text = fs.readFileSync(file, 'utf8')
    expect(credentialHelpersOf(text)).toEqual(['containers-auth.json'])
    expect(text.match(/credential-helpers/g)).toHaveLength(1)
    expect(text).toContain('unqualified-search-registries = ["docker.io"]')
    expect(text).toContain('location = "registry.example.com"')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
  })
})

describe('checkRegistriesConfDropIns', () => {
  const home = path.join(root, 'home')
  const dropIns = path.join(home, '.config/containers/registries.conf.d')
  fs.mkdirSync(dropIns, { recursive: true })

  test.each([
    ['credential-helpers = ["secretservice"]', 'secretservice'],
    ['credential-helpers = [ "pass", "containers-auth.json" ]', 'pass']
  ])('refuses a drop-in with %s, naming the helper and the file', (line, helper) => {
    const file = path.join(dropIns, '50-helpers.conf')
    fs.writeFileSync(file, `${line}\n`)
    let error: unknown
    try {
      checkRegistriesConfDropIns({ HOME: home })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as Error).message).toContain(`credential helper "${helper}"`)
    expect((error as Error).message).toContain(file)
  })

  test('looks in XDG_CONFIG_HOME too (newer podman reads the user configuration there)', () => {
    const xdg = path.join(root, 'xdg')
    const file = path.join(xdg, 'containers/registries.conf.d/10-pass.conf')
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, 'credential-helpers = ["pass"]\n')
    expect(() =>
      checkRegistriesConfDropIns({ HOME: path.join(root, 'empty-home'), XDG_CONFIG_HOME: xdg })
    ).toThrow(/credential helper "pass"/)
  })

  test('accepts drop-ins that keep the auth file first, or set no helpers', () => {
    fs.writeFileSync(
      path.join(dropIns, '50-helpers.conf'),
      'credential-helpers = ["containers-auth.json", "secretservice"]\n'
    )
    fs.writeFileSync(path.join(dropIns, '60-other.conf'), '[[registry]]\nlocation = "x.example"\n')
    expect(() => checkRegistriesConfDropIns({ HOME: home })).not.toThrow()
  })
})
