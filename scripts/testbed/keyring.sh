#!/usr/bin/env bash
# keyring.sh - a Secret Service (gnome-keyring) on a private D-Bus session bus,
# so go-keyring and secret-tool work headless, as root, with no desktop session.
#
#   keyring.sh start   dbus-daemon on unix:path=$STATE/bus + gnome-keyring-daemon
#                      with an unlocked "login" keyring (data under $STATE/home)
#   keyring.sh stop    stop exactly the two recorded PIDs
#   keyring.sh status  exit 0 when both run
#   keyring.sh env     print `export DBUS_SESSION_BUS_ADDRESS=...` for a shell
#   keyring.sh env-file  print the path of $STATE/env (PTSAML_E2E_DBUS_ADDRESS)
#
# Tests read PTSAML_E2E_DBUS_ADDRESS from $STATE/env; they never fall back to a
# desktop's own keyring.
# Env: KEYRING_PASSWORD (ptsaml-test) PTSAML_TESTBED_DIR
set -euo pipefail
TESTBED_NAME=keyring
# shellcheck source=scripts/testbed/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KEYRING_PASSWORD="${KEYRING_PASSWORD:-ptsaml-test}"
STATE="$TESTBED_DIR/keyring"
BUS="unix:path=$STATE/bus"

secrets_on_bus() {
  DBUS_SESSION_BUS_ADDRESS="$BUS" dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep 'boolean true' >/dev/null
}

running() { pid_alive "$STATE/dbus.pid" dbus-daemon && pid_alive "$STATE/gkd.pid" gnome-keyring-daemon; }

start() {
  if running; then log "already running (dbus $(cat "$STATE/dbus.pid"), gnome-keyring $(cat "$STATE/gkd.pid"))"; return 0; fi
  if ! command -v gnome-keyring-daemon >/dev/null || ! command -v dbus-daemon >/dev/null; then
    die "gnome-keyring or dbus-daemon is not installed: run scripts/testbed/deps.sh"
  fi
  stop
  mkdir -p "$STATE/home/.local/share" "$STATE/run"
  chmod 700 "$STATE" "$STATE/run"
  rm -f "$STATE/bus"
  local t0=$SECONDS
  dbus-daemon --session --address="$BUS" --fork --nopidfile --print-pid=3 3>"$STATE/dbus.pid" 2>"$STATE/dbus.log" \
    || die "dbus-daemon failed: $(cat "$STATE/dbus.log")"
  # --foreground keeps the PID ours; --unlock reads the password (no newline) from
  # stdin and creates the login keyring on first use. Until the daemon owns
  # org.freedesktop.secrets a client would D-Bus-activate a second, locked one.
  printf '%s' "$KEYRING_PASSWORD" | HOME="$STATE/home" XDG_DATA_HOME="$STATE/home/.local/share" \
    XDG_RUNTIME_DIR="$STATE/run" DBUS_SESSION_BUS_ADDRESS="$BUS" \
    setsid gnome-keyring-daemon --foreground --unlock --components=secrets >"$STATE/gkd.out" 2>"$STATE/gkd.log" &
  echo $! >"$STATE/gkd.pid"
  if ! wait_for 20 secrets_on_bus; then
    cat "$STATE/gkd.log" >&2
    stop
    die "gnome-keyring-daemon did not take org.freedesktop.secrets within 20s"
  fi
  if grep -q 'failed to unlock' "$STATE/gkd.log"; then
    stop
    die "the login keyring in $STATE/home has another password: remove $STATE/home or set KEYRING_PASSWORD"
  fi
  echo "PTSAML_E2E_DBUS_ADDRESS=$BUS" >"$STATE/env"
  log "up on $BUS in $((SECONDS - t0))s (dbus $(cat "$STATE/dbus.pid"), gnome-keyring $(cat "$STATE/gkd.pid")); env: $STATE/env"
}

stop() { stop_pid "$STATE/gkd.pid" gnome-keyring-daemon; stop_pid "$STATE/dbus.pid" dbus-daemon; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) running ;;
  env) running || die "not running: run '$0 start'"; echo "export DBUS_SESSION_BUS_ADDRESS=$BUS" ;;
  env-file) echo "$STATE/env" ;;
  *) die "unknown command '$1' (start|stop|status|env|env-file)" ;;
esac
