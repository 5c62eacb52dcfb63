/**
 * Node's compile cache for the bundle: V8 keeps what it compiled of the
 * bundle's code, and the next start on this machine reads it instead of
 * compiling again (bench/REPORT.md, "Fixed costs": about a quarter of the
 * bundle's start-up). It pays on a machine that keeps its files between
 * steps: a self-hosted runner, a second harbor-push step in one job, a
 * developer's shell. A fresh hosted runner writes it once, for nothing.
 *
 * The cache is code this process runs while it holds the registry secret, so
 * it is only used in a folder that no other account can have written to or
 * can swap: the runner's tool cache (RUNNER_TOOL_CACHE, the runner account's
 * own folder, where setup actions keep their tools) or the user's cache
 * folder, with `harbor-push/compile-cache` below it created 0700 and checked
 * to belong to this user; otherwise, and on a Node without the cache, the
 * step runs as it would without it. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
import fs from 'node:fs'
import module from 'node:module'
import os from 'node:os'
import path from 'node:path'

/** The folder the cache goes under: the runner's tool cache, else the user's cache folder. */
export function compileCacheBase(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME || os.homedir()
  const base =
    env.RUNNER_TOOL_CACHE || env.XDG_CACHE_HOME || (home ? path.join(home, '.cache') : '')
  return base && path.isAbsolute(base) ? base : undefined
}

/** Turns the compile cache on where it is safe; says whether it is on. Never throws. */
export function useCompileCache(env: NodeJS.ProcessEnv = process.env): boolean {
  const named = compileCacheBase(env)
  // Node 22.1 and later; the command also runs on Node 20.
  if (typeof module.enableCompileCache !== 'function' || !named) return false
  try {
    // The base must exist already (it is the runner's or the user's, maybe
    // through a link), and nobody else may rename what is in it. Below it,
    // no link is followed.
    const base = fs.realpathSync(named)
    if (!safeParent(base)) return false
    const own = path.join(base, 'harbor-push')
    const dir = path.join(own, 'compile-cache')
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    if (!ownedAndPrivate(own) || !ownedAndPrivate(dir)) return false
    const { status } = module.enableCompileCache(dir)
    const { ENABLED, ALREADY_ENABLED } = module.constants.compileCacheStatus
    // Already: NODE_COMPILE_CACHE named a folder of the user's choosing.
    return status === ENABLED || status === ALREADY_ENABLED
  } catch {
    return false
  }
}

/** A real folder of this user that only this user may write to. */
function ownedAndPrivate(dir: string): boolean {
  const stat = fs.lstatSync(dir)
  return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0
}

/**
 * A real folder whose entries no other account can rename or replace: not
 * writable by others, or sticky (as /tmp is) so that only an entry's owner
 * may rename it.
 */
function safeParent(dir: string): boolean {
  const stat = fs.lstatSync(dir)
  return stat.isDirectory() && ((stat.mode & 0o022) === 0 || (stat.mode & 0o1000) !== 0)
}
