#!/usr/bin/env bash
# Crash test: drives a few thousand turns from concurrent gRPC clients through a real
# `escalation-router serve` on SQLite while killing it with SIGKILL several times, then checks that
# no acknowledged turn or handoff was lost, none duplicated, and per-conversation order held.
# Prints one line: "crash test: turns=... handoffs=... kills=... lost=... duplicates=... order_violations=...".
#
# Sizes: CRASH_CONVERSATIONS (250), CRASH_TURNS (12 per conversation), CRASH_CLIENTS (16), CRASH_KILLS (5).
# CRASH_PROFILE=release builds the server with optimisations (slower to build, faster to run).
# CRASH_STORE_URL=memory shows the test failing on a store that forgets everything on a kill.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=()
if [[ "${CRASH_PROFILE:-debug}" == "release" ]]; then profile=(--release); fi
exec cargo test "${profile[@]}" --test crash -- --ignored --nocapture
