//! Resident memory per live conversation in the in-memory store, in process (no gRPC): feeds
//! generated conversations through `Engine::process` and reads `VmRSS` before and after, for a few
//! settings of history kept, receipts kept and states kept decoded, so the cost of each part can
//! be read off; and the CPU time a turn took (generating and converting it included), so what
//! packing idle states costs shows beside what it saves.
//!
//! Run: `cargo bench --bench footprint` (`-- N` for another conversation count). Each setting runs in
//! a child process of its own so freed memory of one does not hide the next.

#[path = "../src/bin/loadgen/corpus.rs"]
#[allow(dead_code, unused_imports)]
mod corpus;

use corpus::{Cursor, TextShape};
use escalation_router::detect::Detector;
use escalation_router::engine::{Engine, EngineSettings};
use escalation_router::grpc::convert::{self, Limits};
use escalation_router::state::memory::{DECODED_STATES, MemoryStore};
use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The binary's allocator (mimalloc, `src/main.rs`), counting the bytes live on the heap: what the
/// store holds, apart from what the allocator keeps around it (`VmRSS` counts both).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { MiMalloc.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { MiMalloc.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Name, history turns, receipts kept, states kept decoded.
const SETTINGS: [(&str, usize, usize, usize); 5] = [
    (
        "defaults (history 50, receipts 256)",
        50,
        256,
        DECODED_STATES,
    ),
    ("every state decoded", 50, 256, usize::MAX),
    ("receipts 1", 50, 1, DECODED_STATES),
    ("history 1", 1, 256, DECODED_STATES),
    ("history 1, receipts 1", 1, 1, DECODED_STATES),
];

/// CPU seconds this process used so far (user and system; `/proc/self/stat`, in clock ticks of
/// 10 ms).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

/// Fills a store with `n` conversations of 10 turns; returns resident and live heap bytes per
/// conversation, the text sent per conversation and (with `FOOTPRINT_PARTS`) the heap by part.
fn measure(
    n: usize,
    history_turns: usize,
    receipt_window: usize,
    decoded: usize,
) -> (f64, f64, f64, f64, Option<String>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let store = Arc::new(MemoryStore::with_decoded(receipt_window, decoded));
    let engine = Engine::new(
        Arc::new(Detector::new()),
        store.clone(),
        EngineSettings { history_turns },
    );
    let before = rss();
    let heap_before = LIVE.load(Ordering::Relaxed);
    let mut text = 0usize;
    let cpu_before = cpu_seconds();
    // Round robin over the conversations, as live traffic interleaves them.
    let mut cursors: Vec<Cursor> = (0..n)
        .map(|i| Cursor::generated(format!("conv-{i}"), 10, TextShape { words: 0 }, i as u64))
        .collect();
    for _ in 0..10 {
        for c in &mut cursors {
            let t = convert::turn(Some(c.next_turn()), Limits::default(), 1_750_000_000_000)
                .expect("generated turns are valid");
            text += t.text.len();
            rt.block_on(engine.process(t)).ok();
        }
    }
    drop(cursors);
    let cpu = cpu_seconds() - cpu_before;
    let after = rss();
    let heap = LIVE.load(Ordering::Relaxed).saturating_sub(heap_before);
    assert_eq!(store.len(), n);
    let parts = std::env::var_os("FOOTPRINT_PARTS").map(|_| parts(&rt, &store, n));
    (
        (after.saturating_sub(before)) as f64 / n as f64,
        heap as f64 / n as f64,
        text as f64 / n as f64,
        cpu * 1e6 / (10 * n) as f64,
        parts,
    )
}

/// The live heap held by the outbox and by the conversations, per conversation: every event is
/// acknowledged and expired, then every conversation.
fn parts(rt: &tokio::runtime::Runtime, store: &MemoryStore, n: usize) -> String {
    use escalation_router::state::{FeedFilter, Store};
    let filter = FeedFilter {
        consumer: "footprint".into(),
        ..Default::default()
    };
    let mut events = 0usize;
    loop {
        let batch = rt
            .block_on(store.claim(&filter, usize::MAX, std::time::Duration::from_secs(60)))
            .expect("claim");
        if batch.is_empty() {
            break;
        }
        events += batch.len();
        let ids: Vec<String> = batch.into_iter().map(|e| e.event_id).collect();
        rt.block_on(store.ack("footprint", &ids)).expect("ack");
    }
    let acked = LIVE.load(Ordering::Relaxed);
    rt.block_on(store.expire(i64::MIN, i64::MAX))
        .expect("expire events");
    let outbox = LIVE.load(Ordering::Relaxed);
    rt.block_on(store.expire(i64::MAX, i64::MAX))
        .expect("expire conversations");
    let end = LIVE.load(Ordering::Relaxed);
    let per = |a: usize, b: usize| a.abs_diff(b) as f64 / n as f64;
    format!(
        "of the live heap: outbox {:.0} B ({:.2} events), conversations {:.0} B",
        per(acked, outbox),
        events as f64 / n as f64,
        per(outbox, end)
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; a bare number is the conversation count.
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    if let Some(i) = std::env::var("FOOTPRINT_SETTING")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let (_, history, receipts, decoded) = SETTINGS[i];
        let (per, heap, text, cpu, parts) = measure(n, history, receipts, decoded);
        println!("{per:.0} {heap:.0} {text:.0} {cpu:.1}");
        if let Some(parts) = parts {
            println!("{parts}");
        }
        return;
    }
    println!("resident bytes per conversation, {n} conversations x 10 turns, in process:");
    for (i, (name, ..)) in SETTINGS.iter().enumerate() {
        let out = std::process::Command::new(std::env::current_exe().expect("own path"))
            .arg(n.to_string())
            .env("FOOTPRINT_SETTING", i.to_string())
            // The defaults' heap by part too.
            .env(
                if i == 0 {
                    "FOOTPRINT_PARTS"
                } else {
                    "FOOTPRINT_NO_PARTS"
                },
                "1",
            )
            .output()
            .expect("running a setting");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines();
        let mut it = lines.next().unwrap_or("").split_whitespace();
        let mut field = || it.next().unwrap_or("?");
        let (per, heap, text, cpu) = (field(), field(), field(), field());
        println!(
            "  {name:<38} {per:>7} B/conversation resident, {heap:>7} B live heap, {cpu:>5} µs CPU a turn (text sent: {text} B)"
        );
        for part in lines {
            println!("    {part}");
        }
    }
}
