/**
 * The command's front end with the core replaced: flags to raw inputs, the
 * secret's way in, exit statuses, the report on stdout, masking. The real
 * core against a real registry is in integration/cli-podman.test.ts.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import type { Log } from '../../src/log.js'
import type { RunHooks } from '../../src/push/harbor-push.js'
import type { Report } from '../../src/push/results.js'
import type { Settings } from '../../src/settings/settings.js'
import { runnerCommands } from '../../rig/runner-commands.js'

const harborPush = jest.fn<(settings: Settings, log: Log, hooks?: RunHooks) => Promise<Report>>()
jest.unstable_mockModule('../../src/push/harbor-push.js', () => ({ harborPush }))
const { runCli, EXIT } = await import('../../src/cli/main.js')
const { FLAGS, parseCommandLine, usage } = await import('../../src/cli/args.js')
const { ACTION_ONLY_INPUTS, INPUT_NAMES } = await import('../../src/runner/inputs.js')
const { divertWrites } = await import('../../src/cli/terminal.js')

const USERNAME = 'robot$catalog-apps-org-proj+ci'
const SECRET = 'cli-Secret-7Hq2'
const BASE64 = Buffer.from(`${USERNAME}:${SECRET}`).toString('base64')
const DIGEST = `sha256:${'4f'.repeat(32)}`
const REGISTRY = 'registry-oci.example.com/catalog-apps-org-proj'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hp-cli-'))
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

/** Plays process.stdout, which library code writes to behind the command's back. */
const processStdout = {
  written: '',
  write(text: string): boolean {
    this.written += text
    return true
  }
}

interface Ran {
  code: number
  stdout: string
  stderr: string
}

/** Runs the command in-process with collected streams. */
async function cli(
  argv: string[],
  {
    stdin = '',
    env = {},
    tty = false
  }: { stdin?: string; env?: Record<string, string>; tty?: boolean } = {}
): Promise<Ran> {
  let stdout = ''
  let stderr = ''
  const input = Object.assign(Readable.from(stdin ? [Buffer.from(stdin)] : []), { isTTY: tty })
  const code = await runCli(argv, {
    stdin: input,
    stdout: { write: (text: string) => (stdout += text), isTTY: tty },
    stderr: { write: (text: string) => (stderr += text), isTTY: tty },
    env,
    divertStdout: sink => divertWrites(processStdout, sink)
  })
  return { code, stdout, stderr }
}

function report(statuses: ('pushed' | 'failed')[] = ['pushed']): Report {
  return {
    images: statuses.map((status, index) => ({
      source: `apim/apim-le-cache:v6.0.0`,
      destination: `${REGISTRY}/apim-le-cache:${index === 0 ? 'v6.0.0' : `t${index}`}`,
      digest: status === 'failed' ? '' : DIGEST,
      status,
      ...(status === 'failed'
        ? { error: `login for ${USERNAME} with ${SECRET} (${BASE64}) broke` }
        : {}),
      seconds: 1.5
    })),
    charts: []
  }
}

beforeEach(() => {
  harborPush.mockReset()
  harborPush.mockImplementation((_settings, log) => {
    log.info('Pushing apim/apim-le-cache:v6.0.0 -> ...')
    log.group(`pushed ${REGISTRY}/apim-le-cache:v6.0.0 (1/1, 1.5s)`, [
      `source:      apim/apim-le-cache:v6.0.0`,
      `digest:      ${DIGEST}`,
      'attempt 1 failed, retried after 1000 ms: connection reset'
    ])
    return Promise.resolve(report())
  })
})

