/**
 * Proves the Harbor-like rig with real podman before the action is tested
 * against it: token auth through the front, roles enforced by the real
 * registry, the project API, immutable tags.
 */
import crypto from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type Harbor, startHarbor } from '../rig/harbor.js'
import { makeImage, removeImage, toolPath } from '../rig/images.js'
import { run } from '../rig/tools.js'

const WRITER = { username: 'robot$proj+writer', password: crypto.randomBytes(8).toString('hex') }
const READER = { username: 'reader', password: crypto.randomBytes(8).toString('hex') }
const SOURCE = `localhost/hp-harbor-${crypto.randomBytes(4).toString('hex')}/app:v1`

let harbor: Harbor

beforeAll(async () => {
  harbor = await startHarbor({
    accounts: {
      [WRITER.username]: { password: WRITER.password, projects: { proj: ['pull', 'push'] } },
      [READER.username]: { password: READER.password, projects: { proj: ['pull'] } }
    },
    projects: ['hidden'],
    immutable: ['proj/app:release'],
    tls: true
  })
  await makeImage('podman', SOURCE)
})

afterAll(async () => {
  await removeImage('podman', SOURCE)
  await harbor?.stop()
})

async function podmanPush(account: { username: string; password: string }, destination: string) {
  return run(
    toolPath('podman'),
    [
      'push',
      '--cert-dir',
      harbor.caFile?.replace(/\/ca\.crt$/, '') ?? '',
      '--creds',
      `${account.username}:${account.password}`,
      SOURCE,
      `docker://${harbor.host}/${destination}`
    ],
    { allowFailure: true }
  )
}

async function api(path: string, account: { username: string; password: string }) {
  const response = await run(
    'curl',
    [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--cacert',
      harbor.caFile ?? '',
      '-u',
      `${account.username}:${account.password}`,
      `${harbor.url}${path}`
    ],
    { allowFailure: true }
  )
  return response.stdout
}

describe('the Harbor-like rig', () => {
  test('a read-write account pushes through the token service', async () => {
    const result = await podmanPush(WRITER, 'proj/app:v1')
    expect(result.stderr).not.toMatch(/denied|unauthorized/i)
    expect(result.code).toBe(0)
    expect(harbor.tokenRequests.some(entry => entry.granted.includes('proj/app:pull,push'))).toBe(
      true
    )
  })

  test('a read-only account is denied by the registry', async () => {
    const result = await podmanPush(READER, 'proj/app:v2')
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/denied|unauthorized|authentication required/i)
  })

  test('a wrong secret is refused by the token service', async () => {
    const result = await podmanPush({ ...WRITER, password: 'wrong' }, 'proj/app:v3')
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/invalid username\/password|unauthorized/i)
  })

  test('an immutable tag answers 412', async () => {
    const result = await podmanPush(WRITER, 'proj/app:release')
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/412|immutable|Precondition/i)
  })

  test('the project API knows members, hidden and missing projects', async () => {
    expect(await api('/api/v2.0/projects/proj', WRITER)).toBe('200')
    expect(await api('/api/v2.0/projects/hidden', WRITER)).toBe('403')
    expect(await api('/api/v2.0/projects/nope', WRITER)).toBe('404')
    expect(await api('/api/v2.0/projects/proj', { ...WRITER, password: 'x' })).toBe('401')
  })
})
