#!/usr/bin/env bash
# Every test tier, from a fresh Debian machine: installs and starts what the
# tests need (Docker engine, skopeo, debootstrap base images, code-server,
# Chromium, a local registry), builds, then runs lint, typecheck, unit and integration tests
# against the real engine, the extension-host suite inside a real VS Code,
# and the workbench e2e suite (from this folder and from the packaged .vsix).
# Prints one closing line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n== %s\n' "$*" >&2; }

log "host set-up (Docker engine, skopeo, base images)"
bash scripts/setup-host.sh
log "VS Code set-up (code-server, Chromium)"
bash scripts/setup-vscode.sh
log "registry set-up (Debian's docker-registry, apache2-utils, openssl)"
bash scripts/setup-registry.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

log "build"
npm run --silent build
log "typecheck"
npm run --silent typecheck
log "lint"
npm run --silent lint

log "fixture images"
bash scripts/build-fixtures.sh
# Pairs built as users build them (real timestamps, rebuilt later, classic and BuildKit): the diagnosis tests.
bash scripts/build-diagnosis-pairs.sh

results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
tier() {
  local name=$1; shift
  log "$name tests"
  # mocha's summary lines ("N passing", "N failing") are added up for the closing line.
  if ! "$@" 2>&1 | tee -a "$results"; then status=1; fi
}
tier unit npx mocha 'test/unit/**/*.test.ts'
tier integration npx mocha --timeout 600000 --slow 20000 'test/integration/**/*.test.ts'
# The tiers above load engine images the default way (the fast path where the engine allows it: here, the
# data root read directly). The tests that load engine images run again on the export and through the
# fast path's helper container (CONTAINER_COMPARE_FAST_PATH: see test/helpers/loadPath.ts).
for path in off container; do
  tier "integration, CONTAINER_COMPARE_FAST_PATH=$path" env CONTAINER_COMPARE_FAST_PATH=$path npx mocha --timeout 600000 --slow 20000 \
    test/integration/engine.test.ts test/integration/formats.test.ts test/integration/findings.test.ts \
    test/integration/leftovers.test.ts test/integration/packages.test.ts test/integration/diagnosis.test.ts
done
tier "VS Code (extension host, e2e, .vsix)" bash scripts/test-vscode.sh extension e2e vsix

# grep finds nothing when no test failed: that is not an error of this script.
passed=$( (grep -aoE '^ +[0-9]+ passing' "$results" || true) | awk '{s+=$1} END {print s+0}')
failed=$( (grep -aoE '^ +[0-9]+ failing' "$results" || true) | awk '{s+=$1} END {print s+0}')
[ "$failed" -eq 0 ] || status=1
[ "$passed" -gt 0 ] || { echo "no test ran" >&2; status=1; }
echo
echo "tests: $passed passed, $failed failed"
exit $status