describe('flags', () => {
  test('the script flags set the inputs of the same meaning', () => {
    const { inputs } = parseCommandLine([
      '-r',
      REGISTRY,
      '-c',
      'podman',
      '-i',
      'apim-le-cache',
      '-i',
      'apim-le-toolkit',
      '-p',
      'apim',
      '-s',
      'v6.0.0',
      '-d',
      'v6.0.0',
      '-d',
      'stable',
      '-t',
      '-u',
      USERNAME
    ])
    expect(inputs).toEqual({
      registry: REGISTRY,
      'container-tool': 'podman',
      images: 'apim-le-cache\napim-le-toolkit',
      'source-path': 'apim',
      'source-tag': 'v6.0.0',
      'destination-tag': 'v6.0.0\nstable',
      'tls-verify': 'false',
      username: USERNAME
    })
  })

  test('every long flag has the name of its action input', () => {
    const { inputs } = parseCommandLine([
      '--registry=r.example.com',
      '--images',
      'a b',
      '--ca-file',
      'ca.pem',
      '--charts',
      'c1',
      '--charts',
      'c2',
      '--chart-version',
      '1.0.0',
      '--chart-app-version',
      '2',
      '--helm-version',
      'v3.17.3',
      '--helm-download-url',
      'https://mirror',
      '--if-exists',
      'skip',
      '--parallel',
      '4',
      '--retries',
      '0',
      '--dry-run',
      '--summary',
      'false',
      '--defaults-file',
      'p.env',
      '--tls-verify',
      'true',
      '--container-tool',
      'docker',
      '--source-path',
      'p',
      '--source-tag',
      's',
      '--destination-tag',
      'd',
      '--username',
      'u'
    ])
    expect(inputs).toEqual({
      registry: 'r.example.com',
      images: 'a b',
      'ca-file': 'ca.pem',
      charts: 'c1\nc2',
      'chart-version': '1.0.0',
      'chart-app-version': '2',
      'helm-version': 'v3.17.3',
      'helm-download-url': 'https://mirror',
      'if-exists': 'skip',
      parallel: '4',
      retries: '0',
      'dry-run': 'true',
      summary: 'false',
      'defaults-file': 'p.env',
      'tls-verify': 'true',
      'container-tool': 'docker',
      'source-path': 'p',
      'source-tag': 's',
      'destination-tag': 'd',
      username: 'u'
    })
  })

  test('every action input but password is a long flag; the command adds its own', () => {
    const inputFlags = FLAGS.filter(flag => flag.input).map(flag => flag.long)
    expect([...inputFlags].sort()).toEqual(
      INPUT_NAMES.filter(
        name =>
          name !== 'password' && name !== 'source-password' && !ACTION_ONLY_INPUTS.includes(name)
      ).sort()
    )
    expect(FLAGS.filter(flag => !flag.input).map(flag => flag.long)).toEqual([
      'no-tls-verify',
      'password-stdin',
      'source-password-stdin',
      'json',
      'subject-checksums',
      'help'
    ])
  })

  test('the usage lists every flag and the script letters', () => {
    const text = usage()
    for (const flag of FLAGS) {
      expect(text).toContain(`--${flag.long}${flag.value ? ` <${flag.value}>` : ''}`)
      if (flag.short) expect(text).toContain(`-${flag.short}, --${flag.long}`)
    }
    expect(FLAGS.filter(flag => flag.short).map(flag => flag.short)).toEqual(
      expect.arrayContaining(['r', 'c', 'd', 'i', 'p', 's', 't', 'h', 'u'])
    )
  })

  test('the README shows this usage, word for word', () => {
    const readme = fs.readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8')
    expect(readme).toContain(`\`\`\`text\n${usage()}\n\`\`\``)
  })

  test.each<[string, string[], string]>([
    ['--dry-run alone', ['--dry-run', '-r', 'x'], 'true'],
    ['--dry-run false', ['--dry-run', 'false'], 'false'],
    ['--dry-run=FALSE', ['--dry-run=FALSE'], 'FALSE'],
    ['--dry-run last', ['-r', 'x', '--dry-run'], 'true']
  ])('a true/false input: %s', (_label, argv, value) => {
    expect(parseCommandLine(argv).inputs['dry-run']).toBe(value)
  })

  test.each<[string, string[], RegExp]>([
    [
      'a flag given twice that takes one value',
      ['-r', 'a', '-r', 'b'],
      /-r\/--registry was given 2 times; give it once/
    ],
    [
      '-t with --tls-verify true',
      ['-t', '--tls-verify', 'true'],
      /-t \(do not verify TLS\) and --tls-verify true contradict/
    ],
    [
      '--subject-checksums twice',
      ['--subject-checksums', 'a', '--subject-checksums', 'b'],
      /--subject-checksums was given 2 times; give it once/
    ],
    [
      '--subject-checksums empty',
      ['--subject-checksums', ' '],
      /--subject-checksums needs a file name/
    ],
    ['an unknown flag', ['--registy', 'x'], /Unknown option '--registy'; see harbor-push -h/],
    ['a missing value', ['-r'], /Option '-r, --registry <value>' argument missing/],
    [
      'a bare word',
      ['-r', 'x', 'apim-le-cache'],
      /unexpected argument: the command takes no bare words; images are given with -i/
    ]
  ])('refuses %s', (_label, argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message)
  })
})

