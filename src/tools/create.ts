import type { Settings } from '../settings/settings.js'
import type { ContainerTool, PrivatePaths } from './container-tool.js'
import { Docker, type DockerHooks } from './docker.js'
import type { Runner } from './exec.js'
import { Podman } from './podman.js'

/** The container tool the settings ask for. */
export function createContainerTool(
  settings: Settings,
  run: Runner,
  paths: PrivatePaths,
  hooks: DockerHooks
): ContainerTool {
  const tls = { tlsVerify: settings.tlsVerify, caFile: settings.caFile }
  return settings.containerTool === 'docker'
    ? new Docker(run, paths, tls, hooks)
    : new Podman(run, paths, tls)
}
