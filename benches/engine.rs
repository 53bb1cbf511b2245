//! The hot path below gRPC: `Engine::process` with the in-memory store (by history kept, turn
//! length and live conversations), and the pure steps `policy::decide` and
//! `handoff::build_context`. Turns come from the load generator's conversation generator.
//!
//! Run: `cargo bench --bench engine` (add `-- --quick` for a fast pass).

#[path = "../src/bin/loadgen/corpus.rs"]
#[allow(dead_code, unused_imports)]
mod corpus;

use corpus::{Cursor, TextShape};
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use escalation_router::detect::Detector;
use escalation_router::domain::{ConversationState, Turn};
use escalation_router::engine::{Engine, EngineSettings};
use escalation_router::grpc::convert::{self, Limits};
use escalation_router::state::memory::MemoryStore;
use escalation_router::{handoff, policy};
use std::hint::black_box;
use std::sync::Arc;

const NOW_MS: i64 = 1_750_000_000_000;

/// `n` turns of generated conversations (10 turns each) as domain turns, without sequence numbers
/// so any turn can follow any other in a benchmark conversation.
fn turns(n: usize, words: usize) -> Vec<Turn> {
    let mut out = Vec::with_capacity(n);
    let mut c = 0u64;
    while out.len() < n {
        c += 1;
        let mut cursor = Cursor::generated(format!("g{c}"), 10, TextShape { words }, c);
        while !cursor.finished() && out.len() < n {
            let mut t = convert::turn(Some(cursor.next_turn()), Limits::default(), NOW_MS)
                .expect("generated turns are valid");
            t.sequence = None;
            out.push(t);
        }
    }
    out
}

fn engine(history_turns: usize) -> Engine {
    Engine::new(
        Arc::new(Detector::new()),
        Arc::new(MemoryStore::default()),
        EngineSettings { history_turns },
    )
}

/// Feeds `turns` to `engine`, turn `i` to conversation `i % conversations`, each under a fresh id.
fn bench_process(
    b: &mut criterion::Bencher,
    rt: &tokio::runtime::Runtime,
    engine: &Engine,
    turns: &[Turn],
    conversations: usize,
) {
    let mut i = 0usize;
    b.iter_batched(
        || {
            i += 1;
            let mut t = turns[i % turns.len()].clone();
            t.conversation_id = format!("c{}", i % conversations);
            t.turn_id = format!("t{i}");
            t
        },
        |t| black_box(rt.block_on(engine.process(t))).ok(),
        BatchSize::SmallInput,
    );
}

fn process(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let varied = turns(1000, 0);

    let mut g = c.benchmark_group("engine_process/history_turns");
    for history in [0usize, 10, 50] {
        let e = engine(history);
        // Fill the conversations' history first so every measured turn sees `history` turns.
        for (i, t) in varied.iter().cycle().take(100 * history.max(1)).enumerate() {
            let mut t = t.clone();
            t.conversation_id = format!("c{}", i % 100);
            t.turn_id = format!("fill{i}");
            rt.block_on(e.process(t)).ok();
        }
        g.bench_with_input(BenchmarkId::from_parameter(history), &history, |b, _| {
            bench_process(b, &rt, &e, &varied, 100)
        });
    }
    g.finish();

    let mut g = c.benchmark_group("engine_process/words_per_turn");
    for words in [5usize, 50, 300] {
        let ts = turns(200, words);
        let e = engine(50);
        g.bench_with_input(BenchmarkId::from_parameter(words), &words, |b, _| {
            bench_process(b, &rt, &e, &ts, 100)
        });
    }
    g.finish();

    let mut g = c.benchmark_group("engine_process/live_conversations");
    for live in [100usize, 10_000, 100_000] {
        let e = engine(50);
        for i in 0..live {
            let mut t = varied[i % varied.len()].clone();
            t.conversation_id = format!("c{i}");
            t.turn_id = format!("fill{i}");
            rt.block_on(e.process(t)).ok();
        }
        g.bench_with_input(BenchmarkId::from_parameter(live), &live, |b, _| {
            bench_process(b, &rt, &e, &varied, live)
        });
    }
    g.finish();
}

/// A conversation of ten turns as stored, and the next turn.
fn conversation_after_ten_turns(rt: &tokio::runtime::Runtime) -> (ConversationState, Turn) {
    let e = engine(50);
    let ts = turns(11, 0);
    for (i, t) in ts.iter().take(10).enumerate() {
        let mut t = t.clone();
        t.tenant_id = "bench".into();
        t.conversation_id = "c".into();
        t.turn_id = format!("t{i}");
        rt.block_on(e.process(t)).ok();
    }
    let state = rt
        .block_on(e.conversation("bench", "c"))
        .map(std::sync::Arc::unwrap_or_clone)
        .unwrap_or_else(|_| ConversationState::new("bench", "c", NOW_MS));
    let mut next = ts[10].clone();
    next.tenant_id = "bench".into();
    next.conversation_id = "c".into();
    (state, next)
}

fn pure_steps(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (state, turn) = conversation_after_ten_turns(&rt);
    let detector = Detector::new();
    let signals = detector.detect(&turn, &[]);
    let mut memory = state.memory.clone();
    let assessment = policy::memory::assess(&mut memory, &turn, &signals);
    let tenant = policy::TenantPolicy::default();
    let queues = std::collections::BTreeMap::new();
    let moment = policy::Moment {
        policy: &tenant,
        now_ms: NOW_MS,
        queues: &queues,
    };
    c.bench_function("policy_decide", |b| {
        b.iter(|| {
            black_box(policy::decide(
                black_box(&state),
                black_box(&assessment),
                &moment,
            ))
        })
    });
    let decision = policy::decide(&state, &assessment, &moment).decision;
    c.bench_function("handoff_build_context/10_turns", |b| {
        b.iter(|| {
            black_box(handoff::build_context(
                black_box(&state),
                &turn,
                &decision,
                &tenant,
            ))
        })
    });
}

criterion_group!(benches, process, pure_steps);
criterion_main!(benches);
