# common.sh - shell functions sourced by the scripts in scripts/testbed/ (not run directly).
#
# TESTBED_DIR (env PTSAML_TESTBED_DIR, default $XDG_STATE_HOME/ptsaml-testbed or
# ~/.local/state/ptsaml-testbed) holds one sub-directory per service: its
# generated config, logs, the PIDs it started and an `env` file for tests.
# shellcheck shell=bash

TESTBED_DIR="${PTSAML_TESTBED_DIR:-${XDG_STATE_HOME:-${HOME:-/root}/.local/state}/ptsaml-testbed}"
TESTBED_NAME="${TESTBED_NAME:-testbed}"
APT_LOG="${TESTBED_DIR}/apt.log"

die() { echo "${TESTBED_NAME}: error: $*" >&2; exit 1; }
log() { echo "${TESTBED_NAME}: $*" >&2; }

# port_busy PORT: true when something accepts connections on 127.0.0.1:PORT
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive FILE PATTERN: true when FILE names a running process whose command
# line contains PATTERN (a stale PID file may name a reused PID)
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "$2" >/dev/null
}

# stop_pid FILE PATTERN [group]: stop the process (or its process group)
# recorded in FILE, if it is still the one we started
stop_pid() {
  local file=$1 target pid
  if ! pid_alive "$file" "$2"; then rm -f "$file"; return 0; fi
  pid="$(cat "$file")"
  target="$pid"
  [ "${3:-}" = group ] && target="-$pid"
  kill -- "$target" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 -- "$target" 2>/dev/null || break; sleep 0.1; done
  if kill -0 -- "$target" 2>/dev/null; then kill -9 -- "$target" 2>/dev/null || true; fi
  log "stopped pid $pid"
  rm -f "$file"
}

# missing_packages PKG...: prints the packages dpkg does not list as installed
missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'ok installed' >/dev/null || echo "$p"
  done
}

# apt_install PKG...: installs the missing ones; runs `apt-get update` only when
# the package lists are empty or the first attempt fails.
apt_install() {
  local -a missing
  mapfile -t missing < <(missing_packages "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root: apt-get install ${missing[*]})"
  mkdir -p "$TESTBED_DIR"
  local -a apt=(apt-get -o DPkg::Lock::Timeout=600 -q -y)
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -print -quit 2>/dev/null)" ]; then
    log "apt-get update (package lists are empty)"
    "${apt[@]}" update >>"$APT_LOG" 2>&1 || die "apt-get update failed (log: $APT_LOG)"
  fi
  log "apt-get install ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${missing[@]}" >>"$APT_LOG" 2>&1; then
    log "install failed; running apt-get update and retrying"
    "${apt[@]}" update >>"$APT_LOG" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${missing[@]}" >>"$APT_LOG" 2>&1 \
      || { tail -20 "$APT_LOG" >&2; die "apt-get install ${missing[*]} failed (log: $APT_LOG)"; }
  fi
}

# wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds; false on timeout
wait_for() {
  local limit=$1 t0=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    [ $((SECONDS - t0)) -lt "$limit" ] || return 1
    sleep 0.2
  done
}
