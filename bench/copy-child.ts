/**
 * The own client's way in bench/movers.ts, as a process of its own that
 * loads only what the push path would (the registry client, the copier, the
 * sources): copies each `name=transport:path:ref` argument to
 * `<endpoint>/bench/<name>:v1`, `parallel` at once, and prints what moved.
 * The registry's password comes in BENCH_REGISTRY_PASSWORD (a bench secret,
 * never on the command line). No arguments after the endpoint: the process
 * starts, loads the modules and ends (the baseline of its memory).
 */
import { mapWithLimit } from '../src/pool.js'
import { RegistryClient } from '../src/registry/client.js'
import { copyImage } from '../src/registry/copy.js'
import { ociArchiveSource } from '../src/sources/oci-archive.js'
import { ociLayoutSource } from '../src/sources/oci-layout.js'

const [endpoint, parallel, ...entries] = process.argv.slice(2)
const client = new RegistryClient(
  `http://${endpoint}`,
  { tlsVerify: false, caFile: '' },
  { username: 'bench', password: process.env.BENCH_REGISTRY_PASSWORD ?? '' },
  { retries: 2 }
)
const results = await mapWithLimit(entries, Number(parallel), async entry => {
  const [, name, transport, file, ref] =
    /^([^=]+)=(oci|oci-archive):(.*):([^:]*)$/.exec(entry) ?? []
  if (!name) throw new Error(`"${entry}" is not name=oci:path:ref or name=oci-archive:path:ref`)
  const source = transport === 'oci' ? ociLayoutSource(file, ref) : ociArchiveSource(file, ref)
  const { digest, bytesUploaded, blobsSkipped, blobsUploaded } = await copyImage(client, source, {
    repository: `bench/${name}`,
    tags: ['v1']
  })
  return { name, digest, bytesUploaded, blobsSkipped, blobsUploaded }
})
console.log(JSON.stringify(results))
