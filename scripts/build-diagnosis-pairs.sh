#!/usr/bin/env bash
# Builds the diagnosis pairs: image pairs made the way users make them, to test
# the findings on more than the pinned fixtures of build-fixtures.sh.
#
#   scripts/build-diagnosis-pairs.sh [CASE...]      (default: all)
#   FORCE=1 scripts/build-diagnosis-pairs.sh ...    rebuild pairs that exist
#
# CASE: timestamps timestamps-bk timestamps-mixed execbit execbit-bk crlfrun
#       perm missingfile modesok crlfok port     (FROM busybox, a few seconds each)
#       php-real php-real-classic rebuilt-base   (FROM the Debian base, apt-get:
#                                                 20-50 s each when cold)
# Each case is cc-diag/CASE:a and cc-diag/CASE:b, built from ONE Dockerfile
# under test/fixtures/diagnosis/ (see the comment at its top, and the README
# there): only the build context or the build time differs, as when a laptop
# and a CI runner build the same repository (rebuilt-base: its base image is
# built twice from base/Dockerfile there). Unlike build-fixtures.sh, nothing
# is pinned:
#   - every context is a fresh temp copy: its files get the copy's time, as a
#     checkout does (no touch to a fixed date), and every mode is set
#     explicitly (git keeps only 0644/0755; checkouts obey the umask);
#   - A is built first, B at least 2 s later from a newly staged copy, both
#     with --no-cache, so every RUN re-runs and stamps new mtimes; except the
#     Debian cases, whose A (the "laptop") reuses the classic build cache of its
#     own earlier A builds for the slow apt-get steps (B is always --no-cache;
#     CACHE=0 builds A without the cache too);
#   - the builder is per case: classic (DOCKER_BUILDKIT=0) or BuildKit
#     (DOCKER_BUILDKIT=1 with Debian's /usr/bin/docker, which has BuildKit built
#     in; a newer CLI without buildx cannot), and for some cases A is classic
#     and B BuildKit.
# A pair whose two images exist is skipped (tests call this on every CI run);
# a cold build of the busybox pairs takes well under a minute, the Debian pairs
# about a minute and a half more (apt-get from Debian's mirror).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURES=$ROOT/test/fixtures/diagnosis
ALL=(timestamps timestamps-bk timestamps-mixed execbit execbit-bk crlfrun perm missingfile modesok crlfok port)
# FROM container-compare/debian:bookworm; slower (apt-get).
ALL+=(php-real php-real-classic rebuilt-base)
# Seconds between the end of A's build and the staging of B's context.
GAP=${GAP:-2}
# Debian's docker.io CLI: BuildKit without the buildx plugin.
BK_DOCKER=${BK_DOCKER:-/usr/bin/docker}
# 1: the Debian cases' A reuses the classic build cache (a laptop's); 0: never.
CACHE=${CACHE:-1}

log() { printf 'build-diagnosis-pairs: %s\n' "$*" >&2; }
die() { printf 'build-diagnosis-pairs: error: %s\n' "$*" >&2; exit 1; }

bash "$ROOT/scripts/setup-host.sh"
[ -x "$BK_DOCKER" ] || die "$BK_DOCKER not found (Debian's docker.io CLI, for BuildKit builds)"

umask 022
WORK=$(mktemp -d /var/tmp/cc-diag.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# case -> fixture folder and builders of A and B.
case_dir() {
  case $1 in
    timestamps*) echo timestamps ;;
    execbit*) echo execbit ;;
    php-real*) echo php-real ;;
    *) echo "$1" ;;
  esac
}
case_builders() {
  case $1 in
    timestamps | execbit | perm | crlfok | port | php-real-classic | rebuilt-base) echo "classic classic" ;;
    timestamps-bk | execbit-bk | crlfrun | modesok) echo "buildkit buildkit" ;;
    timestamps-mixed | missingfile | php-real) echo "classic buildkit" ;;
    *) die "unknown case '$1' (known: ${ALL[*]})" ;;
  esac
}

# stage SRC DEST: a fresh checkout of SRC (files 0644, dirs 0755, mtimes now).
stage() {
  rm -rf "$2"
  cp -R "$1" "$2"
  find "$2" -type d -exec chmod 0755 {} +
  find "$2" -type f -exec chmod 0644 {} +
  find "$2" -exec touch -h {} +
}

# What Git for Windows with core.autocrlf=true writes: CRLF line ends.
to_crlf() { sed -i 's/\r*$/\r/' "$1"; }

