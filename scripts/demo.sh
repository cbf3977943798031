#!/usr/bin/env bash
# demo.sh - the whole sign-in path on the built-in sandbox, in one command:
# build ptsaml, start `ptsaml sandbox`, log in (headless sign-in as alice),
# show the session, and let the AWS CLI fetch credentials through
# credential_process. Everything lives in a temporary directory and every
# process it starts is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v go >/dev/null || { echo "demo: Go is required (https://go.dev/dl/)" >&2; exit 1; }
work="$(mktemp -d /tmp/ptsaml-demo.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

step "build"
go build -o "$work/ptsaml" ./cmd/ptsaml
export PTSAML_CONFIG="$work/config.yaml" XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
ptsaml() { "$work/ptsaml" "$@"; }

step "start the sandbox (test IdP + STS on loopback)"
addr="127.0.0.1:${DEMO_PORT:-18900}"
"$work/ptsaml" sandbox --addr "$addr" --headless --store file ${DEMO_SHORT:+--short-credentials "$DEMO_SHORT"} \
  2> >(sed -u 's/^/  [sandbox] /' >&2) &
pids+=($!)
for _ in $(seq 100); do [ -s "$PTSAML_CONFIG" ] && curl -fsS -o /dev/null "http://$addr/stats" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "http://$addr/stats" || { echo "demo: the sandbox did not start" >&2; exit 1; }

step "ptsaml login --profile sandbox"
ptsaml login --profile sandbox

step "ptsaml status --profile sandbox"
ptsaml status --profile sandbox

step "ptsaml roles --profile sandbox"
ptsaml roles --profile sandbox

step "ptsaml credential-process --profile sandbox (secrets shortened)"
ptsaml credential-process --profile sandbox | sed -E 's/("(SecretAccessKey|SessionToken)": ?")([^"]{6})[^"]*/\1\3…/g'

if [ -x /usr/bin/aws ]; then
  step "the AWS CLI with credential_process = ptsaml credential-process"
  mkdir -p "$work/aws"
  printf '[profile sandbox]\ncredential_process = %s credential-process --profile sandbox\nregion = us-east-1\n' \
    "$work/ptsaml" >"$work/aws/config"
  AWS_CONFIG_FILE="$work/aws/config" AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    /usr/bin/aws --profile sandbox --endpoint-url "http://$addr/sts/" sts get-caller-identity
else
  echo "(install the AWS CLI v2 to see it fetch credentials through credential_process: apt-get install awscli)" >&2
fi

step "sandbox statistics"
curl -fsS "http://$addr/stats"; echo
