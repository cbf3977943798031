#!/usr/bin/env bash
# demo.sh - ptsaml on the built-in sandbox, in one command: build ptsaml,
# start `ptsaml sandbox` with 60-second credentials, log in (headless sign-in
# as alice), show the session, let the AWS CLI fetch credentials through
# credential_process, then train examples/train.py under `ptsaml run` with
# its data and checkpoints in the sandbox's S3 while a re-login every 40 s
# (as a person in another terminal would) keeps the job's credentials fresh.
# Installs Debian's PyTorch and boto3 when missing (as root), else says what
# to install. Everything lives in a temporary directory and every process it
# starts is stopped at the end. DEMO_SECONDS sets the training time (100).
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
"$work/ptsaml" sandbox --addr "$addr" --headless --store file --short-credentials "${DEMO_SHORT:-60s}" \
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

step "train examples/train.py under ptsaml run (60 s credentials, re-login every 40 s)"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import torch, boto3' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's PyTorch and boto3 (python3-torch python3-boto3 libopenblas0-pthread, ~650 MB)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
      python3-torch python3-boto3 libopenblas0-pthread >/dev/null \
      || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
             python3-torch python3-boto3 libopenblas0-pthread >/dev/null; }
  fi
fi
if "$py" -c 'import torch, boto3' 2>/dev/null; then
  export AWS_ENDPOINT_URL_S3="http://$addr/s3"
  ptsaml run --profile sandbox --python "$py" examples/train.py --make-dataset --shards 16
  ( while sleep 40; do "$work/ptsaml" login --profile sandbox >/dev/null 2>&1 && echo "  [another terminal] ptsaml login --profile sandbox" >&2; done ) &
  pids+=($!)
  ptsaml run --profile sandbox --python "$py" examples/train.py --shards 16 \
    --duration "${DEMO_SECONDS:-100}" --checkpoint-every 20 --step-time 0.05
else
  echo "skipped: this needs PyTorch and boto3 for $py: apt-get install --no-install-recommends python3-torch python3-boto3 libopenblas0-pthread" >&2
fi

step "sandbox statistics"
curl -fsS "http://$addr/stats"; echo
