import { describe, expect, test } from '@jest/globals'
import { type Platform, platformName } from '../../src/oci.js'

describe('platformName', () => {
  test.each([
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64/v8'],
    [{ os: 'linux', architecture: 'amd64' }, 'linux/amd64'],
    [undefined, '']
  ])('%j -> %s', (platform, name) => {
    expect(platformName(platform)).toBe(name)
  })

  test('what a hostile index says is a short name: strings only, each part at most 64 characters', () => {
    // The names go into the step's outputs (1 MB at most on GitHub), its log and its summary;
    // an index of up to 4 MiB could otherwise fill them with one platform.
    const platform = {
      os: 'l'.repeat(100_000),
      architecture: { evil: true }
    } as unknown as Platform
    expect(platformName(platform)).toBe(`${'l'.repeat(63)}…`)
  })
})
