/** The action's entry: main and post steps share one bundle; saved state tells them apart. */
import { run } from './main.js'
import { post } from './post.js'
import { isPost } from './runner/state.js'

if (isPost()) await post()
else await run()
