/**
 * Whether a chart folder can be packaged as it is, needs its dependencies
 * built from local folders first, or cannot be packaged here at all. Only
 * `file://` dependencies are built: fetching from chart repositories would
 * need their credentials and network, which this step has no business with.
 */
import fs from 'node:fs'
import path from 'node:path'
import { InputError } from '../errors.js'
import type { Dependency } from './chart-yaml.js'
import { readChartYamlOfTgz } from './metadata.js'

/** `none`: charts/ already holds every dependency; `build`: run `helm dependency build` first. */
export type DependencySteps = 'none' | 'build'

/**
 * Decides what packaging `folder` (whose Chart.yaml declares `dependencies`)
 * needs. `where` names the chart in errors.
 */
export function dependencySteps(
  folder: string,
  dependencies: readonly Dependency[],
  where: string
): DependencySteps {
  const vendored = vendoredNames(folder)
  const missing = dependencies.filter(dependency => !vendored.has(dependency.name))
  if (missing.length === 0) return 'none'
  // `helm dependency build` fetches every dependency, not just the missing
  // ones: it is only run when all of them are local.
  const isLocal = (dependency: Dependency): boolean => dependency.repository.startsWith('file://')
  const missingRemote = missing.find(dependency => !isLocal(dependency))
  if (missingRemote) {
    throw new InputError(
      `${where} depends on "${missingRemote.name}" from "${missingRemote.repository || '(no repository)'}", which is not in its charts/ folder; harbor-push builds only file:// dependencies: run "helm dependency build" before this step so that charts/ holds it`
    )
  }
  const remote = dependencies.find(dependency => !isLocal(dependency))
  if (remote) {
    throw new InputError(
      `${where}: its file:// dependency "${missing[0].name}" is not built, and "helm dependency build" would also fetch "${remote.name}" from "${remote.repository || '(no repository)'}", which harbor-push does not do; run "helm dependency build" before this step`
    )
  }
  for (const dependency of missing) {
    const target = path.resolve(folder, dependency.repository.slice('file://'.length))
    if (!fs.existsSync(path.join(target, 'Chart.yaml'))) {
      throw new InputError(
        `${where}: dependency "${dependency.name}" points to "${dependency.repository}", but ${target} holds no Chart.yaml; fix the repository path in Chart.yaml`
      )
    }
  }
  return 'build'
}

/** Chart names found in `folder/charts`: unpacked subcharts and packaged ones. */
function vendoredNames(folder: string): Set<string> {
  const names = new Set<string>()
  const charts = path.join(folder, 'charts')
  if (!fs.existsSync(charts)) return names
  for (const entry of fs.readdirSync(charts, { withFileTypes: true })) {
    const full = path.join(charts, entry.name)
    const name = entry.isDirectory()
      ? nameIn(() => fs.readFileSync(path.join(full, 'Chart.yaml'), 'utf8'))
      : entry.name.endsWith('.tgz')
        ? nameIn(() => readChartYamlOfTgz(full) ?? '')
        : undefined
    if (name) names.add(name)
  }
  return names
}

/** The `name:` line of a Chart.yaml, or undefined when it cannot be read; helm judges the rest. */
function nameIn(read: () => string): string | undefined {
  try {
    return /^name:\s*["']?([^"'\s#]+)/m.exec(read())?.[1]
  } catch {
    return undefined
  }
}

/**
 * Keeps a chart folder as it was found: `helm dependency build` writes
 * charts/ and Chart.lock into it, and the user's workspace is not ours to
 * change. Returns the function that puts everything back.
 */
export function preserveDependencyFiles(folder: string, backupDir: string): () => void {
  fs.mkdirSync(backupDir, { recursive: true })
  const saved = ['charts', 'Chart.lock'].map(name => {
    const original = path.join(folder, name)
    const copy = path.join(backupDir, name)
    const existed = fs.existsSync(original)
    if (existed)
      fs.cpSync(original, copy, {
        recursive: true,
        verbatimSymlinks: true,
        preserveTimestamps: true
      })
    return { original, copy, existed }
  })
  return () => {
    for (const { original, copy, existed } of saved) {
      fs.rmSync(original, { recursive: true, force: true })
      if (existed)
        fs.cpSync(copy, original, {
          recursive: true,
          verbatimSymlinks: true,
          preserveTimestamps: true
        })
    }
  }
}