# Per-case changes of the staged context: prepare_DIR VARIANT CTX.
prepare_execbit() { if [ "$1" = a ]; then chmod 0755 "$2/setup.sh"; fi; }
prepare_crlfrun() { if [ "$1" = b ]; then to_crlf "$2/configure.sh"; to_crlf "$2/app.sh"; fi; }
prepare_perm() { if [ "$1" = b ]; then chmod 0600 "$2/httpd.conf"; fi; }
prepare_missingfile() { if [ "$1" = b ]; then rm "$2/conf/app.conf"; fi; }
prepare_modesok() { if [ "$1" = a ]; then chmod 0755 "$2/build.sh" "$2/start.sh"; fi; }
prepare_crlfok() { if [ "$1" = b ]; then to_crlf "$2/README.txt"; to_crlf "$2/data/cities.csv"; fi; }
# A laptop whose 8080 was taken: the developer's edit of app.conf went into B's image.
prepare_port() { if [ "$1" = b ]; then sed -i 's/^port=8080$/port=8081/' "$2/conf/app.conf"; fi; }
# The Windows CI runner of the php-fcgid example: autocrlf turns every text file
# under docker/ into CRLF, and Docker on Windows sends every file as 0755.
prepare_php-real() {
  local f
  [ "$1" = b ] || return 0
  while IFS= read -r -d '' f; do
    if grep -Iq '' "$f"; then to_crlf "$f"; fi
  done < <(find "$2/docker" -type f -print0)
  find "$2" -exec chmod 0755 {} +
}

# docker build options per case and side (a or b): B never uses the cache. The
# Debian cases' A does (unless CACHE=0), as a laptop that built this before:
# only its own earlier A images (--cache-from), never a B's layers, which the
# classic builder otherwise may pick for the steps before the first COPY (seen:
# an A on the apt-get layers of an earlier classic B).
# rebuilt-base takes its base as a build argument; "base" is its base image.
build_opts() {
  local ref
  if [ "$2" = b ] || [ "$CACHE" != 1 ]; then
    echo --no-cache
  else
    case $1 in
      php-real*) for ref in cc-diag/php-real:a cc-diag/php-real-classic:a; do echo "--cache-from $ref"; done ;;
      rebuilt-base) echo --cache-from cc-diag/rebuilt-base:a ;;
      base) echo --cache-from cc-diag/base:1 ;;
      *) echo --no-cache ;;
    esac
  fi
  if [ "$1" = rebuilt-base ]; then
    if [ "$2" = a ]; then echo --build-arg BASE=cc-diag/base:1; else echo --build-arg BASE=cc-diag/base:2; fi
  fi
}

# build TAG CONTEXT BUILDER [OPTION...]: full output to a log, shown only on
# failure; OPTIONs (--no-cache, --build-arg ...) go to docker build.
build() {
  local tag=$1 ctx=$2 builder=$3 out old
  shift 3
  out=$WORK/build-${tag//[\/:]/_}.log
  old=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  local -a cmd
  if [ "$builder" = buildkit ]; then
    cmd=(env DOCKER_BUILDKIT=1 "$BK_DOCKER" build --progress=plain)
  else
    cmd=(env DOCKER_BUILDKIT=0 docker build)
  fi
  if ! "${cmd[@]}" "$@" -f "$ctx/Dockerfile" -t "$tag" "$ctx" >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    die "docker build of $tag ($builder) failed"
  fi
  log "$tag $builder $* $(docker image inspect --format '{{.Id}}' "$tag" | cut -c8-19)"
  drop_untagged "$old"
  # With --cache-from the classic builder may restore cached steps as new
  # intermediate images (from the source image's history) and then land on the
  # existing final image: a dangling chain is left. Drop the dangling images
  # this build's own log names (" ---> ID"), nothing else.
  if [[ " $* " == *" --cache-from "* ]] && [ "$builder" = classic ]; then
    local id dangling
    dangling=$(docker images --filter dangling=true --quiet)
    for id in $(sed -n 's/^ ---> \([0-9a-f]\{12\}\)$/\1/p' "$out" | tac); do
      if grep -qx "$id" <<<"$dangling"; then docker rmi "$id" >/dev/null 2>&1 || true; fi
    done
  fi
}

# A FORCE rebuild leaves the previous image untagged: drop it if nothing else
# uses it (an old base still used by an old app image is dropped after the app).
drop_untagged() {
  if [ -n "$1" ] && [ -z "$(docker image inspect --format '{{join .RepoTags ""}}' "$1" 2>/dev/null)" ]; then
    docker rmi "$1" >/dev/null 2>&1 || true
  fi
}

image_present() { docker image inspect "$1" >/dev/null 2>&1; }
# in_image IMAGE CMD...: CMD run with sh -c in IMAGE, no network, removed after.
in_image() { docker run --rm --network none --user 0 --entrypoint sh "$1" -c "$2" >/dev/null 2>&1; }

# The story of each pair must hold, or the pair tests nothing: refuse it.
check_pair() {
  local name=$1 a=cc-diag/$1:a b=cc-diag/$1:b
  case $(case_dir "$name") in
    execbit)
      in_image "$a" 'test -x /usr/local/bin/app' || fail "$name" "A has no /usr/local/bin/app"
      in_image "$b" 'test ! -e /usr/local/bin/app' || fail "$name" "B has /usr/local/bin/app"
      ;;
    crlfrun)
      in_image "$a" 'test -x /opt/app/bin/app' || fail "$name" "A has no /opt/app/bin/app"
      in_image "$b" 'test ! -e /opt/app/bin/app && test -d "/opt/app$(printf "\r")"' || fail "$name" "B's configure.sh ran without the CR damage"
      ;;
    perm)
      in_image "$b" '[ "$(stat -c %a /etc/httpd/httpd.conf)" = 600 ]' || fail "$name" "B's httpd.conf is not 0600"
      ;;
    missingfile)
      in_image "$b" 'test ! -e /etc/app/app.conf' || fail "$name" "B has /etc/app/app.conf"
      ;;
    port)
      in_image "$a" 'grep -qx port=8080 /etc/app/app.conf' || fail "$name" "A's app.conf does not say port=8080"
      in_image "$b" 'grep -qx port=8081 /etc/app/app.conf' || fail "$name" "B's app.conf does not say port=8081"
      ;;
    php-real)
      # install-fcgid.sh has no `set -e` (that is the story), so a mirror hiccup
      # would also give a "successful" A without mod_fcgid: refuse it (and drop
      # A, so that its cached layers are not reused next time).
      in_image "$a" "test -f $FCGID_SO && dpkg -s libapache2-mod-fcgid" || fail "$name" "A has no mod_fcgid (apt-get inside install-fcgid.sh failed?); run again"
      in_image "$b" "test ! -e $FCGID_SO && ! dpkg -s libapache2-mod-fcgid" || fail "$name" "B has mod_fcgid: the CRLF checkout did not break install-fcgid.sh"
      ;;
    rebuilt-base)
      [ "$(top_layer cc-diag/base:1)" != "$(top_layer cc-diag/base:2)" ] || fail "$name" "cc-diag/base:1 and :2 have the same layer: the base was not rebuilt"
      in_image "$b" 'test -s /etc/ssl/certs/ca-certificates.crt && test -s /srv/app/VERSION' || fail "$name" "B has no CA bundle or no /srv/app/VERSION"
      ;;
  esac
}
FCGID_SO=/usr/lib/apache2/modules/mod_fcgid.so
top_layer() { docker image inspect --format '{{range .RootFS.Layers}}{{.}} {{end}}' "$1" | awk '{print $NF}'; }
fail() { docker rmi "cc-diag/$1:a" "cc-diag/$1:b" >/dev/null 2>&1 || true; die "cc-diag/$1: $2"; }

