import type { TlsOptions } from '../tools/container-tool.js'
import { networkCause, registryFetch } from './http.js'

const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i

export type Scheme = 'https' | 'http'

/**
 * Whether `host` answers over HTTPS or only over plain HTTP: tools need to be
 * told (helm `--plain-http`), and a user asking for TLS deserves to hear that
 * the registry has none. Throws when neither answers.
 */
export async function detectScheme(host: string, tls: TlsOptions): Promise<Scheme> {
  let httpsFailure: string
  try {
    const response = await registryFetch(`https://${host}/v2/`, tls, { timeoutMs: 10_000 })
    await response.arrayBuffer()
    return 'https'
  } catch (error) {
    httpsFailure = networkCause(error)
    // It speaks TLS, with a certificate this step does not trust.
    if (CERTIFICATE_ERROR.test(httpsFailure)) return 'https'
  }
  try {
    const response = await registryFetch(`http://${host}/v2/`, tls, { timeoutMs: 10_000 })
    await response.arrayBuffer()
    // A TLS server answers plain HTTP with a 400 of its own; a registry says who it is.
    if (
      response.headers.has('docker-distribution-api-version') ||
      [200, 401].includes(response.status)
    ) {
      return 'http'
    }
  } catch {
    // Neither: report the HTTPS failure, the one a user expects to work.
  }
  throw new Error(`"${host}" could not be reached over HTTPS or HTTP: ${httpsFailure}`)
}
