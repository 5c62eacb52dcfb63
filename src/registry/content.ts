/**
 * What the project's own registry client copies: an image (or a
 * multi-platform index) read from somewhere, manifests as stored bytes so
 * that the destination digest equals the source digest. Implemented by a
 * registry source (`docker://`), an OCI layout and an OCI archive; the
 * copier (`registry/copy.ts`) writes any of them to a destination registry.
 */

/** A content descriptor, as the OCI image spec defines it. */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
}

/** A manifest or index exactly as stored: its digest is the sha256 of `bytes`. */
export interface StoredManifest {
  digest: string
  mediaType: string
  bytes: Buffer
}

/** A blob's bytes, streamed: nothing is held in memory or written to disk on the way. */
export interface BlobBody {
  size: number
  body: AsyncIterable<Uint8Array>
}

/** Where one image's bytes come from. */
export interface ContentSource {
  /** How logs and errors name it: `docker://host/repo:tag`, `oci:/path:ref`. */
  readonly label: string
  /** The manifest or index the source's reference names. */
  root(): Promise<StoredManifest>
  /** A manifest an index lists, by digest. */
  manifest(descriptor: Descriptor): Promise<StoredManifest>
  /** A blob (config or layer), by descriptor. */
  blob(descriptor: Descriptor): Promise<BlobBody>
  /**
   * Set when the blobs sit in a repository of a registry: on the same
   * registry as the destination, the copier mounts them from there instead
   * of reading and uploading them again.
   */
  readonly mountFrom?: { host: string; repository: string }
}
