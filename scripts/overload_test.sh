#!/usr/bin/env bash
# Overload test (issue 11): starts the release server on SQLite in a temporary directory, measures
# its capacity, then offers 3x that rate over 64 connections for OVERLOAD_SECONDS (20) while
# sampling its resident memory (/proc) and the latency of a gRPC health check on a connection of
# its own; after the load it times the first turn that succeeds. Prints one line of figures per
# attempt and fails if resident memory reached 512 MiB, a health check took over 1 s (or failed),
# or the first turn after the load took over 2 s. `loadgen overload` does the driving and measuring.
#
# A run on a machine shared with other work can see a health check delayed by the machine rather
# than the server, so an attempt over a bound is repeated once with a fresh server; the test fails
# when both attempts are over a bound (or the server dies). Both attempts' figures are printed.
#
# Timing bounds (health 1 s, recovery 2 s) are enforced with OVERLOAD_STRICT=1 (the default outside
# CI). Under CI, on a machine shared with the build and other jobs, they are measured and printed but
# not enforced (a timed assertion there measures the machine, not the server); the memory bound, a
# failed health check, a failed first turn and a dead server still fail the run.
#
# Needs target/release/escalation-router and target/release/loadgen (`cargo build --release`).
# OVERLOAD_JSON=FILE also writes the last attempt's figures as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/escalation-router
loadgen=target/release/loadgen
for b in "$bin" "$loadgen"; do
  [[ -x "$b" ]] || { echo "overload test: $b missing; run cargo build --release" >&2; exit 2; }
done
port=${OVERLOAD_PORT:-50778}
json=()
if [[ -n "${OVERLOAD_JSON:-}" ]]; then json=(--json "$OVERLOAD_JSON"); fi
health_ms=1000 recovery_ms=2000
if [[ "${OVERLOAD_STRICT:-}" != 1 && -n "${CI:-}" ]]; then
  echo "overload test: CI run: health and recovery times are reported, not enforced (OVERLOAD_STRICT=1 enforces 1 s and 2 s)"
  health_ms=600000 recovery_ms=600000
fi

# One attempt against a fresh server; returns loadgen's status (2 if the server died).
attempt() {
  local workdir server status=0
  workdir=$(mktemp -d)
  # No drain on SIGTERM: the port is free again as soon as the attempt ends.
  ESCALATION__SERVER__LISTEN=127.0.0.1:$port ESCALATION__STORE__URL="sqlite://$workdir/escalation.db" \
    ESCALATION__SERVER__DRAIN_SECONDS=0 "$bin" serve >"$workdir/server.log" 2>&1 &
  server=$!
  "$loadgen" wait --addr "http://127.0.0.1:$port" --timeout 30
  RUST_BACKTRACE=0 "$loadgen" overload --addr "http://127.0.0.1:$port" --server-pid "$server" \
    --connections 64 --factor 3 --seconds "${OVERLOAD_SECONDS:-20}" \
    --max-rss-mib 512 --max-health-ms "$health_ms" --max-recovery-ms "$recovery_ms" "${json[@]}" || status=$?
  if ! kill -0 "$server" 2>/dev/null; then
    echo "overload test: the server died; its log ends:" >&2
    tail -n 20 "$workdir/server.log" >&2
    status=2
  fi
  echo "server log: $(wc -l <"$workdir/server.log") lines during the attempt"
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$workdir"
  return $status
}

status=0
attempt || status=$?
if [[ $status -eq 1 ]]; then
  echo "overload test: over a bound once; repeating with a fresh server (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  status=0
  attempt || status=$?
fi
exit $status
