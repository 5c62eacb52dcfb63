/** Self-signed certificates for loopback servers of the rig. */
import fs from 'node:fs'
import path from 'node:path'
import { requireTool, run } from './tools.js'

export interface SelfSigned {
  cert: string
  key: string
  /**
   * The certificate as `<dir>/<name>/ca.crt`, alone in its folder (the key
   * sits outside it): podman `--cert-dir` takes any `*.key` there for a
   * client key, so the folder can be given to it as it is.
   */
  certFile: string
  keyFile: string
}

/**
 * A self-signed certificate for 127.0.0.1 and any `hostNames` (RSA 2048, two days), made with
 * openssl.
 */
export async function selfSigned(
  dir: string,
  name: string,
  hostNames: string[] = []
): Promise<SelfSigned> {
  const openssl = requireTool('openssl', 'apt-get install -y openssl')
  const folder = path.join(dir, name)
  fs.mkdirSync(folder, { recursive: true })
  const certFile = path.join(folder, 'ca.crt')
  const keyFile = path.join(dir, `${name}.key`)
  await run(openssl, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    ['subjectAltName=IP:127.0.0.1', ...hostNames.map(host => `DNS:${host}`)].join(','),
    '-keyout',
    keyFile,
    '-out',
    certFile
  ])
  return {
    cert: fs.readFileSync(certFile, 'utf8'),
    key: fs.readFileSync(keyFile, 'utf8'),
    certFile,
    keyFile
  }
}
