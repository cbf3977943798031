#!/usr/bin/env bash
# bench.sh - figures for the sign-in path, measured on this machine:
#   * median wall time of a warm `ptsaml credential-process` next to /bin/true
#     (same hyperfine run, so both see the same machine load),
#   * login time on the sandbox, from start to cached credentials,
#   * binary size (release flags),
#   * `ptsaml exec -- /bin/true` next to bare /bin/true (the cost of a job wrapper),
#   * the credential endpoint's latency p50/p99 and requests/s at concurrency 1, 16, 64,
#   * ptsaml's resident memory while a job runs.
# Needs Go and hyperfine (apt-get install hyperfine; installed when missing and root).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q hyperfine >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q hyperfine >/dev/null; }
  else
    echo "bench: hyperfine is required: sudo apt-get install hyperfine" >&2; exit 1
  fi
fi

work="$(mktemp -d /tmp/ptsaml-bench.XXXXXX)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -trimpath -ldflags "-s -w" -o "$work/ptsaml" ./cmd/ptsaml
go build -o "$work/ptsaml-debug" ./cmd/ptsaml
export PTSAML_CONFIG="$work/config.yaml" XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
port=$(( 20000 + RANDOM % 20000 ))
"$work/ptsaml" sandbox --addr "127.0.0.1:$port" --acs-url "http://127.0.0.1:$((port + 1))/saml/acs" \
  --headless --store file 2>"$work/sandbox.log" &
pid=$!
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/stats" 2>/dev/null && break; sleep 0.1; done
"$work/ptsaml" login --profile sandbox 2>/dev/null

hyperfine --style none --warmup 5 --runs 200 -N --export-json "$work/warm.json" \
  "$work/ptsaml credential-process --profile sandbox" /bin/true >/dev/null
hyperfine --style none --warmup 1 --runs 15 -N --export-json "$work/login.json" \
  "$work/ptsaml login --profile sandbox" >/dev/null
hyperfine --style none --warmup 3 --runs 50 -N --export-json "$work/exec.json" \
  "$work/ptsaml exec --profile sandbox -- /bin/true" /bin/true >/dev/null
go build -o "$work/credbench" ./internal/credserver/cmd/credbench

# resident memory of ptsaml while a job runs (sampled once the job is up)
"$work/ptsaml" exec --profile sandbox -- sleep 3 &
jobpid=$!
sleep 1.5
rss_kib=$(awk '/^VmRSS/ {print $2}' "/proc/$jobpid/status")
wait "$jobpid"

median() { /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.2f ms (mean %.2f ms, min %.2f ms)" % (r["median"]*1e3, r["mean"]*1e3, r["min"]*1e3))' "$1" "$2"; }
size() { stat -c %s "$1" | awk '{printf "%.1f MiB (%d bytes)", $1/1048576, $1}'; }

echo "warm credential-process: $(median "$work/warm.json" 0)"
echo "/bin/true (same run):    $(median "$work/warm.json" 1)"
echo "sandbox login to cached credentials: $(median "$work/login.json" 0)"
echo "binary size: $(size "$work/ptsaml") release flags (-trimpath -s -w); $(size "$work/ptsaml-debug") default build"
echo "ptsaml exec -- /bin/true: $(median "$work/exec.json" 0)"
echo "/bin/true (same run):     $(median "$work/exec.json" 1)"
/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("job wrapper overhead: %.1fx /bin/true (medians)" % (r[0]["median"]/r[1]["median"]))' "$work/exec.json"
echo "ptsaml resident memory while a job runs: $((rss_kib / 1024)) MiB (${rss_kib} KiB)"
echo "credential endpoint (in-process client, keep-alive and new connections):"
"$work/credbench"
echo "STS calls served by the sandbox: $(curl -fsS "http://127.0.0.1:$port/stats")"
