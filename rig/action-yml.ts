/** What action.yml names: the files a runner runs for the main and the post step. */
import fs from 'node:fs'
import path from 'node:path'

/** The repository, from rig/ (compiled elsewhere, as the bench is, give the root). */
const ROOT = path.resolve(import.meta.dirname, '..')

/** The file action.yml's `runs.<step>` names, as a runner resolves it (from the action's root). */
export function actionStep(step: 'main' | 'post', root = ROOT): string {
  const actionYml = fs.readFileSync(path.join(root, 'action.yml'), 'utf8')
  const runs = actionYml.slice(actionYml.indexOf('\nruns:'))
  const file = new RegExp(`\\n {2}${step}: (\\S+)\\n`).exec(runs)?.[1]
  if (!file) throw new Error(`action.yml names no runs.${step}`)
  return path.join(root, file)
}
