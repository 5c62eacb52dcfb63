/**
 * Reads a chart's Chart.yaml: the name and version that make its OCI
 * reference, and the dependencies that decide whether it can be packaged.
 */
import { parse } from 'yaml'
import { InputError, messageOf } from '../errors.js'
import { REPOSITORY_PATH } from '../settings/reference.js'

/** A dependency as Chart.yaml (or a v1 chart's requirements.yaml) declares it. */
export interface Dependency {
  name: string
  /** `file://...`, `https://...`, `oci://...`, an `@alias`, or '' (expected in charts/). */
  repository: string
}

export interface ChartMetadata {
  apiVersion: string
  name: string
  /** As written; '' when missing (chart-version may still give one). */
  version: string
  dependencies: Dependency[]
}

/**
 * Parses Chart.yaml `text` found at `where` (named in every error). Checks
 * what helm needs before it can package or push: apiVersion, a name that can
 * be an OCI repository name. The version is checked by the caller, which
 * knows whether chart-version replaces it.
 */
export function parseChartYaml(text: string, where: string): ChartMetadata {
  let document: unknown
  try {
    document = parseText(text)
  } catch (error) {
    throw new InputError(`${where} is not valid YAML: ${firstLine(messageOf(error))}`)
  }
  if (!isRecord(document)) {
    throw new InputError(`${where} holds no chart metadata (apiVersion, name, version)`)
  }
  const apiVersion = scalar(document.apiVersion)
  if (!['v1', 'v2'].includes(apiVersion)) {
    throw new InputError(
      `${where}: apiVersion "${apiVersion}" is not a Helm chart apiVersion; use "v2" (Helm 3 charts)`
    )
  }
  const name = scalar(document.name)
  if (!name) throw new InputError(`${where} has no "name"`)
  if (name.includes('/') || !REPOSITORY_PATH.test(name)) {
    throw new InputError(
      `${where}: chart name "${name}" cannot name an OCI repository; use lower-case letters, digits and "-" (e.g. "apim-gateway")`
    )
  }
  return {
    apiVersion,
    name,
    version: scalar(document.version),
    dependencies: parseDependencies(document.dependencies, where)
  }
}

/** The `dependencies` list of Chart.yaml or of a v1 chart's requirements.yaml. */
export function parseDependencies(value: unknown, where: string): Dependency[] {
  if (value === undefined || value === '') return []
  if (!Array.isArray(value)) throw new InputError(`${where}: "dependencies" is not a list`)
  return value.map((entry: unknown, index) => {
    const name = isRecord(entry) ? scalar(entry.name) : ''
    if (!isRecord(entry) || !name) {
      throw new InputError(`${where}: dependency ${index + 1} has no "name"`)
    }
    return { name, repository: scalar(entry.repository) }
  })
}

/** The `dependencies` of a v1 chart's requirements.yaml text. */
export function parseRequirementsYaml(text: string, where: string): Dependency[] {
  let document: unknown
  try {
    document = parseText(text)
  } catch (error) {
    throw new InputError(`${where} is not valid YAML: ${firstLine(messageOf(error))}`)
  }
  return parseDependencies(isRecord(document) ? document.dependencies : undefined, where)
}

/**
 * Every scalar as the text written: `version: 1.10` is the version "1.10", not
 * the number 1.1 that YAML's core schema would make of it.
 */
function parseText(text: string): unknown {
  return parse(text, { schema: 'failsafe' })
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value.trim() : ''
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function firstLine(text: string): string {
  return text.split('\n')[0]
}
