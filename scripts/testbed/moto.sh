#!/usr/bin/env bash
# moto.sh - moto 5.2.1 on 127.0.0.1:$MOTO_PORT as an AWS stand-in that does not
# share code with ptsaml: STS AssumeRoleWithSAML (signature, role pair, duration
# checked by moto_ptsaml.py), IAM, and S3 that checks SigV4 + session token + IAM
# policy once auth is switched on.
#
#   moto.sh start   start, create roles TrainRole/ReadOnlyRole, the SAML provider
#                   TestIdP (metadata fetched from the running IdP: start idp.sh
#                   first), bucket ptsaml-data, then switch auth on
#   moto.sh stop    stop the process recorded in $STATE/moto.pid
#   moto.sh status  exit 0 when running
#   moto.sh env     print the env file (endpoint, role and provider ARNs)
#   moto.sh env-file print the path of that file (tests source it)
#
# moto60.sh runs a second, independent instance through this script (its own
# port, state directory and env variable, MOTO_CAP_DURATION=60).
#
# moto is not a Debian package and PyPI is unreachable: it is used from the
# Python given by MOTO_PY (default: the pyenv 3.11.7 of this machine image).
# Env: MOTO_PORT (18500) MOTO_PY IDP_METADATA_URL MOTO_CAP_DURATION PTSAML_TESTBED_DIR
#      MOTO_INSTANCE (moto: names the state directory and the log prefix)
#      MOTO_URL_VAR (PTSAML_E2E_STS_URL: the env file's name for the endpoint)
set -euo pipefail
MOTO_INSTANCE="${MOTO_INSTANCE:-moto}"
MOTO_URL_VAR="${MOTO_URL_VAR:-PTSAML_E2E_STS_URL}"
TESTBED_NAME="$MOTO_INSTANCE"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/testbed/common.sh
. "$HERE/common.sh"

MOTO_PORT="${MOTO_PORT:-18500}"
MOTO_PY="${MOTO_PY:-/root/.pyenv/versions/3.11.7/bin/python3}"
IDP_METADATA_URL="${IDP_METADATA_URL:-http://127.0.0.1:18080/simplesaml/saml2/idp/metadata.php}"
STATE="$TESTBED_DIR/$MOTO_INSTANCE"
EP="http://127.0.0.1:${MOTO_PORT}"

moto_api() { curl -fsS -X POST -H 'Content-Type: text/plain' --data "$2" "$EP/moto-api/$1" >/dev/null; }

start() {
  if pid_alive "$STATE/moto.pid" moto_ptsaml.py; then log "already running (pid $(cat "$STATE/moto.pid"))"; return 0; fi
  [ -x "$MOTO_PY" ] || die "$MOTO_PY not found: moto 5.2.1 ships only in this machine image's pyenv 3.11.7 (set MOTO_PY to a Python with moto[server])"
  "$MOTO_PY" -c 'import moto, flask, werkzeug, boto3' 2>/dev/null || die "$MOTO_PY cannot import moto, flask, werkzeug and boto3"
  command -v xmlsec1 >/dev/null || die "xmlsec1 is not installed: run scripts/testbed/deps.sh"
  port_busy "$MOTO_PORT" && die "127.0.0.1:$MOTO_PORT is used by another process (stop it or set MOTO_PORT)"
  mkdir -p "$STATE"
  curl -fsS -o "$STATE/idp-metadata.xml" "$IDP_METADATA_URL" \
    || die "cannot fetch the IdP metadata from $IDP_METADATA_URL: start scripts/testbed/idp.sh first"
  local t0=$SECONDS
  setsid "$MOTO_PY" "$HERE/moto_ptsaml.py" -H 127.0.0.1 -p "$MOTO_PORT" >"$STATE/moto.log" 2>&1 </dev/null &
  echo $! >"$STATE/moto.pid"
  if ! wait_for 30 curl -fsS -o /dev/null "$EP/moto-api/"; then
    tail -20 "$STATE/moto.log" >&2 || true
    stop
    die "moto did not answer on $EP within 30s (log: $STATE/moto.log)"
  fi
  moto_api reset "" || die "moto-api reset failed"
  moto_api reset-auth inf || die "moto-api reset-auth failed"   # auth off for the setup calls
  "$MOTO_PY" "$HERE/moto_setup.py" "$EP" "$STATE/idp-metadata.xml" || die "creating roles, provider and bucket failed"
  moto_api reset-auth 0 || die "moto-api reset-auth failed"     # from now on every signed call is checked
  cat >"$STATE/env" <<ENV
$MOTO_URL_VAR=$EP
PTSAML_E2E_ROLE_ARN=arn:aws:iam::123456789012:role/TrainRole
PTSAML_E2E_PRINCIPAL_ARN=arn:aws:iam::123456789012:saml-provider/TestIdP
PTSAML_E2E_BUCKET=ptsaml-data
ENV
  log "up on $EP in $((SECONDS - t0))s (pid $(cat "$STATE/moto.pid")), auth enforced; env: $STATE/env"
}

stop() { stop_pid "$STATE/moto.pid" moto_ptsaml.py; }

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) pid_alive "$STATE/moto.pid" moto_ptsaml.py ;;
  env) cat "$STATE/env" ;;
  env-file) echo "$STATE/env" ;;
  *) die "unknown command '$1' (start|stop|status|env|env-file)" ;;
esac
