import { describe, expect, test } from '@jest/globals'
import { destinationOf, projectOf } from '../../src/push/destination.js'
import { imageBatches, needsSkopeo, planImages as planTyped } from '../../src/push/plan.js'
import type { ImageRequest, Settings } from '../../src/settings/settings.js'
import type { Skopeo } from '../../src/tools/skopeo.js'
import { collectingLog } from './collecting-log.js'

function settings(prefix: string, images: ImageRequest[], extra: Partial<Settings> = {}): Settings {
  const slash = prefix.indexOf('/')
  return {
    registry: {
      host: slash === -1 ? prefix : prefix.slice(0, slash),
      path: slash === -1 ? '' : prefix.slice(slash + 1),
      prefix
    },
    containerTool: 'podman',
    images,
    sourcePath: '',
    destinationTags: [],
    tlsVerify: true,
    caFile: '',
    ifExists: 'overwrite',
    dryRun: false,
    parallel: 3,
    retries: 2,
    summary: true,
    charts: [],
    chartVersion: '',
    chartAppVersion: '',
    helmVersion: 'v3.17.3',
    helmDownloadUrl: 'https://get.helm.sh',
    ...extra
  }
}

/** The plans with each destination in its string form. */
const planImages = (settings: Settings) =>
  planTyped(settings).map(plan => ({
    ...plan,
    destinations: plan.destinations.map(destination => destination.reference)
  }))

const HARBOR = 'registry-oci.example.com/catalog-apps-org-proj'

describe('planImages', () => {
  test('source path in front of every image; destination tag defaults to the source tag', () => {
    const plans = planImages(
      settings(HARBOR, [{ name: 'apim-le-cache', tag: 'v6.0.0' }], { sourcePath: 'apim' })
    )
    expect(plans).toEqual([
      {
        source: 'apim/apim-le-cache:v6.0.0',
        destinations: [`${HARBOR}/apim-le-cache:v6.0.0`]
      }
    ])
  })

  test('no source path: the image name as it is', () => {
    expect(planImages(settings(HARBOR, [{ name: 'app', tag: 'v1' }]))[0].source).toBe('app:v1')
  })

  test('a registry-like source path (podman localhost/) is kept whole', () => {
    const plans = planImages(
      settings(HARBOR, [{ name: 'app', tag: 'v1' }], { sourcePath: 'localhost/apim' })
    )
    expect(plans[0].source).toBe('localhost/apim/app:v1')
  })

  test('each image keeps its own tag when no destination tag is given', () => {
    const plans = planImages(
      settings(HARBOR, [
        { name: 'a', tag: 'v1' },
        { name: 'b', tag: 'v2' }
      ])
    )
    expect(plans).toEqual([
      { source: 'a:v1', destinations: [`${HARBOR}/a:v1`] },
      { source: 'b:v2', destinations: [`${HARBOR}/b:v2`] }
    ])
  })

  test('every destination tag is pushed for every image, in the order given', () => {
    const plans = planImages(
      settings(
        HARBOR,
        [
          { name: 'a', tag: 'v1' },
          { name: 'ns/b', tag: 'v2' }
        ],
        { destinationTags: ['6.0', 'latest'], sourcePath: 'apim' }
      )
    )
    expect(plans).toEqual([
      { source: 'apim/a:v1', destinations: [`${HARBOR}/a:6.0`, `${HARBOR}/a:latest`] },
      {
        source: 'apim/ns/b:v2',
        destinations: [`${HARBOR}/ns/b:6.0`, `${HARBOR}/ns/b:latest`]
      }
    ])
  })

  test('a registry without a path puts images right under the host', () => {
    expect(planImages(settings('127.0.0.1:5000', [{ name: 'app', tag: 'v1' }]))).toEqual([
      { source: 'app:v1', destinations: ['127.0.0.1:5000/app:v1'] }
    ])
  })
})

describe('destinationOf and projectOf', () => {
  test.each([
    ['registry-oci.example.com', 'catalog-apps-org-proj', 'app', 'catalog-apps-org-proj'],
    ['harbor.example.com:8443', 'proj/team', 'app', 'proj'],
    ['harbor.example.com', '', 'proj/app', 'proj'],
    ['127.0.0.1:5000', '', 'app', '']
  ])('%s, path "%s", %s is in project "%s"', (host, path, name, project) => {
    const destination = destinationOf({ host, path }, name, 'v1')
    expect(destination.reference).toBe(`${[host, path, name].filter(Boolean).join('/')}:v1`)
    expect(destination).toMatchObject({ host, tag: 'v1' })
    expect(projectOf(destination)).toBe(project)
  })
})

describe('who copies an archive or layout', () => {
  const login = { credentials: { username: 'ci', password: 'x' } }
  const entry = (transport: 'oci' | 'oci-archive' | 'docker-archive'): ImageRequest => ({
    name: 'app',
    tag: 'v1',
    archive: { transport, path: '/tmp/app', ref: 'v1' }
  })
  test.each([
    ['oci', login, 'registry client'],
    ['oci-archive', login, 'registry client'],
    ['docker-archive', login, 'registry client'],
    ['oci', {}, 'skopeo'],
    ['oci-archive', {}, 'skopeo'],
    ['docker-archive', {}, 'skopeo']
  ] as const)('%s with %j: %s', (transport, extra, tool) => {
    const fakeSkopeo = {} as Skopeo
    const [batch] = imageBatches(
      settings('h/p', [entry(transport)], extra),
      undefined,
      fakeSkopeo,
      collectingLog()
    )
    expect(batch.adapter.tool).toBe(tool)
    expect(needsSkopeo(settings('h/p', [], extra))).toBe(tool === 'skopeo')
  })
})

describe('registry sources (docker://)', () => {
  const registry = { host: 'staging.example.com', repository: 's/app', tag: 'v1', digest: '' }

  test('named docker://host/repo:tag, copied by the registry client with no tool at all', () => {
    const images = [{ name: 'app', tag: 'v1', registry }]
    expect(planImages(settings('h/p', images, { destinationTags: ['r1'] }))).toEqual([
      {
        source: 'docker://staging.example.com/s/app:v1',
        registry,
        destinations: ['h/p/app:r1']
      }
    ])
    const [batch] = imageBatches(settings('h/p', images), undefined, undefined, collectingLog())
    expect(batch.adapter.tool).toBe('registry client')
    // No tool to check and no login of its own: it copies with the session's client.
    expect('login' in batch.adapter).toBe(false)
    expect('prepare' in batch.adapter).toBe(false)
  })
})
