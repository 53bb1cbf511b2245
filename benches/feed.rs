//! What one feed claim costs as the outbox grows: `Store::claim` for a consumer group that has
//! acknowledged every retained event but a few, on the in-memory store and a real SQLite file.
//!
//! Run: `cargo bench --bench feed` (`-- N` for another count of retained events; default 100,000).
//! Prints the median and the 90th percentile of 200 claims, and what an idle subscriber polling
//! every 250 ms would spend of a core on them.

use escalation_router::domain::{ConversationState, HandoffEvent};
use escalation_router::state::{self, Commit, FeedFilter, SharedStore};
use std::time::{Duration, Instant};

const PENDING: usize = 5;
const LEASE: Duration = Duration::from_secs(1);

fn event(i: usize) -> HandoffEvent {
    HandoffEvent {
        event_id: format!("ev-{i}"),
        handoff_id: format!("h-{i}"),
        tenant_id: "acme".into(),
        conversation_id: format!("c{i}"),
        created_ms: i as i64,
        ..Default::default()
    }
}

/// `n` events, each its own conversation's first turn; all but the last `PENDING` acknowledged by
/// group `g` (which claimed before the first event, so it is a known group throughout).
async fn fill(store: &SharedStore, n: usize) {
    let g = FeedFilter {
        consumer: "g".into(),
        ..Default::default()
    };
    store.claim(&g, 1, LEASE).await.unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(512) {
        let commits = chunk.iter().map(|&i| {
            let mut state = ConversationState::new("acme", &format!("c{i}"), i as i64);
            state.version = 1;
            store.commit(Commit {
                state,
                expected_version: 0,
                receipt: None,
                event: Some(event(i)),
            })
        });
        for r in futures_util::future::join_all(commits).await {
            r.unwrap();
        }
    }
    let acked: Vec<String> = (0..n - PENDING).map(|i| format!("ev-{i}")).collect();
    for ids in acked.chunks(2048) {
        store.ack("g", ids).await.unwrap();
    }
}

async fn measure(name: &str, store: SharedStore, n: usize) {
    let started = Instant::now();
    fill(&store, n).await;
    let filled = started.elapsed();
    let g = FeedFilter {
        consumer: "g".into(),
        ..Default::default()
    };
    let mut times = Vec::new();
    for _ in 0..200 {
        store.release("g", &[]).await.unwrap();
        let t = Instant::now();
        let got = store.claim(&g, 64, LEASE).await.unwrap();
        times.push(t.elapsed());
        // Hand the leases back so every claim does the same work.
        let ids: Vec<String> = got.iter().map(|e| e.event_id.clone()).collect();
        assert_eq!(ids.len(), PENDING);
        store.release("g", &ids).await.unwrap();
    }
    // An idle subscriber's poll: everything pending is leased, the claim finds nothing.
    store.claim(&g, 64, Duration::from_secs(600)).await.unwrap();
    let mut idle = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        assert!(store.claim(&g, 64, LEASE).await.unwrap().is_empty());
        idle.push(t.elapsed());
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (claim, idle) = (quantiles(times), quantiles(idle));
    println!(
        "{name:7} retained={n} (filled in {:.1} s)\n  claim of {PENDING} events: median {:.3} ms, \
         p90 {:.3} ms\n  empty claim (idle poll): median {:.3} ms, p90 {:.3} ms; \
         an idle subscriber polling every 250 ms: {:.2}% of a core",
        filled.as_secs_f64(),
        ms(claim.0),
        ms(claim.1),
        ms(idle.0),
        ms(idle.1),
        idle.0.as_secs_f64() * 4.0 * 100.0,
    );
}

/// Median and 90th percentile.
fn quantiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 9 / 10])
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        measure("memory", state::open("memory", 8).await.unwrap(), n).await;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/feed.db", dir.path().display());
        measure("sqlite", state::open(&url, 8).await.unwrap(), n).await;
    });
}
