/**
 * The bundled command end to end with real podman against a real registry,
 * with the reference script's documented flag combinations: product defaults
 * (from a defaults file) with -t, several -i, -i with -d. Every pushed
 * reference is read back from the registry's API.
 */
import { execFile } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { bundleNode, filesContaining } from '../../rig/action.js'
import { CommandJob, type JsonReport, expectStatus, jsonReport } from '../../rig/cli.js'
import { makeImage, removeImage } from '../../rig/images.js'
import { getManifest, listTags } from '../../rig/registry-api.js'
import { type Registry, startRegistry } from '../../rig/registry.js'
import { makeShims } from '../../rig/shims.js'

const USER = 'robot$catalog-apps-org-proj+cli'
const PASSWORD = `cli-${crypto.randomBytes(12).toString('hex')}`
const AUTH = { username: USER, password: PASSWORD }
const SECRET_FORMS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')]
// The shared podman store: a unique local path keeps runs apart.
const SOURCE_PATH = `localhost/hp-cli-${crypto.randomBytes(4).toString('hex')}`
const PRODUCT_IMAGES = [
  'apim-le-cache',
  'apim-le-cacheloader-cron',
  'apim-le-toolkit',
  'apim-le-cacheloader',
  'apim-le-trafficmanager',
  'apim-le-platformapi',
  'apim-le-configui'
]

let registry: Registry
let tlsRegistry: Registry
let defaultsFile: string
const ids: Record<string, string> = {}
const jobs: CommandJob[] = []

function job(env: Record<string, string> = {}): CommandJob {
  const created = new CommandJob(env)
  jobs.push(created)
  return created
}

/** The login flags of every run: the user as a flag, the secret on stdin. */
const LOGIN = ['-u', USER, '--password-stdin']

beforeAll(async () => {
  registry = await startRegistry({ users: { [USER]: PASSWORD } })
  tlsRegistry = await startRegistry({ users: { [USER]: PASSWORD }, tls: true })
  for (const image of PRODUCT_IMAGES) {
    ids[image] = await makeImage('podman', `${SOURCE_PATH}/${image}:v6.0.0`)
  }
  // The example product defaults, pointed at this run's local path.
  const example = fileURLToPath(
    new URL('../../examples/apim-product-defaults.env', import.meta.url)
  )
  const text = fs.readFileSync(example, 'utf8')
  expect(text).toMatch(/^SOURCE_PATH=apim$/m)
  defaultsFile = path.join(job().root, 'product-defaults.env')
  fs.writeFileSync(defaultsFile, text.replace(/^SOURCE_PATH=apim$/m, `SOURCE_PATH=${SOURCE_PATH}`))
}, 120_000)

afterAll(async () => {
  for (const image of PRODUCT_IMAGES) await removeImage('podman', `${SOURCE_PATH}/${image}:v6.0.0`)
  await Promise.all([registry?.stop(), tlsRegistry?.stop()])
  for (const created of jobs) created.dispose()
})

