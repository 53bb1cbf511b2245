#!/usr/bin/env bash
# SQLite ProcessTurn throughput next to the memory store's, and how many turns share an fsync.
#
# Server pinned to one core, the project's loadgen on the other (closed loop, unary ProcessTurn);
# turns per fsync from the server's own `escalation_store_batch_turns` histogram (sum / count).
# Short by design (DURATION seconds a run, default 5): the machine is shared.
#
#   bench/sqlite_turns.sh            # memory, then sqlite
#   SKIP_BUILD=1 INFLIGHT=128 bench/sqlite_turns.sh
#   SKIP_BUILD=1 TURNS=50 bench/sqlite_turns.sh   # longer conversations (default 10 turns)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-50151}
METRICS_PORT=${METRICS_PORT:-50152}
INFLIGHT=${INFLIGHT:-64}
DURATION=${DURATION:-5}
TURNS=${TURNS:-10}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
BIN=${BIN:-target/release/escalation-router}
LG=target/release/loadgen
TMP=$(mktemp -d)
PID=""
cleanup() {
    if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --bin escalation-router --bin loadgen
fi
for store in memory sqlite; do
    url=memory
    [ "$store" = sqlite ] && url="sqlite://$TMP/turns.db"
    ESCALATION__SERVER__LISTEN="127.0.0.1:$PORT" ESCALATION__STORE__URL="$url" \
        ESCALATION__METRICS__LISTEN="127.0.0.1:$METRICS_PORT" RUST_LOG=warn \
        taskset -c "$SERVER_CPU" "$BIN" serve >"$TMP/server.log" 2>&1 &
    PID=$!
    taskset -c "$CLIENT_CPU" "$LG" wait --addr "http://127.0.0.1:$PORT" --timeout 30
    printf '%-7s ' "$store"
    taskset -c "$CLIENT_CPU" "$LG" run --addr "http://127.0.0.1:$PORT" --server-pid "$PID" \
        --rpc unary --inflight "$INFLIGHT" --duration "$DURATION" --turns "$TURNS" --label "$store"
    if [ "$store" = sqlite ]; then
        curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '
            /^escalation_store_batch_turns_sum/ { s = $2 }
            /^escalation_store_batch_turns_count/ { c = $2 }
            END { if (c > 0) printf "sqlite  transactions=%d writes=%d turns per fsync=%.1f\n", c, s, s / c }'
    fi
    kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done
