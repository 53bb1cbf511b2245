#!/usr/bin/env bash
# Instructions per turn (valgrind's callgrind), steady state: unlike time, instruction counts do
# not move with other load on the machine. Each figure runs the same work once and twice and
# divides the difference by the turns of the second half, so one-time costs (compiling the
# lexicons and entity patterns on first use, start-up) drop out.
#
#   bench/callgrind.sh                  # both figures below, release build, about 3 minutes
#   BIN=/path/to/other/escalation-router bench/callgrind.sh   # another build, the same way
#   BASELINE=1 EVAL=/none bench/callgrind.sh   # the do-nothing baseline (`serve --baseline`): what
#                                              # the gRPC stack alone costs a turn
#
# 1. replay: `Engine::process` over four eval files (11,449 turns; needs ../shared/eval).
# 2. serve: the whole server process (gRPC included) under `loadgen run --requests N`, unary,
#    generated conversations of TURNS turns (default "10 50").
# Profiles stay in $OUT (default bench/out/callgrind) for `callgrind_annotate`.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/escalation-router}
LG=${LG:-target/release/loadgen}
OUT=${OUT:-bench/out/callgrind}
PORT=${PORT:-50561}
TURNS=${TURNS:-10 50}
REQUESTS=${REQUESTS:-4000}
SERVE_FLAGS=()
WHAT="whole server"
if [ "${BASELINE:-0}" = 1 ]; then SERVE_FLAGS=(--baseline); WHAT="baseline server"; fi
EVAL=${EVAL:-../shared/eval}
mkdir -p "$OUT"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    cargo build --release --bin escalation-router --bin loadgen
fi

# ir FILE: the total instruction count of a callgrind profile.
ir() { sed -n 's/^totals: //p; s/^summary: //p' "$1" | head -1; }

if [ -d "$EVAL" ]; then
    files=("$EVAL/scenarios/dev_scenarios.jsonl" "$EVAL/scenarios/dev_checklist.jsonl"
        "$EVAL/dev/germeval2017_dev.jsonl" "$EVAL/dev/uss_sgd_dev.jsonl")
    turns=$(cat "${files[@]}" | python3 -c 'import sys, json; print(sum(len(json.loads(l)["turns"]) for l in sys.stdin if l.strip()))')
    for n in 1 2; do
        inputs=("${files[@]}")
        [ "$n" = 2 ] && inputs+=("${files[@]}")
        valgrind --tool=callgrind --callgrind-out-file="$OUT/replay.$n.out" \
            --toggle-collect='escalation_router::engine::Engine::process::{{closure}}' \
            "$BIN" replay --input "${inputs[@]}" --output /dev/null 2>/dev/null
    done
    a=$(ir "$OUT/replay.1.out"); b=$(ir "$OUT/replay.2.out")
    echo "replay: $(( (b - a) / turns )) instructions a turn in Engine::process ($turns turns)"
else
    echo "replay: skipped ($EVAL not found)"
fi

for t in $TURNS; do
    for n in 1 2; do
        ESCALATION__SERVER__LISTEN="127.0.0.1:$PORT" ESCALATION__STORE__URL=memory \
            ESCALATION__SERVER__GRACE_SECONDS=1 RUST_LOG=warn \
            valgrind --tool=callgrind --callgrind-out-file="$OUT/serve_$t.$n.out" "$BIN" serve "${SERVE_FLAGS[@]}" \
            2>/dev/null &
        pid=$!
        "$LG" wait --addr "http://127.0.0.1:$PORT" --timeout 120 >/dev/null
        "$LG" run --addr "http://127.0.0.1:$PORT" --rpc unary --inflight 8 --connections 1 \
            --requests "$(( REQUESTS * n ))" --turns "$t" --conversations 200 --seed 7 >/dev/null
        kill -TERM "$pid"
        wait "$pid" || true
    done
    a=$(ir "$OUT/serve_$t.1.out"); b=$(ir "$OUT/serve_$t.2.out")
    echo "serve: $(( (b - a) / REQUESTS )) instructions a turn, $WHAT, $t-turn conversations"
done
