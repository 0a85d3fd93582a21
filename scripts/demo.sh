#!/usr/bin/env bash
# The demo, from a fresh Debian machine: installs and starts what it needs
# (Docker engine, base images, the example pair), builds the CLI, and compares
# the example pair: the same Dockerfile built on a laptop and on a Windows CI
# runner, where mod_fcgid silently never starts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-host.sh
[ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
npm run --silent build
bash scripts/build-fixtures.sh >&2
set +e
node dist/cli.js diff cc-example/php-fcgid:laptop cc-example/php-fcgid:ci "$@"
code=$?
echo "(exit code $code: 0 same, 1 different, 2 error)" >&2
exit $((code == 1 ? 0 : code))
