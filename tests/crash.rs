//! Crash test: a real `escalation-router serve` process on SQLite, killed with SIGKILL several
//! times while concurrent gRPC clients drive conversations through it and a router consumes the
//! handoff feed. Afterwards: every acknowledged turn is in the state, every handoff was delivered
//! at least once and under one event id, and each conversation's events arrived in order.
//!
//! Ignored by default (it takes a while): `scripts/crash_test.sh`, or
//! `cargo test --test crash -- --ignored --nocapture`. Sizes: `CRASH_CONVERSATIONS`,
//! `CRASH_TURNS`, `CRASH_CLIENTS`, `CRASH_KILLS`; `CRASH_STORE_URL` (e.g. `memory`, which must fail).

use escalation_router::pb::{
    self, escalation_router_client::EscalationRouterClient, handoff_feed_client::HandoffFeedClient,
};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

const TENANT: &str = "crash";
const CONSUMER: &str = "crash-router";
/// Retries of one call (50 ms apart) before a client gives up: the server stayed down 60 s.
const MAX_RETRIES: u32 = 1200;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What a conversation's client saw acknowledged.
#[derive(Default)]
struct Seen {
    /// Turns acknowledged (all of them, since the client retries each until it is).
    acked: u64,
    /// Handoff id -> sequence of the turn that opened it.
    handoffs: HashMap<String, u64>,
    /// A non-retryable error (a lost turn shows up as a sequence gap here).
    error: Option<String>,
}

/// One delivered event as the router saw it.
struct Delivered {
    event_id: String,
    handoff_id: String,
    conversation_id: String,
}

struct Server {
    child: Option<Child>,
    port: u16,
    url: String,
    log: std::path::PathBuf,
}

