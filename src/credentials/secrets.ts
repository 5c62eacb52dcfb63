import type { Credentials } from '../settings/settings.js'

/**
 * Every form of the secret that may appear anywhere: the password itself and
 * the base64 `user:password` that docker, podman and helm auth files hold
 * (and that an error dump of such a file would show).
 */
export function secretForms(credentials: Credentials): string[] {
  const { username, password } = credentials
  return [password, Buffer.from(`${username}:${password}`).toString('base64')]
}
