#!/usr/bin/env bash
# Measures escalation-router against its do-nothing baseline on loopback, server pinned to one core and
# the load generator to another, and writes bench/report.md + bench/report.json.
#
#   bench/run.sh                 # everything, in-memory store (a few minutes on 2 cores)
#   QUICK=1 bench/run.sh         # shorter runs, fewer points (about a minute)
#   STORES="memory sqlite" bench/run.sh   # also the SQLite store (saturation and latency)
#
# Knobs (environment): SERVER_CPU, CLIENT_CPU, PORT, DURATION (s per saturation run), REPEAT
# (saturation runs per target, the best is kept), LIVE (conversations for the memory figure),
# CONNECTIONS, INFLIGHT, STORES, NICE (default -10; 0 when not root), SKIP_BUILD=1, BIN (the server
# executable, to measure another build against the same baseline run).
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=${QUICK:-0}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-50551}
ADDR="http://127.0.0.1:${PORT}"
CONNECTIONS=${CONNECTIONS:-2}
INFLIGHT=${INFLIGHT:-64}
STORES=${STORES:-memory}
# Our two processes run at this niceness, each in its own session (the kernel groups processes by
# session for scheduling: autogroups), so compilers sharing the cores disturb them less.
NICE=${NICE:--10}
if [ "$QUICK" = 1 ]; then
    DURATION=${DURATION:-2}; REPEAT=${REPEAT:-1}; LIVE=${LIVE:-20000}; LAT_DURATION=${LAT_DURATION:-4}
else
    DURATION=${DURATION:-4}; REPEAT=${REPEAT:-2}; LIVE=${LIVE:-100000}; LAT_DURATION=${LAT_DURATION:-10}
fi
OUT=bench/out
BIN=${BIN:-target/release/escalation-router}
LG=target/release/loadgen
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT/server.log"
TMP=$(mktemp -d)
PID=""

cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --bin escalation-router --bin loadgen
fi

store_url() {
    case "$1" in
        memory) echo memory ;;
        sqlite) echo "sqlite://${TMP}/bench-$RANDOM.db" ;;
        *) echo "$1" ;;
    esac
}

# start KIND STORE: starts the baseline (KIND=baseline) or the real service on SERVER_CPU.
start() {
    local flag=""
    [ "$1" = baseline ] && flag="--baseline"
    ESCALATION__SERVER__LISTEN="127.0.0.1:${PORT}" ESCALATION__STORE__URL="$(store_url "$2")" \
        ESCALATION__SERVER__GRACE_SECONDS=1 RUST_LOG=warn \
        boosted_exec taskset -c "$SERVER_CPU" "$BIN" serve $flag >>"$OUT/server.log" 2>&1 &
    PID=$!
    taskset -c "$CLIENT_CPU" "$LG" wait --addr "$ADDR" --timeout 30
    # The pid must be the server itself: its CPU time and memory are read from /proc/$PID.
    grep -q escalation "/proc/$PID/comm" || { echo "server pid $PID is not the server" >&2; exit 1; }
}

# boosted CMD...: runs CMD in a new session whose scheduling group gets niceness $NICE.
boosted() {
    setsid sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' "$NICE" "$@"
}

# boosted_exec CMD... &: the same for a background server; every step execs, so $! is its pid.
boosted_exec() {
    exec setsid sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' "$NICE" "$@"
}

stop() {
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
}

# lg NAME ARGS...: one load generator run, report in $OUT/NAME.json.
lg() {
    local name=$1
    shift
    printf '%-28s ' "$name"
    boosted taskset -c "$CLIENT_CPU" "$LG" run --addr "$ADDR" --server-pid "$PID" --label "$name" \
        --connections "$CONNECTIONS" --json "$OUT/$name.json" "$@"
}

rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$PID/status"; }

if "$LG" wait --addr "$ADDR" --timeout 0.1 >/dev/null 2>&1; then
    echo "something already answers on $ADDR; stop it or set PORT" >&2
    exit 1
fi