describe('exit statuses and output', () => {
  const base = ['-r', REGISTRY, '-i', 'apim-le-cache', '-s', 'v6.0.0', '-p', 'apim', '-c', 'podman']

  test('0: everything pushed; progress on stderr, the table on stdout', async () => {
    const ran = await cli(base)
    expect(ran.code).toBe(EXIT.ok)
    // The table has source, destination and digest; the progress block keeps only what it adds.
    expect(ran.stderr).toBe(
      [
        'Pushing apim/apim-le-cache:v6.0.0 -> ...',
        `pushed ${REGISTRY}/apim-le-cache:v6.0.0 (1/1, 1.5s)`,
        '    attempt 1 failed, retried after 1000 ms: connection reset',
        ''
      ].join('\n')
    )
    const destination = `${REGISTRY}/apim-le-cache:v6.0.0`
    expect(ran.stdout.split('\n')).toEqual([
      `SOURCE                     ${'DESTINATION'.padEnd(destination.length)}  DIGEST               STATUS  TIME`,
      `apim/apim-le-cache:v6.0.0  ${destination}  sha256:4f4f4f4f4f4f  pushed  1.5s`,
      '',
      '1 pushed, 0 unchanged, 0 skipped, 0 failed',
      ''
    ])
    // No colour codes and no workflow commands when not on a terminal nor in GitHub Actions.
    expect(ran.stdout + ran.stderr).not.toContain('\u001b[')
    expect(ran.stdout + ran.stderr).not.toContain('::')
    const [settings] = harborPush.mock.calls[0]
    expect(settings).toMatchObject({ containerTool: 'podman', sourcePath: 'apim' })
    expect(settings.credentials).toBeUndefined()
  })

  test('on a terminal the statuses are coloured, unless NO_COLOR', async () => {
    expect((await cli(base, { tty: true })).stdout).toContain('\u001b[32mpushed')
    expect((await cli(base, { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[')
  })

  test('--summary false: the count line only', async () => {
    const ran = await cli([...base, '--summary', 'false'])
    expect(ran.stdout).toBe('1 pushed, 0 unchanged, 0 skipped, 0 failed\n')
  })

  test("--subject-checksums FILE: the action's subject lines in FILE, also when a push failed", async () => {
    harborPush.mockResolvedValue(report(['pushed', 'failed']))
    const file = path.join(root, 'subjects.sha256')
    fs.writeFileSync(file, 'left from an earlier run\n')
    const ran = await cli([...base, '--subject-checksums', file, '-u', USERNAME], {
      env: { HARBOR_PASSWORD: SECRET }
    })
    expect(ran.code).toBe(EXIT.failed)
    expect(fs.readFileSync(file, 'utf8')).toBe(
      `${'4f'.repeat(32)}  ${REGISTRY}/apim-le-cache${os.EOL}`
    )

    // Nothing in the registry: the file is emptied, not left holding an earlier run's lines.
    harborPush.mockResolvedValue(report(['failed']))
    expect((await cli([...base, '--subject-checksums', file])).code).toBe(EXIT.failed)
    expect(fs.readFileSync(file, 'utf8')).toBe('')
  })

  test.each<[string, (dir: string) => string, RegExp]>([
    [
      'a folder that does not exist',
      dir => path.join(dir, 'missing', 'subjects.sha256'),
      /--subject-checksums ".*missing\/subjects\.sha256": the folder ".*missing" does not exist or may not be written/
    ],
    ['a folder', dir => dir, /--subject-checksums ".*" is a folder; name a file/]
  ])(
    '--subject-checksums naming %s is bad input: nothing is pushed',
    async (_label, fileIn, message) => {
      const ran = await cli([...base, '--subject-checksums', fileIn(root)])
      expect(ran.code).toBe(EXIT.badInput)
      expect(ran.stderr).toMatch(message)
      expect(harborPush).not.toHaveBeenCalled()
    }
  )

  test('--json: the action outputs, refs as a list, counts and failures; nothing else on stdout', async () => {
    harborPush.mockResolvedValue(report(['pushed', 'failed']))
    const ran = await cli([...base, '--json', '-u', USERNAME], { env: { HARBOR_PASSWORD: SECRET } })
    expect(ran.code).toBe(EXIT.failed)
    const json: unknown = JSON.parse(ran.stdout)
    expect(json).toEqual({
      images: [
        {
          source: 'apim/apim-le-cache:v6.0.0',
          destination: `${REGISTRY}/apim-le-cache:v6.0.0`,
          digest: DIGEST,
          status: 'pushed'
        },
        {
          source: 'apim/apim-le-cache:v6.0.0',
          destination: `${REGISTRY}/apim-le-cache:t1`,
          digest: '',
          status: 'failed'
        }
      ],
      charts: [],
      refs: [`${REGISTRY}/apim-le-cache:v6.0.0@${DIGEST}`],
      subjectChecksums: [`${'4f'.repeat(32)}  ${REGISTRY}/apim-le-cache`],
      counts: { pushed: 1, unchanged: 0, skipped: 0, failed: 1 },
      failures: [
        {
          reference: `${REGISTRY}/apim-le-cache:t1`,
          error: `login for ${USERNAME} with *** (***) broke`
        }
      ]
    })
    expect(ran.stderr).toContain(`1 of 2 pushes failed:\n- ${REGISTRY}/apim-le-cache:t1: login for`)
    expect(ran.stdout + ran.stderr).not.toContain(SECRET)
    expect(ran.stdout + ran.stderr).not.toContain(BASE64)
  })

  test('1: a failure the core throws (a rejected login), with its words', async () => {
    harborPush.mockRejectedValue(new Error(`login to "registry-oci.example.com" rejected`))
    const ran = await cli([...base, '-u', USERNAME], { env: { HARBOR_PASSWORD: SECRET } })
    expect(ran.code).toBe(EXIT.failed)
    expect(ran.stderr).toBe('harbor-push: login to "registry-oci.example.com" rejected\n')
    expect(ran.stdout).toBe('')
  })

  test.each<[string, string[], Record<string, string>, RegExp]>([
    [
      'a bad tag',
      [...base, '--destination-tag=-bad'],
      {},
      /invalid input: destination-tag "-bad" is not a valid tag/
    ],
    ['an unknown flag', [...base, '--nope'], {}, /invalid input: Unknown option '--nope'/],
    ['a missing registry', ['-i', 'a:v1'], {}, /invalid input: "registry" is required/],
    [
      'a secret without a user',
      base,
      { HARBOR_PASSWORD: SECRET },
      /a secret was given \(HARBOR_PASSWORD\) but no -u\/--username and no HARBOR_USERNAME: give the Harbor user or the robot account \(robot\$<project>\+<name>\) with -u, or set HARBOR_USERNAME/
    ],
    [
      'a user without a secret',
      [...base, '-u', USERNAME],
      {},
      /-u\/--username "robot\$catalog-apps-org-proj\+ci" was given without a secret: pipe the CLI secret to --password-stdin, or set HARBOR_PASSWORD/
    ],
    [
      'a defaults file with an unknown key',
      [...base, '--defaults-file', '<bad>'],
      {},
      /invalid input: defaults-file .*bad\.env:1: unknown key "VERSION"/
    ]
  ])('2: %s, before the core runs', async (_label, argv, env, message) => {
    const bad = path.join(root, 'bad.env')
    fs.writeFileSync(bad, 'VERSION=1\n')
    const ran = await cli(
      argv.map(arg => (arg === '<bad>' ? bad : arg)),
      { env }
    )
    expect(ran.code).toBe(EXIT.badInput)
    expect(ran.stderr).toMatch(message)
    expect(ran.stdout).toBe('')
    expect(harborPush).not.toHaveBeenCalled()
  })

  test('-h prints the usage on stdout; no arguments print it on stderr with status 2', async () => {
    const help = await cli(['-h'])
    expect(help).toEqual({ code: 0, stdout: `${usage()}\n`, stderr: '' })
    const none = await cli([])
    expect(none).toEqual({ code: 2, stdout: '', stderr: `${usage()}\n` })
  })
})

describe('stdout holds the report only', () => {
  const base = ['-r', REGISTRY, '-i', 'a:v1', '--json']
  const library = (): void => {
    processStdout.write('::debug::Search path /charts\n')
    processStdout.write('Downloading helm\n::warning::slow mirror\n')
  }

  test('what libraries print goes to stderr; their workflow commands only in GitHub Actions', async () => {
    harborPush.mockImplementation(() => {
      library()
      return Promise.resolve(report())
    })
    processStdout.written = ''
    const ran = await cli(base)
    expect(ran.code).toBe(EXIT.ok)
    expect(JSON.parse(ran.stdout)).toMatchObject({ counts: { pushed: 1 } })
    expect(ran.stderr).toBe('Downloading helm\nwarning: slow mirror\n')
    expect(processStdout.written).toBe('')

    const inActions = await cli(base, { env: { GITHUB_ACTIONS: 'true' } })
    expect(inActions.stderr).toBe(
      '::debug::Search path /charts\nDownloading helm\n::warning::slow mirror\n'
    )
    // Once the command is done, the stream is the stream again.
    processStdout.write('after\n')
    expect(processStdout.written).toBe('after\n')
  })

  test('in GitHub Actions, outside text on stderr is fenced so the runner does not obey it', async () => {
    const hostile = [
      'error:  rejected',
      '::error title=x::injected',
      'a ##[set-output name=refs;]x'
    ]
    harborPush.mockImplementation((_settings: unknown, log: Log) => {
      log.group('failed registry.example.com/p/app:v1', hostile)
      log.info('::save-state name=privateDir::/')
      return Promise.resolve(report())
    })
    const inActions = await cli(base, { env: { GITHUB_ACTIONS: 'true' } })
    expect(inActions.code).toBe(EXIT.ok)
    for (const line of hostile) expect(inActions.stderr).toContain(line)
    expect(runnerCommands(inActions.stderr)).toEqual([])
    // Outside GitHub Actions nobody reads commands: the text is printed as it is.
    const outside = await cli(base)
    expect(outside.stderr).not.toContain('::stop-commands::')
    expect(outside.stderr).toContain('::save-state name=privateDir::/')
  })

  test('divertWrites calls a write callback and restores the write it replaced', () => {
    const seen: string[] = []
    const stream = { write: (): boolean => false }
    const original = stream.write
    const restore = divertWrites(stream, text => seen.push(text))
    const done = jest.fn()
    expect(
      (stream.write as (chunk: unknown, cb: () => void) => boolean)(Buffer.from('x'), done)
    ).toBe(true)
    expect(seen).toEqual(['x'])
    restore()
    expect(stream.write).toBe(original)
    return new Promise<void>(resolve => process.nextTick(resolve)).then(() => {
      expect(done).toHaveBeenCalled()
    })
  })
})

describe('the secret', () => {
  const base = ['-r', REGISTRY, '-i', 'a:v1', '-u', USERNAME]

  test('--password is refused, saying why, and its value is not echoed', async () => {
    for (const argv of [
      [...base, '--password', SECRET],
      [...base, `--password=${SECRET}`]
    ]) {
      const ran = await cli(argv)
      expect(ran.code).toBe(EXIT.badInput)
      expect(ran.stderr).toContain(
        '--password is refused: a secret on the command line is visible to other users (ps, /proc/<pid>/cmdline) and stays in the shell history. Pipe it to --password-stdin, or set HARBOR_PASSWORD'
      )
      expect(ran.stderr).not.toContain(SECRET)
    }
  })

  test('--password-stdin: read from stdin, one trailing newline dropped', async () => {
    const ran = await cli([...base, '--password-stdin'], { stdin: `${SECRET}\r\n` })
    expect(ran.code).toBe(EXIT.ok)
    expect(harborPush.mock.calls[0][0].credentials).toEqual({
      username: USERNAME,
      password: SECRET
    })
  })

  test('--password-stdin wins over HARBOR_PASSWORD, with a warning', async () => {
    const ran = await cli([...base, '--password-stdin'], {
      stdin: SECRET,
      env: { HARBOR_PASSWORD: 'other-secret' }
    })
    expect(ran.code).toBe(EXIT.ok)
    expect(ran.stderr).toContain('warning: HARBOR_PASSWORD is ignored: --password-stdin was given')
    expect(harborPush.mock.calls[0][0].credentials?.password).toBe(SECRET)
  })

  test('HARBOR_PASSWORD without --password-stdin', async () => {
    expect((await cli(base, { env: { HARBOR_PASSWORD: SECRET } })).code).toBe(EXIT.ok)
    expect(harborPush.mock.calls[0][0].credentials?.password).toBe(SECRET)
  })

  test.each<[string, { stdin?: string; tty?: boolean }, RegExp]>([
    [
      'stdin is a terminal',
      { tty: true },
      /--password-stdin reads the secret from a pipe or a file, and standard input is a terminal/
    ],
    ['stdin is empty', { stdin: '\n' }, /--password-stdin: standard input was empty/]
  ])('--password-stdin when %s is bad input', async (_label, options, message) => {
    const ran = await cli([...base, '--password-stdin'], options)
    expect(ran.code).toBe(EXIT.badInput)
    expect(ran.stderr).toMatch(message)
  })

  test('whatever the core prints, the secret and its base64 form come out as ***', async () => {
    harborPush.mockImplementation((_settings, log) => {
      log.info(`info ${SECRET}`)
      log.warning(`warning ${BASE64}`)
      log.group(`pushed ${SECRET}`, [`line ${BASE64}`])
      return Promise.reject(new Error(`failed with ${SECRET}`))
    })
    const ran = await cli(base, { stdin: SECRET, env: { HARBOR_PASSWORD: SECRET } })
    expect(ran.code).toBe(EXIT.failed)
    expect(ran.stderr).toBe(
      [
        'info ***',
        'warning: warning ***',
        'pushed ***',
        '    line ***',
        'harbor-push: failed with ***',
        ''
      ].join('\n')
    )
  })

  test('in GitHub Actions (only there) the forms are handed to the runner masking, on stderr', async () => {
    const ran = await cli([...base, '--json'], {
      env: { HARBOR_PASSWORD: SECRET, GITHUB_ACTIONS: 'true' }
    })
    expect(ran.code).toBe(EXIT.ok)
    expect(ran.stderr.split('\n').filter(line => line.startsWith('::'))).toEqual([
      `::add-mask::${SECRET}`,
      `::add-mask::${BASE64}`
    ])
    expect(() => JSON.parse(ran.stdout) as unknown).not.toThrow()
    const piped = await cli([...base, '--password-stdin'], {
      stdin: `${SECRET}\n`,
      env: { GITHUB_ACTIONS: 'true' }
    })
    expect(piped.stderr.split('\n').filter(line => line.startsWith('::'))).toEqual([
      `::add-mask::${SECRET}`,
      `::add-mask::${BASE64}`
    ])
    const outside = await cli([...base, '--json'], { env: { HARBOR_PASSWORD: SECRET } })
    expect(outside.stderr).not.toContain('::')
  })
})

describe('the source secret (docker:// sources)', () => {
  const SOURCE_USER = 'staging-puller'
  const SOURCE_SECRET = 'pull-Secret-9Xy'
  const SOURCE_BASE64 = Buffer.from(`${SOURCE_USER}:${SOURCE_SECRET}`).toString('base64')
  const base = [
    '-r',
    REGISTRY,
    '-i',
    'docker://staging.example.com/staging/app:v1',
    '--source-username',
    SOURCE_USER
  ]

  test('HARBOR_SOURCE_PASSWORD: the source login, apart from the destination one', async () => {
    const ran = await cli([...base, '-u', USERNAME], {
      env: { HARBOR_PASSWORD: SECRET, HARBOR_SOURCE_PASSWORD: SOURCE_SECRET }
    })
    expect(ran.code).toBe(EXIT.ok)
    const settings = harborPush.mock.calls[0][0]
    expect(settings.sourceCredentials).toEqual({ username: SOURCE_USER, password: SOURCE_SECRET })
    expect(settings.credentials).toEqual({ username: USERNAME, password: SECRET })
  })

  test('--source-password-stdin reads it from stdin, one final newline dropped', async () => {
    const ran = await cli([...base, '--source-password-stdin'], { stdin: `${SOURCE_SECRET}\n` })
    expect(ran.code).toBe(EXIT.ok)
    expect(harborPush.mock.calls[0][0].sourceCredentials?.password).toBe(SOURCE_SECRET)
  })

  test('--password-stdin and --source-password-stdin together: bad input, nothing run', async () => {
    const ran = await cli(
      [...base, '-u', USERNAME, '--password-stdin', '--source-password-stdin'],
      {
        stdin: SECRET
      }
    )
    expect(ran.code).toBe(EXIT.badInput)
    expect(ran.stderr).toMatch(/--password-stdin and --source-password-stdin were both given/)
    expect(harborPush).not.toHaveBeenCalled()
  })

  test('--source-password is refused, saying why, and its value is not echoed', async () => {
    for (const argv of [
      [...base, '--source-password', SOURCE_SECRET],
      [...base, `--source-password=${SOURCE_SECRET}`]
    ]) {
      const ran = await cli(argv)
      expect(ran.code).toBe(EXIT.badInput)
      expect(ran.stderr).toMatch(
        /--source-password is refused: .* Pipe it to --source-password-stdin, or set HARBOR_SOURCE_PASSWORD/
      )
      expect(ran.stderr).not.toContain(SOURCE_SECRET)
    }
  })

  test.each<[string, string[], Record<string, string>, RegExp]>([
    [
      '--source-username without a secret',
      base,
      {},
      /--source-username "staging-puller" was given without a secret: .*HARBOR_SOURCE_PASSWORD/
    ],
    [
      'a source secret without --source-username',
      ['-r', REGISTRY, '-i', 'docker://s.example.com/s/app:v1'],
      { HARBOR_SOURCE_PASSWORD: SOURCE_SECRET },
      /a source secret was given \(HARBOR_SOURCE_PASSWORD\) but no --source-username/
    ]
  ])('%s: bad input', async (_label, argv, env, message) => {
    const ran = await cli(argv, { env })
    expect(ran.code).toBe(EXIT.badInput)
    expect(ran.stderr).toMatch(message)
    expect(ran.stderr).not.toContain(SOURCE_SECRET)
  })

  test('whatever the core prints, the source secret and its base64 form come out as ***', async () => {
    harborPush.mockImplementation((_settings, log) => {
      log.info(`info ${SOURCE_SECRET}`)
      log.warning(`warning ${SOURCE_BASE64}`)
      return Promise.reject(new Error(`failed with ${SOURCE_SECRET}`))
    })
    const ran = await cli(base, { env: { HARBOR_SOURCE_PASSWORD: SOURCE_SECRET } })
    expect(ran.code).toBe(EXIT.failed)
    expect(ran.stderr).toBe(
      ['info ***', 'warning: warning ***', 'harbor-push: failed with ***', ''].join('\n')
    )
  })
})

describe("GitLab's Harbor variables", () => {
  const HOST = 'registry-oci.example.com'
  const PROJECT = 'catalog-apps-org-proj'
  const GITLAB = {
    HARBOR_HOST: `https://${HOST}`,
    HARBOR_PROJECT: PROJECT,
    HARBOR_USERNAME: USERNAME,
    HARBOR_PASSWORD: SECRET
  }

  test('all four, no -r nor -u: the registry, the user and the secret from them; the secret never shown', async () => {
    const ran = await cli(['-i', 'a:v1'], { env: GITLAB })
    expect(ran.code).toBe(EXIT.ok)
    const settings = harborPush.mock.calls[0][0]
    expect(settings.registry).toEqual({ host: HOST, path: PROJECT, prefix: `${HOST}/${PROJECT}` })
    expect(settings.credentials).toEqual({ username: USERNAME, password: SECRET })
    expect(ran.stderr).toContain(
      `warning: HARBOR_HOST: registry "https://${HOST}": dropped the scheme "https://"; registries are given as host[:port][/path]`
    )
    expect(ran.stderr).toContain(
      `From the Harbor variables: registry ${HOST}/${PROJECT} (HARBOR_HOST, HARBOR_PROJECT); username ${USERNAME} (HARBOR_USERNAME)`
    )
    expect(ran.stderr + ran.stdout).not.toContain(SECRET)
  })

  test('flags win: -r, -u and --password-stdin over all four', async () => {
    const ran = await cli(
      ['-r', 'other.example.com/team', '-u', 'someone', '--password-stdin', '-i', 'a:v1'],
      { env: GITLAB, stdin: 'piped-secret' }
    )
    expect(ran.code).toBe(EXIT.ok)
    const settings = harborPush.mock.calls[0][0]
    expect(settings.registry.prefix).toBe('other.example.com/team')
    expect(settings.credentials).toEqual({ username: 'someone', password: 'piped-secret' })
  })

  test("the variables win over the defaults file's REGISTRY (flags, then variables, then the file)", async () => {
    const file = path.join(root, 'registry.env')
    fs.writeFileSync(file, 'REGISTRY=file.example.com/from-file\nIMAGES=a\nSOURCE_TAG=v1\n')
    const ran = await cli(['--defaults-file', file], { env: GITLAB })
    expect(ran.code).toBe(EXIT.ok)
    expect(harborPush.mock.calls[0][0].registry.prefix).toBe(`${HOST}/${PROJECT}`)
    expect(ran.stderr).toContain(
      `Defaults from ${file}: images, source-tag; given explicitly: registry`
    )
  })

  test.each<[string, Record<string, string>, string]>([
    [
      'HARBOR_HOST without HARBOR_PROJECT',
      { HARBOR_HOST: HOST },
      `invalid input: HARBOR_HOST "${HOST}" is set but HARBOR_PROJECT is empty`
    ],
    [
      'HARBOR_USERNAME without a secret',
      { HARBOR_HOST: HOST, HARBOR_PROJECT: PROJECT, HARBOR_USERNAME: USERNAME },
      `invalid input: HARBOR_USERNAME "${USERNAME}" is set but there is no secret: set HARBOR_PASSWORD too`
    ],
    [
      'HARBOR_PASSWORD without a user',
      { HARBOR_HOST: HOST, HARBOR_PROJECT: PROJECT, HARBOR_PASSWORD: SECRET },
      'invalid input: a secret was given (HARBOR_PASSWORD) but no -u/--username and no HARBOR_USERNAME'
    ]
  ])('2 before the core runs: %s', async (_label, env, message) => {
    const ran = await cli(['-i', 'a:v1'], { env })
    expect(ran.code).toBe(EXIT.badInput)
    expect(ran.stderr).toContain(message)
    expect(ran.stderr).not.toContain(SECRET)
    expect(harborPush).not.toHaveBeenCalled()
  })
})
