/**
 * helm for the chart tests: real helm v3 and v4 binaries (scripts/install-deps.sh puts them in
 * .ci/.tools; .ci/run exports HP_TEST_HELM3 / HP_TEST_HELM4), PATHs with exactly one of them or
 * none, chart fixtures, and a loopback mirror of helm releases for the tool-cache install.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { run } from './tools.js'

const ROOT = path.resolve(import.meta.dirname, '..')

/** The versions install-deps.sh installs. */
export const HELM_VERSIONS = { 3: 'v3.17.3', 4: 'v4.1.4' } as const

/**
 * The helm binary of a major version. Missing is a failure, never a skip: in CI, HP_TEST_HELM3/4
 * must name it; by hand, .ci/.tools is tried and the message says how to install it.
 */
export function helmBinary(major: 3 | 4): string {
  const variable = `HP_TEST_HELM${major}`
  const fromEnv = process.env[variable]
  const install = 'run "bash scripts/install-deps.sh" (it installs helm v3 and v4 into .ci/.tools)'
  if (!fromEnv && process.env.CI === 'true') {
    throw new Error(
      `${variable} is not set: in CI the chart tests need helm ${major} (.ci/run sets it)`
    )
  }
  const binary = fromEnv || path.join(ROOT, `.ci/.tools/helm-v${major}/helm`)
  if (!fs.existsSync(binary)) throw new Error(`helm ${major} is not at ${binary}: ${install}`)
  return binary
}

/** PATH without any folder that holds a helm: what a runner without helm has. */
export function pathWithoutHelm(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(dir => dir !== '' && !fs.existsSync(path.join(dir, 'helm')))
    .join(path.delimiter)
}

/** PATH with `binary` first, as `helm`, and no other helm. `dir` receives the link. */
export function pathWithHelm(binary: string, dir: string): string {
  fs.mkdirSync(dir, { recursive: true })
  const link = path.join(dir, 'helm')
  fs.rmSync(link, { force: true })
  fs.symlinkSync(binary, link)
  return `${dir}${path.delimiter}${pathWithoutHelm()}`
}

export interface ChartFixture {
  name: string
  version?: string
  appVersion?: string
  /** Chart.yaml lines added at the end (e.g. dependencies). */
  extra?: string
}

/** Writes a small but real chart folder (Chart.yaml, values, one template); returns it. */
export function writeChart(folder: string, chart: ChartFixture): string {
  fs.mkdirSync(path.join(folder, 'templates'), { recursive: true })
  const lines = [
    'apiVersion: v2',
    `name: ${chart.name}`,
    'description: A chart for the harbor-push tests',
    'type: application',
    `version: ${chart.version ?? '0.1.0'}`,
    `appVersion: "${chart.appVersion ?? '1.0.0'}"`
  ]
  if (chart.extra) lines.push(chart.extra)
  fs.writeFileSync(path.join(folder, 'Chart.yaml'), `${lines.join('\n')}\n`)
  fs.writeFileSync(path.join(folder, 'values.yaml'), `message: ${crypto.randomUUID()}\n`)
  fs.writeFileSync(
    path.join(folder, 'templates', 'configmap.yaml'),
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
      'data:',
      '  message: {{ .Values.message | quote }}',
      ''
    ].join('\n')
  )
  return folder
}

/** `helm package <folder> --destination <dir>` with a real helm; returns the .tgz. */
export async function helmPackage(binary: string, folder: string, dir: string): Promise<string> {
  const { stdout } = await run(binary, ['package', folder, '--destination', dir])
  const file = /saved it to:\s*(\S+\.tgz)/.exec(stdout)?.[1]
  if (!file) throw new Error(`helm package printed no .tgz: ${stdout}`)
  return file
}

/**
 * A helm release as get.helm.sh publishes it: `helm-<version>-linux-amd64.tar.gz` holding
 * `linux-amd64/helm`, and its `.sha256sum`, written into `dir`. Returns the archive's name.
 */
export async function repackHelm(binary: string, version: string, dir: string): Promise<string> {
  const platform = 'linux-amd64'
  const staging = fs.mkdtempSync(path.join(dir, 'staging-'))
  fs.mkdirSync(path.join(staging, platform))
  fs.copyFileSync(binary, path.join(staging, platform, 'helm'))
  fs.chmodSync(path.join(staging, platform, 'helm'), 0o755)
  const name = `helm-${version}-${platform}.tar.gz`
  await run('tar', ['-czf', path.join(dir, name), '-C', staging, platform])
  fs.rmSync(staging, { recursive: true, force: true })
  const sum = crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(dir, name)))
    .digest('hex')
  fs.writeFileSync(path.join(dir, `${name}.sha256sum`), `${sum}  ${name}\n`)
  return name
}

/** A static file server on loopback that records the paths asked for. */
export interface Mirror {
  url: string
  requests: string[]
  close(): Promise<void>
}

export async function serveFolder(
  dir: string,
  /** When set, the Authorization header every request must carry (else 401). */
  authorization?: string
): Promise<Mirror> {
  const requests: string[] = []
  const server = http.createServer((request, response) => {
    const urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)
    requests.push(urlPath)
    if (authorization !== undefined && request.headers.authorization !== authorization) {
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="mirror"' }).end('login needed')
      return
    }
    const file = path.join(dir, path.normalize(urlPath))
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404).end('not found')
      return
    }
    response.writeHead(200, { 'Content-Length': fs.statSync(file).size })
    fs.createReadStream(file).pipe(response)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise(resolve => server.close(() => resolve()))
  }
}
