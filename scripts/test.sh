#!/usr/bin/env bash
# test.sh - the project's test command: go vet and every Go test, including the
# end-to-end tests in e2e/ with their real parts (scripts/testbed/): it installs
# the Debian packages they need (as root), starts the SimpleSAMLphp IdP, moto and
# a private gnome-keyring when they are not running, stops again only what it
# started, and runs
#   go vet ./...
#   go test -race -count=1 -timeout 30m ./...
# Extra arguments go to `go test` (e.g. -run TestSTS -v).
# With CI=true or PTSAML_FUZZ=1, scripts/fuzz.sh then runs each fuzz target
# for a bounded time (FUZZTIME, default 20s).
#
# Without root, or without moto, the end-to-end tests that miss a part skip
# and say why; with CI=true a missing part is an error instead.
# PTSAML_TESTBED=0 runs the tests without touching the test bed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TB=scripts/testbed
STARTED=()

say() { echo "test.sh: $*" >&2; }

# unavailable MESSAGE: fatal under CI, a warning for a developer
unavailable() {
  if [ "${CI:-}" = true ]; then say "error: $*"; exit 1; fi
  say "warning: $* - the end-to-end tests that need it will skip"
}

stop_started() {
  local s
  for s in "${STARTED[@]}"; do bash "$TB/$s.sh" stop || true; done
}
trap stop_started EXIT

# start_service NAME: starts NAME unless it runs, and loads its env file
start_service() {
  local name=$1 env
  if ! bash "$TB/$name.sh" status; then
    if ! bash "$TB/$name.sh" start; then unavailable "$name did not start"; return 0; fi
    STARTED+=("$name")
  fi
  env="$(bash "$TB/$name.sh" env-file)"
  set -a
  # shellcheck disable=SC1090
  . "$env"
  set +a
}

if [ "${PTSAML_TESTBED:-1}" != 0 ]; then
  t0=$SECONDS
  if bash "$TB/deps.sh"; then
    start_service idp
    start_service moto
    start_service moto60
    start_service keyring
    say "test bed ready in $((SECONDS - t0))s"
  else
    unavailable "the test bed's packages are not installed (run scripts/testbed/deps.sh as root)"
  fi
fi

t0=$SECONDS
go vet ./...
go test -race -count=1 -timeout 30m "$@" ./...
say "vet + tests took $((SECONDS - t0))s"
if [ "${CI:-}" = true ] || [ "${PTSAML_FUZZ:-0}" = 1 ]; then
  bash scripts/fuzz.sh
fi