impl Server {
    fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("server log file");
        let child = Command::new(env!("CARGO_BIN_EXE_escalation-router"))
            .arg("serve")
            .env(
                "ESCALATION__SERVER__LISTEN",
                format!("127.0.0.1:{}", self.port),
            )
            .env("ESCALATION__STORE__URL", &self.url)
            .env("ESCALATION__FEED__LEASE_SECONDS", "2")
            .env("ESCALATION__FEED__POLL_MS", "50")
            .env("ESCALATION__SERVER__GRACE_SECONDS", "1")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting escalation-router serve");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "server did not come up; see {:?}",
                self.log
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Panics if the server exited on its own (it must only ever die by our hand).
    fn check_alive(&mut self) {
        if let Some(c) = &mut self.child
            && let Ok(Some(status)) = c.try_wait()
        {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: String = log.lines().rev().take(20).collect::<Vec<_>>().join("\n");
            panic!("server exited by itself ({status}); log tail (newest first):\n{tail}");
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn retryable(s: &Status) -> bool {
    matches!(
        s.code(),
        Code::Unavailable
            | Code::Unknown
            | Code::Cancelled
            | Code::DeadlineExceeded
            | Code::Internal
    )
}

fn customer_text(n: u64, conversation: usize) -> (i32, &'static str) {
    let customer = pb::Role::Customer as i32;
    let bot = pb::Role::Bot as i32;
    let german = conversation.is_multiple_of(2);
    match (n % 2, n % 5, german) {
        (1, 4, false) | (0, 4, false) => (customer, "I want to talk to a human agent"),
        (1, 4, true) | (0, 4, true) => (customer, "Ich möchte mit einem Mitarbeiter sprechen"),
        (1, _, false) => (customer, "Can you check the status of my order please?"),
        (1, _, true) => (
            customer,
            "Können Sie bitte den Status meiner Bestellung prüfen?",
        ),
        (_, _, false) => (bot, "Sure, let me look that up for you."),
        (_, _, true) => (bot, "Gerne, ich sehe nach."),
    }
}

async fn drive_conversation(
    mut client: EscalationRouterClient<Channel>,
    conversation: usize,
    turns: u64,
    acked_total: Arc<AtomicU64>,
) -> Seen {
    let conversation_id = format!("conv-{conversation}");
    let mut seen = Seen::default();
    for n in 1..=turns {
        let (role, text) = customer_text(n, conversation);
        let request = pb::ProcessTurnRequest {
            turn: Some(pb::Turn {
                tenant_id: TENANT.into(),
                conversation_id: conversation_id.clone(),
                turn_id: format!("{conversation_id}-{n}"),
                sequence: Some(n),
                role,
                text: text.into(),
                ..Default::default()
            }),
        };
        let mut retries = 0;
        let decision = loop {
            match client.process_turn(request.clone()).await {
                Ok(r) => break r.into_inner().decision.unwrap_or_default(),
                Err(s) if retryable(&s) && retries < MAX_RETRIES => {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(s) => {
                    seen.error = Some(format!("turn {n}: {:?} {}", s.code(), s.message()));
                    return seen;
                }
            }
        };
        seen.acked += 1;
        acked_total.fetch_add(1, Ordering::Relaxed);
        let Some(h) = decision.handoff.filter(|h| !h.handoff_id.is_empty()) else {
            continue;
        };
        if seen.handoffs.contains_key(&h.handoff_id) {
            continue;
        }
        seen.handoffs
            .insert(h.handoff_id.clone(), decision.sequence);
        // Hand the conversation back at once so it can open another handoff later.
        let report = pb::ReportHandoffStatusRequest {
            tenant_id: TENANT.into(),
            conversation_id: conversation_id.clone(),
            handoff_id: h.handoff_id,
            status: pb::HandoffStatus::Returned as i32,
            detail: String::new(),
        };
        let mut retries = 0;
        loop {
            match client.report_handoff_status(report.clone()).await {
                // FAILED_PRECONDITION: an earlier attempt committed before its answer was lost.
                Ok(_) => break,
                Err(s) if s.code() == Code::FailedPrecondition => break,
                Err(s) if retryable(&s) && retries < MAX_RETRIES => {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(s) => {
                    seen.error = Some(format!("report: {:?} {}", s.code(), s.message()));
                    return seen;
                }
            }
        }
    }
    seen
}

/// Subscribes, records and acknowledges events until `stop`, resubscribing after every failure.
async fn route(channel: Channel, stop: Arc<AtomicBool>, got: Arc<Mutex<Vec<Delivered>>>) {
    let mut feed = HandoffFeedClient::new(channel);
    while !stop.load(Ordering::Relaxed) {
        let request = pb::SubscribeRequest {
            consumer: CONSUMER.into(),
            ..Default::default()
        };
        let mut stream = match feed.subscribe(request).await {
            Ok(s) => s.into_inner(),
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        loop {
            let next = tokio::time::timeout(Duration::from_millis(200), stream.message()).await;
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let ev = match next {
                Err(_) => continue,
                Ok(Ok(Some(ev))) => ev,
                Ok(_) => break,
            };
            // Updates (the customer wrote while waiting) are not handoffs of their own.
            if ev.kind != pb::HandoffEventKind::Updated as i32 {
                got.lock().unwrap().push(Delivered {
                    event_id: ev.event_id.clone(),
                    handoff_id: ev.handoff_id.clone(),
                    conversation_id: ev.conversation_id.clone(),
                });
            }
            // Acknowledged off the receive path, as a router would after handing over; a lost
            // ack only means a redelivery, which the check deduplicates.
            let mut acker = feed.clone();
            tokio::spawn(async move {
                let _ = acker
                    .ack(pb::AckRequest {
                        consumer: CONSUMER.into(),
                        event_ids: vec![ev.event_id],
                    })
                    .await;
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "kills a server process repeatedly; run with --ignored (scripts/crash_test.sh)"]
async fn sigkill_loses_no_acknowledged_turn_and_no_handoff() {
    let conversations = setting("CRASH_CONVERSATIONS", 250);
    let turns = setting("CRASH_TURNS", 12) as u64;
    let clients = setting("CRASH_CLIENTS", 16);
    let kills = setting("CRASH_KILLS", 5) as u64;
    let total = conversations as u64 * turns;

    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Server {
        child: None,
        port,
        url: std::env::var("CRASH_STORE_URL")
            .unwrap_or_else(|_| format!("sqlite://{}/db/escalation.db", dir.path().display())),
        log: dir.path().join("server.log"),
    };
    server.start();
    let channel = Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(5))
        .connect_lazy();

    let stop = Arc::new(AtomicBool::new(false));
    let got = Arc::new(Mutex::new(Vec::new()));
    let router = tokio::spawn(route(channel.clone(), stop.clone(), got.clone()));

    // Clients take conversations from a shared counter, one at a time each.
    let next = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let seen: Arc<Mutex<HashMap<usize, Seen>>> = Arc::default();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (next, acked, seen) = (next.clone(), acked.clone(), seen.clone());
        let client = EscalationRouterClient::new(channel.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed) as usize;
                if c >= conversations {
                    return;
                }
                let s = drive_conversation(client.clone(), c, turns, acked.clone()).await;
                seen.lock().unwrap().insert(c, s);
            }
        }));
    }

    // Kill at evenly spaced points of progress, restarting at once each time.
    let started = Instant::now();
    let mut killed = 0;
    while killed < kills {
        let threshold = total * (killed + 1) / (kills + 1);
        if acked.load(Ordering::Relaxed) >= threshold {
            server.kill();
            killed += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            server.start();
        } else if workers.iter().all(|w| w.is_finished()) {
            break;
        } else {
            server.check_alive();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    for w in workers {
        w.await.unwrap();
    }
    server.check_alive();
    let elapsed = started.elapsed();

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let expected: HashMap<&str, (usize, u64)> = seen
        .iter()
        .flat_map(|(c, s)| {
            s.handoffs
                .iter()
                .map(move |(h, seq)| (h.as_str(), (*c, *seq)))
        })
        .collect();
    // Wait (bounded) for the router to have every handoff.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let have: HashSet<String> = got
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.handoff_id.clone())
            .collect();
        if expected.keys().all(|h| have.contains(*h)) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    router.await.unwrap();

    // Turns: the state must hold every acknowledged turn, once.
    let mut client = EscalationRouterClient::new(channel.clone());
    let (mut lost, mut duplicates, mut errors) = (0u64, 0u64, Vec::new());
    for c in 0..conversations {
        let s = seen.get(&c).expect("every conversation was driven");
        if let Some(e) = &s.error {
            errors.push(format!("conv-{c}: {e}"));
        }
        let state = client
            .get_conversation(pb::GetConversationRequest {
                tenant_id: TENANT.into(),
                conversation_id: format!("conv-{c}"),
                recent_turns: 1,
            })
            .await
            .map(|r| r.into_inner().turn_count)
            .unwrap_or(0);
        lost += s.acked.saturating_sub(state);
        duplicates += state.saturating_sub(s.acked);
    }
    // Handoffs: each delivered at least once, under one event id, in order per conversation.
    let got = std::mem::take(&mut *got.lock().unwrap());
    let redelivered = got.len()
        - got
            .iter()
            .map(|d| &d.event_id)
            .collect::<HashSet<_>>()
            .len();
    let mut events_of: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut first_order: HashMap<&str, Vec<u64>> = HashMap::new();
    let mut first_seen = HashSet::new();
    for d in &got {
        events_of
            .entry(&d.handoff_id)
            .or_default()
            .insert(&d.event_id);
        if first_seen.insert(d.event_id.as_str()) {
            match expected.get(d.handoff_id.as_str()) {
                Some((_, seq)) => first_order
                    .entry(&d.conversation_id)
                    .or_default()
                    .push(*seq),
                None => duplicates += 1, // an event for a handoff no client was told about
            }
        }
    }
    lost += expected
        .keys()
        .filter(|h| !events_of.contains_key(*h))
        .count() as u64;
    duplicates += events_of
        .values()
        .map(|ids| ids.len() as u64 - 1)
        .sum::<u64>();
    let order_violations = first_order
        .values()
        .filter(|seqs| seqs.windows(2).any(|w| w[0] >= w[1]))
        .count();
    println!(
        "crash test: turns={} handoffs={} kills={killed} lost={lost} duplicates={duplicates} \
         order_violations={order_violations} redelivered={redelivered} errors={} seconds={:.1}",
        seen.values().map(|s| s.acked).sum::<u64>(),
        expected.len(),
        errors.len(),
        elapsed.as_secs_f64()
    );
    server.kill();
    assert!(errors.is_empty(), "client errors: {errors:?}");
    assert_eq!(killed, kills, "the run ended before every kill");
    assert!(
        !expected.is_empty(),
        "no handoff happened: the test proves nothing"
    );
    assert_eq!((lost, duplicates, order_violations), (0, 0, 0));
}
