#!/usr/bin/env bash
# What traces cost a turn: ProcessTurn on the memory store with `tracing.otlp_endpoint` unset, then
# set to a local OTLP sink (bench/otlp_sink.py, Python grpcio) that accepts every export.
#
# Server pinned to one core, loadgen and the sink on the other (closed loop, unary ProcessTurn); the
# figure to read is the server's CPU per turn (loadgen's `server_cpu_us_per_turn`), which the
# machine's other load disturbs less than throughput. Short by design (DURATION s a run, default 5).
#
#   bench/traces.sh                  # builds release first
#   SKIP_BUILD=1 REPEAT=3 bench/traces.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-50161}
SINK_PORT=${SINK_PORT:-50162}
INFLIGHT=${INFLIGHT:-64}
DURATION=${DURATION:-5}
REPEAT=${REPEAT:-1}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BIN=target/release/escalation-router
LG=target/release/loadgen
TMP=$(mktemp -d)
PID=""
SINK=""
cleanup() {
    if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    if [ -n "$SINK" ]; then kill -TERM "$SINK" 2>/dev/null || true; wait "$SINK" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --bin escalation-router --bin loadgen
fi
taskset -c "$CLIENT_CPU" python3 bench/otlp_sink.py "$SINK_PORT" >"$TMP/sink.log" 2>&1 &
SINK=$!
for round in $(seq "$REPEAT"); do
    for traces in off on; do
        endpoint=()
        [ "$traces" = on ] && endpoint=(env "ESCALATION__TRACING__OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT")
        "${endpoint[@]}" env ESCALATION__SERVER__LISTEN="127.0.0.1:$PORT" ESCALATION__STORE__URL=memory \
            ESCALATION__SERVER__DRAIN_SECONDS=0 RUST_LOG=warn \
            taskset -c "$SERVER_CPU" "$BIN" serve >"$TMP/server.log" 2>&1 &
        PID=$!
        taskset -c "$CLIENT_CPU" "$LG" wait --addr "http://127.0.0.1:$PORT" --timeout 30
        printf 'traces %-3s ' "$traces"
        taskset -c "$CLIENT_CPU" "$LG" run --addr "http://127.0.0.1:$PORT" --server-pid "$PID" \
            --rpc unary --inflight "$INFLIGHT" --duration "$DURATION" --label "traces-$traces-$round"
        kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
        grep -E 'WARN|ERROR' "$TMP/server.log" || true
    done
done
kill -TERM "$SINK"; wait "$SINK" 2>/dev/null || true; SINK=""
echo "sink: $(cat "$TMP/sink.log")"