/** Every image of the report is in the registry under its digest, and holds the local image. */
async function expectInRegistry(reg: Registry, report: JsonReport): Promise<void> {
  for (const image of report.images) {
    const [, repo, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(image.destination) ?? []
    const manifest = await getManifest(reg, repo, tag, AUTH)
    expect(manifest?.digest).toBe(image.digest)
    expect(manifest?.configDigest).toBe(ids[repo.split('/').pop() ?? ''])
  }
  expect(report.refs).toEqual(report.images.map(image => `${image.destination}@${image.digest}`))
}

describe('the reference script examples, as harbor-push flags', () => {
  test('defaults from the product defaults file, with -t: all seven images', async () => {
    // push-images.sh -r mylocalregistry.mycompany.com/apim-trial -t
    const result = await job().run(
      [
        '-r',
        `${registry.host}/apim-trial`,
        '-t',
        '-c',
        'podman',
        '--defaults-file',
        defaultsFile,
        ...LOGIN,
        '--json'
      ],
      { stdin: `${PASSWORD}\n` }
    )
    expectStatus(result, 0)
    const report = jsonReport(result)
    expect(report.images.map(image => [image.source, image.destination, image.status])).toEqual(
      PRODUCT_IMAGES.map(image => [
        `${SOURCE_PATH}/${image}:v6.0.0`,
        `${registry.host}/apim-trial/${image}:v6.0.0`,
        'pushed'
      ])
    )
    expect(report.counts).toEqual({ pushed: 7, unchanged: 0, skipped: 0, failed: 0 })
    expect(report.charts).toEqual([])
    expect(report.failures).toEqual([])
    await expectInRegistry(registry, report)
    // -c podman won over the file's CONTAINER_TOOL=docker, and the run says what came from the file.
    expect(result.stderr).toContain(
      `Defaults from ${defaultsFile}: images, source-path, source-tag; given explicitly: container-tool`
    )
  })

  test('several -i: only those images', async () => {
    // push-images -r mylocalregistry.mycompany.com/apim-trial -i apim-le-toolkit -i apim-le-cacheloader
    const result = await job().run(
      [
        '-r',
        `${registry.host}/several`,
        '-t',
        '-c',
        'podman',
        '--defaults-file',
        defaultsFile,
        '-i',
        'apim-le-toolkit',
        '-i',
        'apim-le-cacheloader',
        ...LOGIN,
        '--json'
      ],
      { stdin: PASSWORD }
    )
    expectStatus(result, 0)
    const report = jsonReport(result)
    expect(report.images.map(image => image.destination)).toEqual([
      `${registry.host}/several/apim-le-toolkit:v6.0.0`,
      `${registry.host}/several/apim-le-cacheloader:v6.0.0`
    ])
    await expectInRegistry(registry, report)
    expect(await listTags(registry, 'several/apim-le-cache', AUTH)).toEqual([])
  })

  test('-i with -d: the destination tag replaces the source tag', async () => {
    // push-images -r ... -i apim-le-toolkit -i apim-le-cacheloader -d apim-trials
    const result = await job().run(
      [
        '-r',
        `${registry.host}/tagged`,
        '-t',
        '-c',
        'podman',
        '-p',
        SOURCE_PATH,
        '-s',
        'v6.0.0',
        '-i',
        'apim-le-toolkit',
        '-i',
        'apim-le-cacheloader',
        '-d',
        'apim-trials',
        ...LOGIN,
        '--json'
      ],
      { stdin: PASSWORD }
    )
    expectStatus(result, 0)
    const report = jsonReport(result)
    expect(report.images.map(image => [image.source, image.destination])).toEqual([
      [
        `${SOURCE_PATH}/apim-le-toolkit:v6.0.0`,
        `${registry.host}/tagged/apim-le-toolkit:apim-trials`
      ],
      [
        `${SOURCE_PATH}/apim-le-cacheloader:v6.0.0`,
        `${registry.host}/tagged/apim-le-cacheloader:apim-trials`
      ]
    ])
    await expectInRegistry(registry, report)
    expect(await listTags(registry, 'tagged/apim-le-toolkit', AUTH)).toEqual(['apim-trials'])
  })

  test('-t is what lets a self-signed registry through; without it, the TLS advice and status 1', async () => {
    const args = [
      '-r',
      `${tlsRegistry.host}/tls`,
      '-c',
      'podman',
      '-p',
      SOURCE_PATH,
      '-s',
      'v6.0.0',
      '-i',
      'apim-le-cache',
      ...LOGIN
    ]
    const refused = await job().run(args, { stdin: PASSWORD })
    expectStatus(refused, 1)
    expect(refused.stderr).toMatch(
      /TLS certificate of "127\.0\.0\.1:\d+" is not trusted: set ca-file/
    )
    expect(refused.stdout).toBe('')

    const result = await job().run([...args, '-t', '--json'], { stdin: PASSWORD })
    expectStatus(result, 0)
    await expectInRegistry(tlsRegistry, jsonReport(result))
  })
})

describe('human output, secrets and exit statuses', () => {
  test('HARBOR_PASSWORD, progress on stderr, the table on stdout', async () => {
    const result = await job().run(
      [
        '-r',
        `${registry.host}/human/`,
        '-t',
        '-c',
        'podman',
        '-p',
        SOURCE_PATH,
        '-s',
        'v6.0.0',
        '-i',
        'apim-le-cache,apim-le-configui',
        '-d',
        'v6.0.0',
        '-d',
        'stable',
        '-u',
        USER
      ],
      { env: { HARBOR_PASSWORD: PASSWORD } }
    )
    expectStatus(result, 0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^SOURCE +DESTINATION +DIGEST +STATUS +TIME$/)
    expect(lines).toHaveLength(1 + 4 + 2)
    for (const image of ['apim-le-cache', 'apim-le-configui']) {
      for (const tag of ['v6.0.0', 'stable']) {
        const manifest = await getManifest(registry, `human/${image}`, tag, AUTH)
        const row = lines.find(line => line.includes(`${registry.host}/human/${image}:${tag} `))
        expect(row).toMatch(
          new RegExp(
            `^${SOURCE_PATH}/${image}:v6\\.0\\.0 +\\S+ +${(manifest?.digest ?? '-').slice(0, 19)} +pushed +[\\d.]+s$`
          )
        )
      }
    }
    expect(lines.at(-1)).toBe('4 pushed, 0 unchanged, 0 skipped, 0 failed')
    expect(result.stderr).toMatch(/^Using podman version/m)
    // The reference script's "unknown transport" mistake is mended, and the user told so.
    expect(result.stderr).toMatch(
      /^warning: registry "127\.0\.0\.1:\d+\/human\/": dropped the trailing "\/"/m
    )
    expect(result.stderr).toMatch(
      /^pushed 127\.0\.0\.1:\d+\/human\/apim-le-cache:v6\.0\.0 \(\d\/4, [\d.]+s\)$/m
    )
    // Not a terminal: no colours; not GitHub Actions: no workflow commands.
    expect(result.stdout + result.stderr).not.toContain('\u001b[')
    expect(result.stdout + result.stderr).not.toMatch(/^::/m)
  })

  test('the secret is in no argv, output or leftover file; the private login is gone afterwards', async () => {
    const shims = makeShims(['podman'])
    try {
      const runner = job({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` })
      const result = await runner.run(
        [
          '-r',
          `${registry.host}/hygiene`,
          '-t',
          '-c',
          'podman',
          '-p',
          SOURCE_PATH,
          '-s',
          'v6.0.0',
          '-i',
          'apim-le-toolkit',
          ...LOGIN,
          '--json'
        ],
        { stdin: PASSWORD }
      )
      expectStatus(result, 0)
      const calls = shims.calls()
      expect(
        calls.some(call => call.startsWith('podman login') && call.includes('--password-stdin'))
      ).toBe(true)
      expect(calls.some(call => call.startsWith('podman push'))).toBe(true)
      for (const secret of SECRET_FORMS) {
        expect(calls.join('\n')).not.toContain(secret)
        expect(result.stdout).not.toContain(secret)
        expect(result.stderr).not.toContain(secret)
      }
      expect(filesContaining(runner.root, SECRET_FORMS)).toEqual([])
      expect(fs.readdirSync(runner.tmp)).toEqual([])
      expect(filesContaining('/run/containers', SECRET_FORMS)).toEqual([])
    } finally {
      shims.dispose()
    }
  })

  test('stopped by a signal mid-push, it removes the private login before it exits', async () => {
    const shims = makeShims(['podman'])
    const runner = job({ PATH: `${shims.dir}:${process.env.PATH ?? ''}`, HP_SHIM_HANG_ON: 'push' })
    const run = runner.start(
      [
        '-r',
        `${registry.host}/stopped`,
        '-t',
        '-c',
        'podman',
        '-p',
        SOURCE_PATH,
        '-s',
        'v6.0.0',
        '-i',
        'apim-le-cache',
        ...LOGIN
      ],
      { stdin: PASSWORD }
    )
    try {
      const deadline = Date.now() + 60_000
      while (!shims.calls().some(call => call.startsWith('podman push'))) {
        if (Date.now() > deadline) throw new Error(`the push never started:\n${run.output()}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      expect(filesContaining(runner.tmp, SECRET_FORMS)).toHaveLength(1)
      run.signal('SIGTERM')
      const result = await run.wait()
      expect(result.code).toBe(143)
      expect(result.stderr).toContain(
        'harbor-push: stopped by SIGTERM; the private login was removed'
      )
      expect(fs.readdirSync(runner.tmp)).toEqual([])
    } finally {
      run.killGroup()
      shims.dispose()
    }
  })

  test('1: a wrong secret is rejected at login, nothing is pushed, the secret is not printed', async () => {
    const wrong = `wrong-${crypto.randomBytes(8).toString('hex')}`
    const result = await job().run(
      [
        '-r',
        `${registry.host}/wrong`,
        '-t',
        '-c',
        'podman',
        '-p',
        SOURCE_PATH,
        '-s',
        'v6.0.0',
        '-i',
        'apim-le-cache',
        ...LOGIN,
        '--json'
      ],
      { stdin: wrong }
    )
    expectStatus(result, 1)
    expect(result.stderr).toMatch(/rejected .*use the CLI secret from the Harbor user profile/)
    expect(result.stdout).toBe('')
    expect(result.stdout + result.stderr).not.toContain(wrong)
    expect(await listTags(registry, 'wrong/apim-le-cache', AUTH)).toEqual([])
  })

  test.each<[string, string, string[], RegExp]>([
    [
      'a source tag that is not in local storage',
      '<registry>/bad',
      ['-s', 'v9.9.9'],
      /invalid input: .*apim-le-cache:v9\.9\.9" not in local podman storage; check the source tag \/ path \(`podman images`\)/
    ],
    [
      'a "//" in the registry path',
      '<registry>//bad',
      [],
      /invalid input: registry "127\.0\.0\.1:\d+\/\/bad"/
    ],
    [
      '--password',
      '<registry>/bad',
      ['-s', 'v6.0.0', '--password', PASSWORD],
      /--password is refused/
    ]
  ])('2: %s, nothing pushed', async (_label, target, extra, message) => {
    const result = await job().run(
      [
        '-r',
        target.replace('<registry>', registry.host),
        '-t',
        '-c',
        'podman',
        '-p',
        SOURCE_PATH,
        '-i',
        'apim-le-cache',
        '-u',
        USER,
        ...extra
      ],
      { env: { HARBOR_PASSWORD: PASSWORD } }
    )
    expectStatus(result, 2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toContain(PASSWORD)
    expect(await listTags(registry, 'bad/apim-le-cache', AUTH)).toEqual([])
  })

  test.each<[string, string, RegExp]>([
    [
      'an IPv6 registry',
      '[::1]:5000/bad',
      /invalid input: registry "\[::1\]:5000\/bad": "\[::1\]:5000" is an IPv6 address, which podman and helm cannot use in image names; give a host name that resolves to it/
    ],
    [
      'a malformed bracket host',
      '[::1:5000/bad',
      /invalid input: registry "\[::1:5000\/bad": "\[::1:5000" is not a valid host\[:port\]: brackets belong only around an IPv6 address/
    ],
    [
      'an image name over 255 characters',
      `<registry>/${'p'.repeat(250)}`,
      /invalid input: image "apim-le-cache": the destination name "127\.0\.0\.1:\d+\/p+\/apim-le-cache" is 2\d\d characters long; .*at most 255/
    ]
  ])('2 before any tool runs: %s', async (_label, target, message) => {
    const shims = makeShims(['podman'])
    try {
      const result = await job({ PATH: `${shims.dir}:${process.env.PATH ?? ''}` }).run(
        [
          ...['-r', target.replace('<registry>', registry.host), '-t', '-c', 'podman'],
          ...['-p', SOURCE_PATH, '-s', 'v6.0.0', '-i', 'apim-le-cache', '-u', USER]
        ],
        { env: { HARBOR_PASSWORD: PASSWORD } }
      )
      expectStatus(result, 2)
      expect(result.stderr).toMatch(message)
      expect(shims.calls()).toEqual([])
    } finally {
      shims.dispose()
    }
  })

  test('-h: the usage, at once, from the bundle alone (no node_modules), a bin of the package', async () => {
    const bundle = path.resolve(import.meta.dirname, '../../dist/cli')
    const pkg = JSON.parse(fs.readFileSync(path.resolve(bundle, '../../package.json'), 'utf8')) as {
      bin: Record<string, string>
    }
    expect(pkg.bin).toEqual({ 'harbor-push': 'dist/cli/index.js' })
    expect(fs.readFileSync(path.join(bundle, 'index.js'), 'utf8').split('\n')[0]).toBe(
      '#!/usr/bin/env node'
    )
    expect(fs.statSync(path.join(bundle, 'index.js')).mode & 0o111).toBe(0o111)
    expect(fs.existsSync(path.join(bundle, 'licenses.txt'))).toBe(true)

    // A copy of dist/cli far from this repository's node_modules runs as it is.
    const alone = path.join(job().root, 'harbor-push')
    fs.cpSync(bundle, alone, { recursive: true })
    const { stdout: aloneHelp } = await promisify(execFile)(
      bundleNode(),
      [path.join(alone, 'index.js'), '-h'],
      { cwd: alone }
    )
    expect(aloneHelp).toMatch(/^Usage: harbor-push -r <registry>/)

    const result = await job().run(['-h'])
    expectStatus(result, 0)
    expect(result.stdout).toMatch(/^Usage: harbor-push -r <registry>/)
    for (const flag of ['-r', '-c', '-d', '-i', '-p', '-s', '-t', '-h', '-u']) {
      expect(result.stdout).toContain(`  ${flag}, --`)
    }
  })
})
