#!/usr/bin/env bash
# Prepares a Debian host (root) for the tests that need a real VS Code:
# code-server (the same workbench and Node extension host as desktop VS Code)
# from npm, driven by Debian's chromium through playwright-core. Nothing else
# works here: @vscode/test-electron and `npx playwright install` download from
# hosts this machine cannot reach.
#
#   chromium, ripgrep, libkrb5-dev   Debian packages (libkrb5-dev: code-server's native kerberos module)
#   code-server 4.100.3              $CC_TOOLS_DIR/code-server-4.100.3 (default ~/.cache/container-compare-tools),
#                                    outside the repo so `npm ci` stays small
#
# 4.100.3 (VS Code 1.100.3) is the newest code-server that runs on Node 20.
# Idempotent: when everything is there it only runs a few cheap checks.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
TOOLS_DIR=${CC_TOOLS_DIR:-$HOME/.cache/container-compare-tools}
CS_DIR=$TOOLS_DIR/code-server-$CODE_SERVER_VERSION
CS_BIN=$CS_DIR/node_modules/.bin/code-server
# What code-server's own @vscode/ripgrep postinstall would download from GitHub.
RG_CACHE=${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11
RG_ARCHIVE=$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

log() { printf 'setup-vscode: %s\n' "$*" >&2; }
die() { printf 'setup-vscode: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (installs Debian packages)"

# shellcheck source=scripts/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

# `--version` answers without starting a server; a half-finished install fails it.
# --config /dev/null: without it code-server writes ~/.config/code-server/config.yaml.
code_server_ok() { [ -x "$CS_BIN" ] && "$CS_BIN" --config /dev/null --version >/dev/null 2>&1; }

cs_ok=0
code_server_ok && cs_ok=1

# 1. Debian packages (one apt-get update at most per run)
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/rg ] || missing+=(ripgrep)
if [ "$cs_ok" = 0 ]; then
  # Only the install needs these: the headers for kerberos, a toolchain for node-gyp.
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi

# 2. code-server (only when absent or broken)
if [ "$cs_ok" = 0 ]; then
  if [ ! -s "$RG_ARCHIVE" ]; then
    mkdir -p "$RG_CACHE"
    tar -C /usr/bin -czf "$RG_ARCHIVE.tmp" rg
    mv "$RG_ARCHIVE.tmp" "$RG_ARCHIVE"
  fi
  NPM_LOG=$TOOLS_DIR/code-server-$CODE_SERVER_VERSION-install.log
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  log "npm install code-server@$CODE_SERVER_VERSION into $CS_DIR (about 30 s; log: $NPM_LOG)"
  # An empty package.json makes this folder its own npm project, whatever encloses it.
  printf '{ "private": true }\n' >"$CS_DIR/package.json"
  (cd "$CS_DIR" && npm_config_yes=true npm_config_unsafe_perm=true \
    npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION") >"$NPM_LOG" 2>&1 \
    || { tail -n 30 "$NPM_LOG" >&2; die "npm install code-server@$CODE_SERVER_VERSION failed (full log: $NPM_LOG). It needs libkrb5-dev, make, g++, python3 and Node 20 (code-server after 4.100.3 needs Node 22)."; }
  code_server_ok || die "code-server was installed but '$CS_BIN --version' fails; see $NPM_LOG"
  log "code-server $("$CS_BIN" --config /dev/null --version | head -n 1)"
fi

# 3. The browser the tests launch (a broken chromium fails here, not mid-test)
/usr/bin/chromium --version >/dev/null 2>&1 || die "/usr/bin/chromium does not run: apt-get install chromium"
