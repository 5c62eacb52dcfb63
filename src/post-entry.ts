/**
 * The post step's bundle (dist/post/index.js): only the clean-up after a
 * main step that was killed, so the step that runs at the end of every job
 * does not load the push code.
 */
import { post } from './post.js'

await post()
