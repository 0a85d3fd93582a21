# Sourced by the set-up scripts: quiet apt-get, at most one `apt-get update`
# per run. Needs log() and die() from the caller. apt's chatter goes to
# $APT_LOG and is shown only when a step fails.
APT_LOG=/tmp/cc-setup-apt.log
apt_updated=0
apt_run() {
  "$@" >>"$APT_LOG" 2>&1 || { tail -n 20 "$APT_LOG" >&2; die "failed: $* (full log: $APT_LOG)"; }
}
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt_run apt-get update
    apt_updated=1
  fi
  log "apt-get install $*"
  apt_run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}
