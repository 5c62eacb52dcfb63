/**
 * The action's entry (dist/index.js): a few lines that turn Node's compile
 * cache on (src/compile-cache.ts) before the step's code (src/step.ts, a
 * chunk of its own in dist/) is loaded, so that it is compiled once per
 * machine rather than once per step.
 */
import { useCompileCache } from './compile-cache.js'

useCompileCache()
await import('./step.js')
