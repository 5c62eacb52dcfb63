import { describe, expect, test } from '@jest/globals'
import { destinationOf, projectOf } from '../../src/push/destination.js'
import { planImages as planTyped } from '../../src/push/plan.js'
import type { ImageRequest, Settings } from '../../src/settings/settings.js'

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
