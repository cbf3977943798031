#!/usr/bin/env bash
# fuzz.sh - runs every Go fuzz target (func FuzzX(f *testing.F) in a _test.go
# file) for a bounded time, one target per `go test` invocation:
#   go test -run '^$' -fuzz '^FuzzX$' -fuzztime 20s -fuzzminimizetime 2s ./the/package
# and prints one line per target with the executions of its run:
#   fuzz: FuzzX ./the/package: 412345 execs in 20s, 12 new interesting
# The committed seed corpora (testdata/fuzz/FuzzX/) run with the ordinary
# tests too. When a target fails, go test writes the failing input to the
# package's testdata/fuzz/FuzzX/: commit it as a regression test.
#   FUZZTIME  time per target (default 20s; `go test -fuzztime` syntax)
#   FUZZMINIMIZETIME  time to minimise each new input (default 2s; Go's 60s
#             would spend a short run minimising one input)
#   FUZZ_RUN  a regexp: only targets whose name matches
# Exits 1 when any target failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FUZZTIME="${FUZZTIME:-20s}"
FUZZMINIMIZETIME="${FUZZMINIMIZETIME:-2s}"
FUZZ_RUN="${FUZZ_RUN:-.}"

say() { echo "fuzz: $*" >&2; }

# targets prints "DIR NAME" for each fuzz target, sorted.
targets() {
  grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' \
    --exclude-dir=.git --exclude-dir=testdata . |
    sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort -u
}

failed=()
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
while read -r dir name; do
  [[ "$name" =~ $FUZZ_RUN ]] || continue
  suffix=""
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$dir" >"$out" 2>&1; then
    suffix=" - FAILED"
    failed+=("$name")
  fi
  # the last progress line: "fuzz: elapsed: 20s, execs: 412345 (20617/sec), new interesting: 12 (total: 40)"
  last="$(grep -E '^fuzz: elapsed: .*execs: ' "$out" | tail -n 1 || true)"
  execs="$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")"
  fresh="$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")"
  echo "fuzz: $name $dir: ${execs:-0} execs in $FUZZTIME, ${fresh:-0} new interesting$suffix"
  if [ -n "$suffix" ]; then
    grep -vE '^fuzz: elapsed: ' "$out" >&2 || true
  fi
done < <(targets)

if [ "${#failed[@]}" -gt 0 ]; then
  say "failed: ${failed[*]} (the failing inputs are under the packages' testdata/fuzz/)"
  exit 1
fi
