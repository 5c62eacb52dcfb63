import type { TlsOptions } from '../tools/container-tool.js'
import { RegistryError, errorDetail } from './errors.js'
import { type RetryPolicy, TRANSIENT_STATUS, networkCause, registryFetch } from './http.js'

const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i

export type Scheme = 'https' | 'http'

/**
 * Whether `host` answers over HTTPS or only over plain HTTP: tools need to be
 * told (helm `--plain-http`), and a user asking for TLS deserves to hear that
 * the registry has none. Throws when neither answers, or when the registry
 * is still failing (5xx, 429) after the retries.
 */
export async function detectScheme(
  host: string,
  tls: TlsOptions,
  retry?: RetryPolicy
): Promise<Scheme> {
  let httpsFailure: string
  try {
    await answer(`https://${host}/v2/`, tls, retry)
    return 'https'
  } catch (error) {
    if (error instanceof RegistryError) throw error
    httpsFailure = networkCause(error)
    // It speaks TLS, with a certificate this step does not trust.
    if (CERTIFICATE_ERROR.test(httpsFailure)) return 'https'
  }
  let body: string | undefined
  try {
    body = await answer(`http://${host}/v2/`, tls, retry)
  } catch (error) {
    if (error instanceof RegistryError) throw error
    // Neither: report the HTTPS failure, the one a user expects to work.
  }
  // A TLS server answers a plain-HTTP request with a 400 of its own.
  if (body !== undefined && !/HTTP request to an HTTPS server/i.test(body)) return 'http'
  throw new Error(`"${host}" could not be reached over HTTPS or HTTP: ${httpsFailure}`)
}

/** The body of `/v2/`'s answer; a RegistryError when the registry is still failing after the retries. */
async function answer(url: string, tls: TlsOptions, retry?: RetryPolicy): Promise<string> {
  const response = await registryFetch(url, tls, { timeoutMs: 10_000, retry })
  const body = await response.text()
  if (TRANSIENT_STATUS.has(response.status)) {
    throw new RegistryError(response.status, errorDetail(body), url)
  }
  return body
}
