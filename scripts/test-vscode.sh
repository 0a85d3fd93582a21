#!/usr/bin/env bash
# The tiers that need a real VS Code (code-server 4.100.3 in Debian Chromium):
#
#   scripts/test-vscode.sh [extension] [e2e] [vsix]     (default: all three)
#
#   extension  the mocha suite in test/extension, inside VS Code's extension host
#   e2e        test/e2e driving the workbench as a user, extension from this folder
#   vsix       `npm run package`, install the .vsix into code-server, run test/e2e on it
#
# Expects the Docker engine and fixture images (scripts/setup-host.sh,
# scripts/build-fixtures.sh) and a build (npm run build); installs code-server
# and Chromium itself (scripts/setup-vscode.sh). Each run uses a fresh cache
# folder, so images are exported and indexed for real.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n== %s\n' "$*" >&2; }

tiers=("$@")
[ "${#tiers[@]}" -gt 0 ] || tiers=(extension e2e vsix)

bash scripts/setup-vscode.sh
# The archives the suite reads (skipped when already written for these image ids).
bash scripts/make-archives.sh .cache/archives crlf >&2

CONTAINER_COMPARE_CACHE=$(mktemp -d /var/tmp/cc-vscode-cache.XXXXXX)
export CONTAINER_COMPARE_CACHE
WS=$(mktemp -d /tmp/cc-vscode-ws.XXXXXX)
trap 'rm -rf "$CONTAINER_COMPARE_CACHE" "$WS"' EXIT

status=0
for tier in "${tiers[@]}"; do
  case $tier in
    extension)
      log "extension-host tests (code-server)"
      npx tsx scripts/run-extension-tests.ts . out/test/extension/index.js "$WS" || status=1
      ;;
    e2e)
      log "e2e tests (workbench in Chromium, development folder)"
      npx mocha --timeout 600000 --slow 30000 'test/e2e/**/*.test.ts' || status=1
      ;;
    vsix)
      log "package the .vsix"
      npm run --silent package
      log "e2e tests (workbench in Chromium, installed .vsix)"
      CC_E2E_VSIX=$PWD/container-compare.vsix npx mocha --timeout 600000 --slow 30000 'test/e2e/**/*.test.ts' || status=1
      ;;
    *) echo "test-vscode: unknown tier '$tier' (extension, e2e, vsix)" >&2; exit 2 ;;
  esac
done
exit $status
