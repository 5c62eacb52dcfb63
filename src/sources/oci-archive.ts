/**
 * OCI archives (`podman save --format oci-archive`, `buildx --output
 * type=oci`) read in place: a tar of an OCI layout. Its entries are indexed
 * once (archive-files.ts) and every blob is then streamed as a byte range of
 * the archive: nothing is extracted, nothing held in memory. skopeo, by
 * contrast, unpacks the whole archive to a temporary folder first.
 *
 * An archive comes from another job and is checked as hostile: links,
 * absolute paths, `..`, devices, a name given twice and sizes beyond the
 * file are refused before anything is pushed; a blob whose bytes do not
 * hash to its name fails its push (oci-layout.ts checks on the way).
 */
import { ArchiveFiles } from './archive-files.js'
import { type LayoutFiles, LayoutSource } from './oci-layout.js'

/** An image of the OCI archive `file`, chosen by `ref` as in a layout. */
export function ociArchiveSource(file: string, ref: string): LayoutSource {
  const label = `oci-archive:${file}${ref ? `:${ref}` : ''}`
  const archive = new ArchiveFiles(file, label, {
    noun: 'OCI archive',
    article: 'an',
    madeBy: 'as podman save --format oci-archive writes it'
  })
  const files: LayoutFiles = {
    read: (name, maxBytes) => archive.read(name, maxBytes),
    open(name) {
      const entry = archive.get(name)
      return entry && { size: entry.size, body: archive.stream(entry) }
    },
    size: name => archive.get(name)?.size
  }
  return new LayoutSource(files, ref, label)
}
