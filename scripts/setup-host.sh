#!/usr/bin/env bash
# Prepares a Debian host (root) for the real test bed: a running Docker engine,
# skopeo, and two locally built base images, because no registry is reachable
# here — nothing can be pulled, every image starts from `docker import`.
#
#   container-compare/debian:bookworm  debootstrap minbase rootfs (apt works inside builds)
#   container-compare/busybox:latest   one static busybox + applet symlinks (tiny fixtures)
#
# Idempotent: when everything is already there it only runs a few cheap checks.
set -euo pipefail

DEBIAN_IMAGE=container-compare/debian:bookworm
BUSYBOX_IMAGE=container-compare/busybox:latest
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKERD_LOG=/tmp/dockerd.log
DOCKERD_TIMEOUT=60

log() { printf 'setup-host: %s\n' "$*" >&2; }
die() { printf 'setup-host: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (installs packages, starts dockerd)"

# shellcheck source=scripts/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

docker_up() { docker info >/dev/null 2>&1; }

# Waits for the daemon started as $1; returns 1 early if that process dies
# (e.g. overlay2 unsupported), so the caller can retry with another driver.
wait_for_dockerd() {
  local pid=$1 deadline=$((SECONDS + DOCKERD_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    docker_up && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.3
  done
  die "dockerd did not answer within ${DOCKERD_TIMEOUT}s; see $DOCKERD_LOG"
}

start_dockerd() {
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  # A daemon may already be starting (another run, a slow boot): wait for it instead of racing it.
  if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    log "dockerd already running (pid $(cat /var/run/docker.pid)); waiting for it"
    wait_for_dockerd "$(cat /var/run/docker.pid)" && return 0
    die "running dockerd exited before answering; see $DOCKERD_LOG"
  fi
  local driver pid
  for driver in overlay2 vfs; do
    log "starting dockerd --storage-driver=$driver (log: $DOCKERD_LOG)"
    setsid dockerd --storage-driver="$driver" >"$DOCKERD_LOG" 2>&1 </dev/null &
    pid=$!
    if wait_for_dockerd "$pid"; then
      log "dockerd is up (storage driver $driver)"
      return 0
    fi
    log "dockerd with $driver exited; last log lines:"
    tail -n 5 "$DOCKERD_LOG" >&2 || true
    cp "$DOCKERD_LOG" "$DOCKERD_LOG.$driver" 2>/dev/null || true
  done
  die "dockerd failed to start with overlay2 and vfs; see $DOCKERD_LOG and $DOCKERD_LOG.overlay2"
}

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

WORK=
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }
trap cleanup EXIT

build_debian_image() {
  WORK=$(mktemp -d /var/tmp/cc-setup.XXXXXX)
  log "debootstrap --variant=minbase bookworm (about 30 s)"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"* 2>/dev/null || true
  log "docker import $DEBIAN_IMAGE"
  tar --numeric-owner -C "$WORK/rootfs" -c . \
    | docker import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$WORK"; WORK=
}

build_busybox_image() {
  local bb=/bin/busybox root applet
  WORK=$(mktemp -d /var/tmp/cc-setup.XXXXXX)
  root=$WORK/rootfs
  mkdir -p "$root"/{bin,etc,root,tmp,app,proc,sys,dev}
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  install -m 0755 "$bb" "$root/bin/busybox"
  # Every applet as a relative symlink in /bin (what `busybox --install -s` does, minus absolute targets).
  for applet in $("$bb" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
  rmdir "$root/app"
  log "docker import $BUSYBOX_IMAGE ($("$bb" --list | wc -l) applets)"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . \
    | docker import --change 'CMD ["/bin/sh"]' - "$BUSYBOX_IMAGE" >/dev/null
  rm -rf "$WORK"; WORK=
}

# 1. Docker engine
if ! docker_up; then
  start_dockerd
fi

# 2. Tools (one apt-get update at most per run)
missing=()
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v zstd >/dev/null 2>&1 || missing+=(zstd) # the zstd decoder's unit test compresses with the reference encoder
[ -x /bin/busybox ] && dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi

# 3. Base images (only when absent)
image_present "$DEBIAN_IMAGE" || build_debian_image
image_present "$BUSYBOX_IMAGE" || build_busybox_image

log "ready ($(docker version --format 'engine {{.Server.Version}}' 2>/dev/null), $(docker info --format 'storage {{.Driver}}' 2>/dev/null))"
