import type { Scheme, TlsOptions } from '../settings/tls.js'
import { type Challenge, challengeOf } from './client.js'
import { RegistryError, errorDetail } from './errors.js'
import {
  type RetryPolicy,
  TRANSIENT_STATUS,
  bodyWords,
  networkCause,
  registryFetch
} from './http.js'

const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i

/** What the probe learnt: the scheme, and `/v2/`'s auth challenge when its answer had one. */
export interface Probe {
  scheme: Scheme
  challenge?: Challenge
}

interface Answer {
  body: string
  challenge?: Challenge
}

/**
 * Whether `host` answers over HTTPS or only over plain HTTP: tools need to be
 * told (helm `--plain-http`), and a user asking for TLS deserves to hear that
 * the registry has none. Both are asked at once (no credentials go with
 * either), so a plain-HTTP registry costs no extra round trip. Throws when
 * neither answers, or when the registry is still failing (5xx, 429) after
 * the retries.
 */
export async function detectScheme(
  host: string,
  tls: TlsOptions,
  retry?: RetryPolicy
): Promise<Probe> {
  // Plain HTTP is asked alongside and given up as soon as it is not needed:
  // a closed or filtered port 80 must not keep the step waiting.
  const stopHttp = new AbortController()
  const overHttp = answer(`http://${host}/v2/`, tls, retry, stopHttp.signal)
  overHttp.catch(() => undefined)
  try {
    let httpsFailure: string
    try {
      const { challenge } = await answer(`https://${host}/v2/`, tls, retry)
      return { scheme: 'https', challenge }
    } catch (error) {
      if (error instanceof RegistryError) throw error
      httpsFailure = networkCause(error)
      // It speaks TLS, with a certificate this step does not trust.
      if (CERTIFICATE_ERROR.test(httpsFailure)) return { scheme: 'https' }
    }
    let http: Answer | undefined
    try {
      http = await overHttp
    } catch (error) {
      if (error instanceof RegistryError) throw error
      // Neither: report the HTTPS failure, the one a user expects to work.
    }
    // A TLS server answers a plain-HTTP request with a 400 of its own.
    if (http && !/HTTP request to an HTTPS server/i.test(http.body)) {
      return { scheme: 'http', challenge: http.challenge }
    }
    throw new Error(`"${host}" could not be reached over HTTPS or HTTP: ${httpsFailure}`)
  } finally {
    stopHttp.abort()
  }
}

/** `/v2/`'s answer; a RegistryError when the registry is still failing after the retries. */
async function answer(
  url: string,
  tls: TlsOptions,
  retry?: RetryPolicy,
  signal?: AbortSignal
): Promise<Answer> {
  const response = await registryFetch(url, tls, { timeoutMs: 10_000, retry, signal })
  const body = await bodyWords(response)
  if (TRANSIENT_STATUS.has(response.status)) {
    throw new RegistryError(response.status, errorDetail(body), url)
  }
  return { body, challenge: challengeOf(response.status, response.headers.get('www-authenticate')) }
}