echo "== machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1); load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== saturation: closed loop, $INFLIGHT in flight over $CONNECTIONS connections, best of $REPEAT"
for r in $(seq 1 "$REPEAT"); do
    for target in baseline $STORES; do
        if [ "$target" = baseline ]; then start baseline memory; else start real "$target"; fi
        lg "sat_unary_${target}_$r" --rpc unary --inflight "$INFLIGHT" --duration "$DURATION"
        lg "sat_stream_${target}_$r" --rpc stream --inflight "$((INFLIGHT * 4))" --duration "$DURATION"
        stop
    done
done

echo "== latency at half the baseline's unary saturation rate (durable stores: half their own)"
BASE_RATE=$(python3 bench/report.py best-rate "$OUT" sat_unary_baseline)
HALF=$(python3 -c "print(round($BASE_RATE / 2))")
for target in baseline $STORES; do
    rate=$HALF
    case "$target" in
        baseline | memory) ;;
        # A durable store is measured at half its own saturation rate: at the baseline's it would
        # only queue and shed.
        *) rate=$(python3 bench/report.py best-rate "$OUT" "sat_unary_$target" | awk '{ print int($1 / 2) + 1 }') ;;
    esac
    if [ "$target" = baseline ]; then start baseline memory; else start real "$target"; fi
    lg "lat_unary_${target}" --rpc unary --rate "$rate" --duration "$LAT_DURATION" --warmup 1
    stop
done

# Where the service's own capacity is below the baseline's rate, the figure above is queueing;
# this one says what a turn costs in time when the service is at half its own capacity.
OWN_HALF=$(python3 bench/report.py best-rate "$OUT" sat_unary_memory | awk '{ print int($1 / 2) + 1 }')
start real memory
lg "lat_unary_memory_own" --rpc unary --rate "$OWN_HALF" --duration "$LAT_DURATION" --warmup 1
stop

echo "== start-up to SERVING (memory store, 5 runs)"
ESCALATION__SERVER__LISTEN="127.0.0.1:${PORT}" ESCALATION__STORE__URL=memory RUST_LOG=warn \
    boosted taskset -c "$CLIENT_CPU" "$LG" startup --addr "$ADDR" --repeat 5 \
    --json "$OUT/startup.json" -- taskset -c "$SERVER_CPU" "$BIN" serve

echo "== memory: $LIVE live conversations of 10 turns"
start real memory
RSS0=$(rss)
lg fill_live --rpc stream --inflight 256 --conversations "$LIVE" --turns 10 --requests "$((LIVE * 10))"
sleep 1
RSS1=$(rss)
echo "{\"conversations\": $LIVE, \"turns\": 10, \"rss_before\": $RSS0, \"rss_after\": $RSS1}" >"$OUT/memory.json"
echo "rss before=$RSS0 after=$RSS1 per conversation=$(( (RSS1 - RSS0) / LIVE )) bytes"
lg "live_${LIVE}" --rpc unary --inflight "$INFLIGHT" --duration "$DURATION"
stop

echo "== growth: turn length, conversation length, live conversations (unary closed loop)"
if [ "$QUICK" = 1 ]; then WORDS="5 100"; TURNS="2 50"; LIVES="10000"; else WORDS="5 30 100 300"; TURNS="2 10 50 200"; LIVES="1000 10000"; fi
start real memory
for w in $WORDS; do lg "words_$w" --rpc unary --inflight "$INFLIGHT" --duration "$DURATION" --words "$w"; done
stop
start real memory
for t in $TURNS; do lg "turns_$t" --rpc unary --inflight "$INFLIGHT" --duration "$DURATION" --turns "$t" --conversations 200; done
stop
for n in $LIVES; do
    start real memory
    lg "fill_$n" --rpc stream --inflight 256 --conversations "$n" --turns 10 --requests "$((n * 10))" >/dev/null
    lg "live_$n" --rpc unary --inflight "$INFLIGHT" --duration "$DURATION"
    stop
done

echo "== report"
python3 bench/report.py write "$OUT" bench/report.md bench/report.json \
    --machine "$(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)" \
    --load "$(cut -d' ' -f1-3 /proc/loadavg)" --stores "$STORES"
cat bench/report.md
