//! A small closed-loop measurement of `ProcessTurn` per store: memory, SQLite, PostgreSQL.
//!
//! Not a test of speed (nothing is asserted about it); ignored by default. Run with
//! `cargo test --release --test throughput -- --ignored --nocapture --test-threads 1`.
//! Server and clients share this process (and the machine's cores); `THROUGHPUT_SECONDS` (10) and
//! `THROUGHPUT_CLIENTS` (32) size it. PostgreSQL: set `ESCALATION_TEST_PG_FSYNC=on` to measure with a
//! durable disk, as production runs.

#[path = "support/pg.rs"]
mod pg;

use escalation_router::config::Config;
use escalation_router::pb::{self, escalation_router_client::EscalationRouterClient};
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const TEXTS: [&str; 4] = [
    "Where is my parcel? It should have arrived yesterday.",
    "Let me check the tracking for you.",
    "Das ist jetzt schon das dritte Mal, dass ich frage. Wo bleibt meine Lieferung?",
    "I understand. I have escalated the request to the carrier.",
];

async fn measure(url: &str) {
    let mut config = Config::default();
    config.store.url = url.to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(escalation_router::server::run(
        config,
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap();
    let mut channels = Vec::new();
    for _ in 0..4 {
        let mut tries = 0;
        channels.push(loop {
            match endpoint.connect().await {
                Ok(c) => break c,
                Err(_) if tries < 100 => tries += 1,
                Err(e) => panic!("connect: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        });
    }
    let seconds = setting("THROUGHPUT_SECONDS", 10);
    let clients = setting("THROUGHPUT_CLIENTS", 32);
    let run = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let mut client = EscalationRouterClient::new(channels[c as usize % channels.len()].clone());
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3).unwrap();
            let mut conversation = 0;
            'outer: while Instant::now() < until {
                conversation += 1;
                for n in 1..=20u64 {
                    let t0 = Instant::now();
                    let r = client
                        .process_turn(pb::ProcessTurnRequest {
                            turn: Some(pb::Turn {
                                tenant_id: "bench".into(),
                                conversation_id: format!("{run}-{c}-{conversation}"),
                                turn_id: format!("t{n}"),
                                sequence: Some(n),
                                role: if n % 2 == 1 {
                                    pb::Role::Customer
                                } else {
                                    pb::Role::Bot
                                } as i32,
                                text: TEXTS[(n % 4) as usize].into(),
                                ..Default::default()
                            }),
                        })
                        .await;
                    r.expect("ProcessTurn");
                    h.record(t0.elapsed().as_micros() as u64).unwrap();
                    if Instant::now() >= until {
                        break 'outer;
                    }
                }
            }
            h
        }));
    }
    let started = Instant::now();
    let mut all = Histogram::<u64>::new(3).unwrap();
    for t in tasks {
        all.add(t.await.unwrap()).unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let scheme = url.split("://").next().unwrap_or(url);
    println!(
        "throughput store={scheme} clients={clients} turns={} turns_per_s={:.0} p50_us={} p99_us={} max_us={}",
        all.len(),
        all.len() as f64 / elapsed,
        all.value_at_quantile(0.5),
        all.value_at_quantile(0.99),
        all.max()
    );
    let _ = stop.send(());
    let _ = server.await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a test; run with --release --ignored --nocapture"]
async fn process_turn_throughput_memory() {
    measure("memory").await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a test; run with --release --ignored --nocapture"]
async fn process_turn_throughput_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    measure(&format!("sqlite://{}/escalation.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement, not a test; run with --release --ignored --nocapture"]
async fn process_turn_throughput_postgres() {
    measure(&pg::database("throughput").await).await;
}
