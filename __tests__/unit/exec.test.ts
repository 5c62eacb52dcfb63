import { afterEach, expect, test } from '@jest/globals'
import { runTool } from '../../src/tools/exec.js'

const saved = { ...process.env }
afterEach(() => {
  process.env = { ...saved }
})

/** The environment a real child process (`env`) was started with, by name. */
async function childEnvironment(extra?: Record<string, string>): Promise<Record<string, string>> {
  const { stdout } = await runTool('env', ['-0'], extra ? { env: extra } : {})
  return Object.fromEntries(
    stdout
      .split('\0')
      .filter(entry => entry.includes('='))
      .map(entry => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])
  )
}

test.each([[undefined], [{ DOCKER_CONFIG: '/private/docker' }]])(
  'a tool gets no INPUT_*, HARBOR_PASSWORD or runner token, with extra variables %j',
  async extra => {
    process.env.INPUT_PASSWORD = 'input-secret'
    process.env.INPUT_SOURCE_PASSWORD = 'other-input-secret'
    process.env.HARBOR_PASSWORD = 'cli-secret'
    process.env.ACTIONS_RUNTIME_TOKEN = 'runtime-token'
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'oidc-token'
    process.env.DOCKER_HOST = 'unix:///run/docker.sock'
    const env = await childEnvironment(extra)
    const names = Object.keys(env)
    expect(names.filter(name => name.startsWith('INPUT_'))).toEqual([])
    expect(names).not.toEqual(expect.arrayContaining(['HARBOR_PASSWORD']))
    expect(names).not.toContain('ACTIONS_RUNTIME_TOKEN')
    expect(names).not.toContain('ACTIONS_ID_TOKEN_REQUEST_TOKEN')
    const values = Object.values(env).join('\n')
    for (const secret of ['input-secret', 'cli-secret', 'runtime-token', 'oidc-token']) {
      expect(values).not.toContain(secret)
    }
    // What tools rely on stays, and what the caller adds is there.
    expect(env.DOCKER_HOST).toBe('unix:///run/docker.sock')
    expect(env.PATH).toBe(process.env.PATH)
    if (extra) expect(env.DOCKER_CONFIG).toBe('/private/docker')
  }
)
