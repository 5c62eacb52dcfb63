/** How the registry is reached: words that settings, tools and the registry client share. */

/** How the registry's TLS is to be handled. */
export interface TlsOptions {
  tlsVerify: boolean
  /** PEM bundle to trust for the registry, or ''. */
  caFile: string
}

/** What the registry answers on: tools need to be told (helm `--plain-http`). */
export type Scheme = 'https' | 'http'
