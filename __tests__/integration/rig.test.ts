/**
 * Proves the integration-test rig: real registries (plain, and htpasswd + TLS), real podman and a
 * private dockerd push to them, the rig reads the pushes back, and stopping leaves nothing behind.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { startDockerd, type Dockerd } from '../../rig/dockerd.js'
import { makeImage, removeImage, toolPath } from '../../rig/images.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { startRegistry, type Registry } from '../../rig/registry.js'
import { mountsUnder, processesMentioning, run } from '../../rig/tools.js'

const REPO = 'apim/apim-le-cache'
const TAG = 'v6.0.0'
const USER = 'robot-rig'
const PASSWORD = crypto.randomBytes(12).toString('hex')

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    return false
  }
}

async function timed<T>(label: string, timings: string[], fn: () => Promise<T>): Promise<T> {
  const start = performance.now()
  const result = await fn()
  timings.push(`${label}: ${Math.round(performance.now() - start)} ms`)
  return result
}

describe('integration rig', () => {
  const timings: string[] = []
  // Local podman images go to the shared store: a unique name keeps parallel runs apart.
  const podmanRef = `localhost/hp-rig-${crypto.randomBytes(4).toString('hex')}/apim-le-cache:${TAG}`
  let plain: Registry | undefined
  let secure: Registry | undefined
  let dockerd: Dockerd | undefined

  beforeAll(async () => {
    plain = await timed('start plain registry', timings, () => startRegistry())
    secure = await timed('start htpasswd+tls registry', timings, () =>
      startRegistry({ users: { [USER]: PASSWORD }, tls: true })
    )
  })

  afterAll(async () => {
    await removeImage('podman', podmanRef).catch(() => undefined)
    await Promise.allSettled([plain?.stop(), secure?.stop(), dockerd?.stop()])
    process.stderr.write(`rig timings:\n  ${timings.join('\n  ')}\n`)
  })

  test('the registries answer with and without auth', async () => {
    if (!plain || !secure) throw new Error('registries did not start')
    expect(plain.url).toBe(`http://${plain.host}`)
    expect(secure.url).toBe(`https://${secure.host}`)
    expect(secure.caFile && fs.existsSync(secure.caFile)).toBe(true)
    expect(await listTags(plain, REPO)).toEqual([])
    expect(await getManifest(plain, REPO, TAG)).toBeUndefined()
    await expect(listTags(secure, REPO)).rejects.toThrow(/HTTP 401/)
    expect(await listTags(secure, REPO, { username: USER, password: PASSWORD })).toEqual([])
  })

  test('podman pushes to both registries; config digest equals the local image ID', async () => {
    if (!plain || !secure?.caFile) throw new Error('registries did not start')
    const podman = toolPath('podman')
    const id = await timed('podman makeImage', timings, () => makeImage('podman', podmanRef))
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/)

    const plainRef = `${plain.host}/${REPO}:${TAG}`
    await timed('podman push plain', timings, () =>
      run(podman, ['push', '--tls-verify=false', podmanRef, plainRef])
    )
    const pushed = await getManifest(plain, REPO, TAG)
    expect(pushed?.configDigest).toBe(id)
    expect(await listTags(plain, REPO)).toEqual([TAG])

    const secureRef = `${secure.host}/${REPO}:${TAG}`
    const certDir = path.dirname(secure.caFile)
    expect(fs.readdirSync(certDir)).toEqual(['ca.crt'])
    // Without trusting the certificate podman fails the way users see it.
    const untrusted = await run(podman, ['push', podmanRef, secureRef], { allowFailure: true })
    expect(untrusted.code).not.toBe(0)
    expect(untrusted.stderr).toMatch(/x509: certificate signed by unknown authority/)

    await timed('podman push tls+auth', timings, () =>
      run(podman, [
        'push',
        '--cert-dir',
        certDir,
        '--creds',
        `${USER}:${PASSWORD}`,
        podmanRef,
        secureRef
      ])
    )
    const auth = { username: USER, password: PASSWORD }
    const securePushed = await getManifest(secure, REPO, TAG, auth)
    expect(securePushed?.configDigest).toBe(id)
    expect(securePushed?.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    await expect(getManifest(secure, REPO, TAG)).rejects.toThrow(/HTTP 401/)
  })

  test('a private dockerd pushes to the plain registry', async () => {
    if (!plain) throw new Error('registry did not start')
    const docker = toolPath('docker')
    const engine = await timed('start dockerd', timings, () => startDockerd())
    dockerd = engine
    expect(engine.host).toBe(`unix://${engine.dir}/docker.sock`)
    expect(engine.env).toEqual({ DOCKER_HOST: engine.host })

    const localRef = `${REPO}:${TAG}`
    const id = await timed('docker makeImage', timings, () =>
      makeImage('docker', localRef, { env: engine.env, sizeBytes: 8192 })
    )
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/)

    const remoteRef = `${plain.host}/${REPO}:docker-${TAG}`
    await run(docker, ['tag', localRef, remoteRef], { env: engine.env })
    await timed('docker push plain', timings, () =>
      run(docker, ['push', remoteRef], { env: engine.env })
    )
    const pushed = await getManifest(plain, REPO, `docker-${TAG}`)
    expect(pushed?.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json')
    expect(pushed?.configDigest).toBe(id)
    expect(await listTags(plain, REPO)).toEqual([`docker-${TAG}`, TAG])

    await removeImage('docker', remoteRef, engine.env)
    await removeImage('docker', remoteRef, engine.env) // already gone: no error
  })

  test('stopping removes every dir, mount and process', async () => {
    if (!plain || !secure || !dockerd) throw new Error('an earlier test did not start everything')
    const all = [plain, secure, dockerd]
    const containerdPidFile = path.join(dockerd.dir, 'exec', 'containerd', 'containerd.pid')
    const containerdPid = Number(fs.readFileSync(containerdPidFile, 'utf8').trim())
    expect(processesMentioning(dockerd.dir).length).toBeGreaterThanOrEqual(2) // dockerd+containerd

    await timed('stop all', timings, () => Promise.all(all.map(s => s.stop())))
    await Promise.all(all.map(s => s.stop())) // idempotent

    for (const s of all) {
      expect(fs.existsSync(s.dir)).toBe(false)
      expect(processesMentioning(s.dir)).toEqual([])
      expect(isAlive(s.pid)).toBe(false)
    }
    expect(isAlive(containerdPid)).toBe(false)
    expect(mountsUnder(dockerd.dir)).toEqual([])
  })
})
