#!/usr/bin/env bash
# Builds every fixture image the integration tests use, with the classic
# builder (what this engine + CLI use; BuildKit needs buildx, absent here).
#
#   scripts/build-fixtures.sh [NAME...]     NAME: modes crlf owner symlink whiteout layers startfail
#                                           noisylogs php-fcgid
#                                           (default: all)
#
# Tiny pairs (test/fixtures/images/NAME, FROM container-compare/busybox:latest):
#   cc-fixture/NAME:a and cc-fixture/NAME:b, each pair differing in one known way
#   (see the comment at the top of each Dockerfile).
# Example (test/fixtures/examples/php-fcgid, FROM container-compare/debian:bookworm):
#   cc-example/php-fcgid:laptop   Linux checkout: LF, files 0644
#   cc-example/php-fcgid:ci       Windows CI checkout: CRLF text under docker/, every file 0755
#
# Every build context is a temp copy normalised like a Linux checkout with
# umask 022 (files 0644, dirs 0755, a fixed mtime), so the bytes and modes
# that reach the images never depend on how the repo was cloned; variants
# (modes, CRLF) are applied to that copy. Re-runs are fast: the classic
# builder's cache keys on content, mode and owner, not on mtime.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES=$ROOT/test/fixtures
# 2024-01-01T00:00:00Z: COPY keeps source mtimes, so pin them.
FIXED_MTIME=@1704067200
ALL=(modes crlf owner symlink whiteout layers startfail noisylogs php-fcgid)
# Findings: package databases (FROM the Debian base; the rpm database is made
# by rpm itself in a build stage) and leftovers (FROM busybox); see their Dockerfiles.
ALL+=(packages leftovers)

log() { printf 'build-fixtures: %s\n' "$*" >&2; }
die() { printf 'build-fixtures: error: %s\n' "$*" >&2; exit 1; }

bash "$ROOT/scripts/setup-host.sh"

export DOCKER_BUILDKIT=0
WORK=$(mktemp -d /var/tmp/cc-fixtures.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# stage SRC DEST: the normalised temp copy of a build context.
stage() {
  rm -rf "$2"
  cp -R "$1" "$2"
  find "$2" -type d -exec chmod 0755 {} +
  find "$2" -type f -exec chmod 0644 {} +
  touch_fixed "$2"
}
touch_fixed() { find "$1" -exec touch -h -d "$FIXED_MTIME" {} +; }

# What Git for Windows with core.autocrlf=true writes: CRLF in text files.
to_crlf() { sed -i 's/\r*$/\r/' "$1"; touch -d "$FIXED_MTIME" "$1"; }

# build TAG CONTEXT [DOCKERFILE]: full output to a log, shown only on failure.
build() {
  local tag=$1 ctx=$2 df=${3:-Dockerfile} out
  out=$WORK/build-${tag//[\/:]/_}.log
  if ! docker build -f "$ctx/$df" -t "$tag" "$ctx" >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    die "docker build of $tag failed"
  fi
  log "$tag $(docker image inspect --format '{{.Id}}' "$tag" | cut -c8-19)"
}

# Per-pair tweaks of the staged context, before the build.
prepare_modes() { if [ "$1" = a ]; then chmod 0755 "$2/run.sh"; else chmod 0644 "$2/run.sh"; fi; }
prepare_crlf() { if [ "$1" = b ]; then to_crlf "$2/config.ini"; fi; }
# The classic CRLF shebang: b's entrypoint starts with "#!/bin/sh\r".
prepare_startfail() {
  chmod 0755 "$2/entrypoint.sh"
  if [ "$1" = b ]; then to_crlf "$2/entrypoint.sh"; fi
}

# a is built before b on purpose: b then reuses a's cached layers, so the
# layers the Dockerfiles share are byte-identical (same diffID) in both images.
build_pair() {
  local name=$1 v ctx df
  for v in a b; do
    ctx=$WORK/$name-$v
    stage "$FIXTURES/images/$name" "$ctx"
    if declare -F "prepare_$name" >/dev/null; then "prepare_$name" "$v" "$ctx"; fi
    df=Dockerfile
    [ -f "$ctx/Dockerfile.$v" ] && df=Dockerfile.$v
    build "cc-fixture/$name:$v" "$ctx" "$df"
  done
}

build_php_example() {
  local src=$FIXTURES/examples/php-fcgid f
  stage "$src" "$WORK/php-laptop"
  build cc-example/php-fcgid:laptop "$WORK/php-laptop"
  # install-fcgid.sh has no `set -e` (that is the story), so a mirror hiccup
  # would also give a "successful" laptop build without mod_fcgid. Refuse it,
  # and drop the image so that its cached layers are not reused next time.
  if ! has_mod_fcgid cc-example/php-fcgid:laptop; then
    docker rmi cc-example/php-fcgid:laptop >/dev/null 2>&1 || true
    die "cc-example/php-fcgid:laptop has no mod_fcgid (apt-get inside install-fcgid.sh failed?); run again"
  fi

  # The Windows CI runner: autocrlf turns every text file under docker/ into
  # CRLF, and Docker on Windows sends every file of the context as 0755.
  stage "$src" "$WORK/php-ci"
  while IFS= read -r -d '' f; do
    if grep -Iq '' "$f"; then to_crlf "$f"; fi
  done < <(find "$WORK/php-ci/docker" -type f -print0)
  find "$WORK/php-ci" -exec chmod 0755 {} +
  build cc-example/php-fcgid:ci "$WORK/php-ci"
  if has_mod_fcgid cc-example/php-fcgid:ci; then
    die "cc-example/php-fcgid:ci unexpectedly has mod_fcgid: the CRLF simulation did not work"
  fi
}

has_mod_fcgid() {
  docker run --rm --network none "$1" test -f /usr/lib/apache2/modules/mod_fcgid.so
}

names=("$@")
[ "${#names[@]}" -gt 0 ] || names=("${ALL[@]}")
for name in "${names[@]}"; do
  case $name in
    php-fcgid) build_php_example ;;
    modes | crlf | owner | symlink | whiteout | layers | startfail | noisylogs) build_pair "$name" ;;
    packages | leftovers) build_pair "$name" ;;
    *) die "unknown fixture '$name' (known: ${ALL[*]})" ;;
  esac
done
log "done"
