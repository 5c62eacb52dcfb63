/** What happened to one destination reference: the `images` output's objects. */
export interface ImageResult {
  source: string
  destination: string
  /** Manifest digest in the registry; '' when the push failed. */
  digest: string
  status: 'pushed' | 'unchanged' | 'skipped' | 'failed'
  /** Why it failed, in words a user can act on. */
  error?: string
  /** Wall time of the push, in seconds. */
  seconds: number
}

/** `N pushed, N unchanged, N skipped, N failed` */
export function countLine(results: ImageResult[]): string {
  const count = (status: ImageResult['status']): number =>
    results.filter(result => result.status === status).length
  return `${count('pushed')} pushed, ${count('unchanged')} unchanged, ${count('skipped')} skipped, ${count('failed')} failed`
}
