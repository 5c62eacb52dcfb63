import { parseArgs } from 'node:util'
import { InputError, messageOf } from '../errors.js'
import type { RawInputs } from '../settings/parse.js'

/** One flag of the command. */
export interface Flag {
  /** The long name: an action input's name (same spelling as action.yml), or the command's own. */
  long: string
  /** The reference script's one-letter flag, where it has one. */
  short?: string
  /** What the value looks like in the usage; a flag without one is a switch. */
  value?: string
  /** May be given more than once; the values are joined as a list. */
  repeatable?: boolean
  /** A true/false input: `--name` alone means true. */
  boolean?: boolean
  /** Sets the action input of the same name. */
  input?: boolean
  help: string
}

/**
 * Every flag, in the order of the usage. One table drives the parser and
 * the usage, so `-h` cannot drift from what is accepted.
 */
export const FLAGS: readonly Flag[] = [
  {
    long: 'registry',
    short: 'r',
    value: 'host[:port][/path]',
    input: true,
    help: 'registry[/project], e.g. registry-oci.example.com/my-project'
  },
  {
    long: 'images',
    short: 'i',
    value: 'name[:tag]',
    repeatable: true,
    input: true,
    help: 'image to push; repeatable (default: IMAGES of the defaults file)'
  },
  {
    long: 'container-tool',
    short: 'c',
    value: 'docker|podman',
    input: true,
    help: 'tool that holds the images (default: docker)'
  },
  {
    long: 'source-path',
    short: 'p',
    value: 'path',
    input: true,
    help: 'local path: the source is <path>/<name>:<tag>'
  },
  {
    long: 'source-tag',
    short: 's',
    value: 'tag',
    input: true,
    help: 'tag of the local images (no implicit latest)'
  },
  {
    long: 'destination-tag',
    short: 'd',
    value: 'tag',
    repeatable: true,
    input: true,
    help: 'tag to push as; repeatable (default: the source tag)'
  },
  {
    long: 'no-tls-verify',
    short: 't',
    help: 'do not verify TLS (the same as --tls-verify false)'
  },
  {
    long: 'username',
    short: 'u',
    value: 'name',
    input: true,
    help: 'Harbor user, or robot account robot$<project>+<name>'
  },
  {
    long: 'password-stdin',
    help: 'read the CLI secret (or robot secret) from stdin'
  },
  {
    long: 'source-username',
    value: 'name',
    input: true,
    help: 'user or robot of the registry that docker:// sources are read from'
  },
  {
    long: 'source-password-stdin',
    help: 'read the source secret from stdin (else HARBOR_SOURCE_PASSWORD)'
  },
  {
    long: 'defaults-file',
    value: 'file',
    input: true,
    help: 'KEY=VALUE product defaults; flags win over them'
  },
  {
    long: 'tls-verify',
    value: 'true|false',
    boolean: true,
    input: true,
    help: 'false skips TLS verification'
  },
  {
    long: 'ca-file',
    value: 'file',
    input: true,
    help: 'PEM bundle to trust for the registry'
  },
  {
    long: 'charts',
    value: 'path',
    repeatable: true,
    input: true,
    help: 'chart folder or .tgz (globs allowed); repeatable'
  },
  {
    long: 'chart-version',
    value: 'version',
    input: true,
    help: 'version set when packaging chart folders'
  },
  {
    long: 'chart-app-version',
    value: 'version',
    input: true,
    help: 'appVersion set when packaging chart folders'
  },
  {
    long: 'helm-version',
    value: 'version',
    input: true,
    help: 'helm to download when none is on PATH'
  },
  {
    long: 'helm-download-url',
    value: 'url',
    input: true,
    help: 'base URL of helm releases (a mirror)'
  },
  {
    long: 'if-exists',
    value: 'overwrite|skip|fail',
    input: true,
    help: 'when a tag holds other content (default: overwrite)'
  },
  {
    long: 'parallel',
    value: 'n',
    input: true,
    help: 'pushes at once, 1-32 (default: 3)'
  },
  {
    long: 'retries',
    value: 'n',
    input: true,
    help: 'extra attempts on transient failures, 0-10 (default: 2)'
  },
  {
    long: 'dry-run',
    value: 'true|false',
    boolean: true,
    input: true,
    help: 'check everything and print the plan; push nothing'
  },
  {
    long: 'summary',
    value: 'true|false',
    boolean: true,
    input: true,
    help: 'false: no table at the end, only the count line'
  },
  {
    long: 'json',
    help: 'print the report as JSON on stdout'
  },
  {
    long: 'subject-checksums',
    value: 'file',
    help: 'write <sha256 hex>  <registry>/<repository> of what was pushed (attestation subjects)'
  },
  { long: 'help', short: 'h', help: 'print this usage' }
]

/** What the command line asked for. */
export interface CliArgs {
  /** Raw inputs by their action.yml name, as the action would get them; the secret is not here. */
  inputs: RawInputs
  passwordStdin: boolean
  /** `--source-password-stdin`: the source secret comes on stdin (then the destination's may not). */
  sourcePasswordStdin: boolean
  json: boolean
  /** `--subject-checksums FILE`: where to write the subject lines; undefined when not asked. */
  subjectChecksums?: string
  help: boolean
}

const BOOLEAN_WORDS = ['true', 'True', 'TRUE', 'false', 'False', 'FALSE']

/** `--subject-checksums FILE`, given once with a file name, as CliArgs' field. */
function subjectChecksumsFile(given: string[] | boolean | undefined): {
  subjectChecksums?: string
} {
  if (!Array.isArray(given)) return {}
  if (given.length > 1) {
    throw new InputError(`--subject-checksums was given ${given.length} times; give it once`)
  }
  if (!given[0].trim()) {
    throw new InputError(
      '--subject-checksums needs a file name, e.g. --subject-checksums subjects.sha256'
    )
  }
  return { subjectChecksums: given[0] }
}

