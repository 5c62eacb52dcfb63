/**
 * The action's main step, loaded by src/index.ts. The post step has a bundle
 * of its own (src/post-entry.ts, dist/post/index.js); saved state still
 * tells a post step apart here, so this bundle also cleans up when run as one.
 */
import { run } from './main.js'
import { post } from './post.js'
import { isPost } from './runner/saved-state.js'

if (isPost()) await post()
else await run()
