#!/usr/bin/env node
/**
 * The command's entry (dist/cli/index.js): turns Node's compile cache on
 * (src/compile-cache.ts), then loads the command (src/cli/command.ts, a
 * chunk of its own), so that a second run on this machine starts faster.
 */
import { useCompileCache } from '../compile-cache.js'

useCompileCache()
await import('./command.js')