/**
 * Parses the command line (without node and the script) with node's own
 * `util.parseArgs`. Throws an InputError for anything it cannot take,
 * without ever echoing a value that might be a secret.
 */
export function parseCommandLine(argv: readonly string[]): CliArgs {
  refusePasswordFlag(argv)
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: true }> =
    {}
  for (const flag of FLAGS) {
    options[flag.long] = {
      type: flag.value ? 'string' : 'boolean',
      ...(flag.short ? { short: flag.short } : {}),
      ...(flag.value ? { multiple: true } : {})
    }
  }
  let values: Record<string, string[] | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: withBooleanValues(argv),
      options,
      strict: true,
      allowPositionals: false
    }) as { values: Record<string, string[] | boolean | undefined> })
  } catch (error) {
    throw new InputError(`${describeParseError(error)}; see harbor-push -h`)
  }

  const inputs: RawInputs = {}
  for (const flag of FLAGS) {
    const given = values[flag.long]
    if (!flag.input || !Array.isArray(given)) continue
    if (given.length > 1 && !flag.repeatable) {
      throw new InputError(`${label(flag)} was given ${given.length} times; give it once`)
    }
    inputs[flag.long] = given.join('\n')
  }
  if (values['no-tls-verify'] === true) {
    const explicit = inputs['tls-verify']
    if (explicit !== undefined && !['false', 'False', 'FALSE'].includes(explicit)) {
      throw new InputError(
        `-t (do not verify TLS) and --tls-verify ${explicit} contradict; use one`
      )
    }
    inputs['tls-verify'] = 'false'
  }
  return {
    inputs,
    passwordStdin: values['password-stdin'] === true,
    sourcePasswordStdin: values['source-password-stdin'] === true,
    json: values.json === true,
    ...subjectChecksumsFile(values['subject-checksums']),
    help: values.help === true
  }
}

/** The usage `-h` prints, made from FLAGS. */
export function usage(): string {
  const names = (flag: Flag): string =>
    [
      flag.short ? `-${flag.short}, ` : '    ',
      `--${flag.long}`,
      flag.value ? ` <${flag.value}>` : ''
    ]
      .join('')
      .trimEnd()
  const width = Math.max(...FLAGS.map(flag => names(flag).length)) + 2
  const lines = FLAGS.map(flag => `  ${names(flag).padEnd(width)}${flag.help}`)
  return [
    'Usage: harbor-push -r <registry>[/<path>] [-i <image>]... [options]',
    '',
    'Logs in to a Harbor (or any OCI) registry and pushes local docker or podman images, with the',
    'flags of push-images.sh. Every action input is a long flag of the same name.',
    '',
    'Options:',
    ...lines,
    '',
    'The secret never goes on the command line: pipe it to --password-stdin, or set HARBOR_PASSWORD;',
    'the secret of docker:// sources: --source-password-stdin (one of the two), or HARBOR_SOURCE_PASSWORD.',
    "Without -r and -u, HARBOR_HOST + HARBOR_PROJECT and HARBOR_USERNAME (GitLab's Harbor integration).",
    '',
    'Examples:',
    '  harbor-push -r registry-oci.example.com/apim-trial --defaults-file apim.env -t',
    '  harbor-push -r registry-oci.example.com/apim-trial -i apim-le-toolkit -i apim-le-cache -d trials',
    '  printf %s "$CLI_SECRET" | harbor-push -u "$USER" --password-stdin -r ... -i ...',
    '',
    'Exit status: 0 everything pushed, 1 a push (or the login) failed, 2 bad input (nothing pushed).'
  ].join('\n')
}

function label(flag: Flag): string {
  return flag.short ? `-${flag.short}/--${flag.long}` : `--${flag.long}`
}

/**
 * A secret given as a flag value is in the process list and the shell's
 * history before any program can refuse it; refuse it anyway, and say why.
 */
function refusePasswordFlag(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return
    for (const [flag, variable] of [
      ['password', 'HARBOR_PASSWORD'],
      ['source-password', 'HARBOR_SOURCE_PASSWORD']
    ]) {
      if (arg === `--${flag}` || arg.startsWith(`--${flag}=`)) {
        throw new InputError(
          `--${flag} is refused: a secret on the command line is visible to other users (ps, /proc/<pid>/cmdline) and stays in the shell history. Pipe it to --${flag}-stdin, or set ${variable}`
        )
      }
    }
  }
}

/** `--dry-run` alone means `--dry-run true`, as a switch would. */
function withBooleanValues(argv: readonly string[]): string[] {
  const booleans = new Set(FLAGS.filter(flag => flag.boolean).map(flag => `--${flag.long}`))
  const result: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]
    result.push(arg)
    if (arg === '--') {
      result.push(...argv.slice(index + 1))
      break
    }
    if (booleans.has(arg) && !BOOLEAN_WORDS.includes(argv[index + 1] ?? '')) result.push('true')
  }
  return result
}

/**
 * parseArgs errors name the option, never its value. A stray word is not
 * echoed: it may be a secret typed after --password-stdin.
 */
function describeParseError(error: unknown): string {
  // parseArgs' errors may come from another realm (a test VM): read the message, not instanceof.
  const { message } = error as { message?: unknown }
  if (typeof message !== 'string') return messageOf(error)
  if (message.startsWith('Unexpected argument')) {
    return 'unexpected argument: the command takes no bare words; images are given with -i (e.g. -i apim-le-cache), every other value with its flag, and the secret on stdin'
  }
  return message.replace(/\s*\n\s*/g, ' ').replace(/\. This command does not take.*$/, '')
}
