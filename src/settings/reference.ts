/**
 * The image reference grammar of the distribution project
 * (distribution/reference), as regular expressions: one source of truth for
 * what a registry, a repository path, an image name and a tag may be.
 */

const alphanumeric = '[a-z0-9]+'
const separator = '(?:[._]|__|[-]+)'
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const domainName = `${domainComponent}(?:\\.${domainComponent})*`
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]'
const host = `(?:${domainName}|${ipv6})`
const port = '[0-9]+'

/** `host[:port]` */
export const DOMAIN = new RegExp(`^${host}(?::(${port}))?$`)
/** One or more lower-case path components separated by `/`. */
export const REPOSITORY_PATH = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`)
/** The longest image name, host and path included (distribution's NameTotalLengthMax). */
export const NAME_MAX = 255

/** ASCII letters, digits, `_`, `.`, `-`; not starting with `.` or `-`; at most 128. */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/** Why a tag is not valid, or undefined when it is. */
export function tagProblem(tag: string): string | undefined {
  if (TAG.test(tag)) return undefined
  if (tag.length > 128) return `it is ${tag.length} characters long (at most 128)`
  if (/^[.-]/.test(tag)) return 'it begins with "." or "-"'
  return 'it may hold only ASCII letters, digits, "_", "." and "-"'
}