build_pair() {
  local name=$1 dir builders v ctx i=0 opts
  dir=$(case_dir "$name")
  read -r -a builders <<<"$(case_builders "$name")"
  if [ "${FORCE:-0}" != 1 ] && image_present "cc-diag/$name:a" && image_present "cc-diag/$name:b"; then
    log "cc-diag/$name:a/b exist (FORCE=1 rebuilds)"
    return
  fi
  for v in a b; do
    # B: a new checkout, later; its files and its RUN outputs get later mtimes.
    [ "$v" = a ] || sleep "$GAP"
    [ "$name" != rebuilt-base ] || build_base "$v"
    ctx=$WORK/$name-$v
    stage "$FIXTURES/$dir" "$ctx"
    if declare -F "prepare_$dir" >/dev/null; then "prepare_$dir" "$v" "$ctx"; fi
    read -r -a opts <<<"$(build_opts "$name" "$v" | xargs)"
    build "cc-diag/$name:$v" "$ctx" "${builders[$i]}" "${opts[@]}"
    i=$((i + 1))
  done
  check_pair "$name"
  if [ "$name" = rebuilt-base ]; then drop_untagged "${OLD_BASE[a]}"; drop_untagged "${OLD_BASE[b]}"; fi
}

# rebuilt-base: before A, cc-diag/base:1 (cache reused, like A); before B, the
# same Dockerfile again, later, with --no-cache: cc-diag/base:2 (a base rebuilt
# between the laptop's build and the CI's). A is FROM base:1, B FROM base:2.
declare -A OLD_BASE=([a]= [b]=)
build_base() {
  local v=$1 ctx=$WORK/base-$1 opts tag=cc-diag/base:1
  [ "$v" = a ] || tag=cc-diag/base:2
  stage "$FIXTURES/rebuilt-base/base" "$ctx"
  read -r -a opts <<<"$(build_opts base "$v" | xargs)"
  # The old base is still used by the old app image until the app is rebuilt.
  OLD_BASE[$v]=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  build "$tag" "$ctx" classic "${opts[@]}"
  [ "$v" = a ] || sleep "$GAP"
}

names=("$@")
[ "${#names[@]}" -gt 0 ] || names=("${ALL[@]}")
for name in "${names[@]}"; do
  case_builders "$name" >/dev/null
done
for name in "${names[@]}"; do
  build_pair "$name"
done
log "done"
