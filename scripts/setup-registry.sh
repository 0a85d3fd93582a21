#!/usr/bin/env bash
# Installs what the registry integration tests (test/integration/registry.test.ts)
# and scripts/bench-registry.mjs need, all from Debian:
#
#   docker-registry   Distribution 2.8 (`docker-registry serve CONFIG`), started per test on loopback
#   apache2-utils     htpasswd -B, for the basic-auth registry
#   openssl           the self-signed CA and certificates of the TLS and token registries
#   skopeo            pushes fixture images from the engine into the registry
#
# Docker's package starts no registry of its own here (no init system); if one
# does run as a service, the tests do not use it: each starts its own on a free port.
# Idempotent: when everything is installed it only checks.
set -euo pipefail

log() { printf 'setup-registry: %s\n' "$*" >&2; }
die() { printf 'setup-registry: error: %s\n' "$*" >&2; exit 1; }

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run as root, or apt-get install ${missing[*]}"
  # shellcheck source=scripts/apt.sh
  source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
  # The package's postinst would start a registry on :5000 where an init system runs; none is wanted.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt_install "${missing[@]}"
fi

for tool in docker-registry htpasswd openssl skopeo; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is still missing after installing; apt-get install docker-registry apache2-utils openssl skopeo"
done
log "ready ($(docker-registry --version 2>/dev/null | head -n1))"
