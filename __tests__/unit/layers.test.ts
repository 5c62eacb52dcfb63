/**
 * The layering of src/, checked on every import: a module imports only from
 * its own layer or a lower one, the folders of one layer do not import each
 * other, and no modules import each other in a cycle. A newcomer can then
 * trust the folder tree: the front ends on top, the push core below them,
 * tools / registry / charts / credentials beside each other, settings and
 * the shared helpers at the bottom.
 */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from '@jest/globals'

const SRC = path.resolve(import.meta.dirname, '../../src')

/** Layer of each folder (and of the files at the top of src/), lowest first. */
const LAYERS: Record<string, number> = {
  // Shared helpers: errors, log, backoff, pool, redact.
  '.': 0,
  settings: 1,
  registry: 2,
  tools: 2,
  credentials: 2,
  charts: 3,
  sources: 3,
  push: 4,
  runner: 5,
  cli: 5
}
/** The entry points at the top of src/: front ends, above everything. */
const FRONT_ENDS = new Set(['main.ts', 'post.ts', 'index.ts', 'step.ts', 'post-entry.ts'])

interface Module {
  file: string
  layer: number
  folder: string
  imports: string[]
}

function modules(): Module[] {
  const files = fs
    .readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter(file => file.endsWith('.ts'))
  return files.map(file => {
    const folder = path.dirname(file) === '.' ? '.' : file.split(path.sep)[0]
    const layer = folder === '.' && FRONT_ENDS.has(file) ? 6 : LAYERS[folder]
    if (layer === undefined)
      throw new Error(`src/${file}: folder "${folder}" has no layer in LAYERS`)
    const text = fs.readFileSync(path.join(SRC, file), 'utf8')
    const imports = [...text.matchAll(/(?:import|export)[^'"]*?from '(\.[^']+)'/g)].map(match =>
      path.normalize(path.join(path.dirname(file), match[1].replace(/\.js$/, '.ts')))
    )
    return { file: path.normalize(file), layer, folder, imports }
  })
}

describe('layers of src/', () => {
  const all = modules()
  const byFile = new Map(all.map(module => [module.file, module]))

  test('every import goes to the same layer or a lower one, never across folders of one layer', () => {
    const wrong: string[] = []
    for (const module of all) {
      for (const imported of module.imports) {
        const target = byFile.get(imported)
        if (!target) continue
        if (target.layer > module.layer) {
          wrong.push(
            `${module.file} (layer ${module.layer}) imports ${imported} (layer ${target.layer})`
          )
        } else if (
          target.layer === module.layer &&
          target.folder !== module.folder &&
          module.layer > 0
        ) {
          wrong.push(`${module.file} imports ${imported}, a sibling folder of the same layer`)
        }
      }
    }
    expect(wrong).toEqual([])
  })

  test('the front ends (action, command, runner) go through the push core, never to a tool or the registry', () => {
    const reaching = all
      .filter(module => module.layer >= 5)
      .flatMap(module =>
        module.imports
          .filter(imported => /^(tools|registry)\//.test(imported))
          .map(imported => `${module.file} imports ${imported}`)
      )
    expect(reaching).toEqual([])
  })

  test('no modules import each other in a cycle', () => {
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '))
        return
      }
      state.set(file, 'open')
      for (const imported of byFile.get(file)?.imports ?? []) {
        if (byFile.has(imported)) visit(imported, [...trail, file])
      }
      state.set(file, 'done')
    }
    for (const module of all) visit(module.file, [])
    expect(cycles).toEqual([])
  })

  test('the check sees the imports it judges (a module known to import others)', () => {
    expect(byFile.get(path.normalize('push/harbor-push.ts'))?.imports.length).toBeGreaterThan(3)
  })
})
