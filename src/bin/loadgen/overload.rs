//! `loadgen overload`: the overload test of issue 11. Measures the server's capacity (closed
//! loop), then offers `--factor` times that rate over `--connections` connections while sampling
//! the server's resident memory and the latency of a gRPC health check on a connection of its own;
//! when the load stops, times how long until a new turn succeeds. Prints the figures and fails
//! when one is over its bound.

use crate::corpus::TextShape;
use crate::drive::{self, Client, Pool, Window};
use crate::stats::{self, CpuUse, Recorder};
use escalation_router::pb;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tonic::transport::Endpoint;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[derive(clap::Args)]
pub struct OverloadArgs {
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// Server process id (its resident memory is read from /proc).
    #[arg(long)]
    server_pid: String,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Offered load as a multiple of the measured capacity.
    #[arg(long, default_value_t = 3.0)]
    factor: f64,
    /// Seconds the capacity is measured for.
    #[arg(long, default_value_t = 3.0)]
    capacity_seconds: f64,
    /// Seconds of overload.
    #[arg(long, default_value_t = 20.0)]
    seconds: f64,
    #[arg(long, default_value_t = 512)]
    max_rss_mib: u64,
    #[arg(long, default_value_t = 1000)]
    max_health_ms: u64,
    #[arg(long, default_value_t = 2000)]
    max_recovery_ms: u64,
    /// Write the figures here as JSON.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

fn pool(prefix: &str) -> Pool {
    Pool::new(
        2000,
        prefix.to_string(),
        10,
        TextShape { words: 0 },
        None,
        1,
    )
}

fn window(seconds: f64) -> Window {
    let now = Instant::now();
    Window {
        measure_from: now,
        until: now + Duration::from_secs_f64(seconds),
        max_requests: u64::MAX,
    }
}

pub async fn run(args: OverloadArgs) -> anyhow::Result<()> {
    let mut clients = Vec::with_capacity(args.connections);
    for _ in 0..args.connections.max(1) {
        clients.push(crate::connect(&args.addr).await?);
    }
    let run_id = std::process::id();

    // Capacity: as many turns as the server answers with 64 in flight.
    let recorder = Arc::new(Recorder::default());
    drive::unary_closed(
        &clients,
        64,
        pool(&format!("cap{run_id}")),
        recorder.clone(),
        window(args.capacity_seconds),
    )
    .await;
    let capacity = recorder
        .report(
            json!({}),
            Duration::from_secs_f64(args.capacity_seconds),
            CpuUse::default(),
        )
        .json["ok"]
        .as_f64()
        .unwrap_or(0.0)
        / args.capacity_seconds;
    anyhow::ensure!(
        capacity > 0.0,
        "the server answered no turn while measuring capacity"
    );
    let offered = capacity * args.factor;

    // Overload, with memory and health sampled beside it on a thread of their own, so that the
    // load's scheduling on this one does not delay the probe.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let probe = {
        let (addr, pid) = (args.addr.clone(), args.server_pid.clone());
        let wait = Duration::from_millis(args.max_health_ms).max(Duration::from_secs(5));
        std::thread::spawn(move || -> anyhow::Result<Probe> {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(probe(addr, pid, wait, stopped))
        })
    };
    let recorder = Arc::new(Recorder::default());
    drive::unary_rate(
        &clients,
        offered,
        pool(&format!("ovl{run_id}")),
        recorder.clone(),
        window(args.seconds),
    )
    .await;
    let load_end = Instant::now();
    let _ = stop.send(true);
    drop(clients);

    // Recovery: a new turn on a new connection, retried until it is answered.
    let recovery = {
        let mut client: Client = crate::connect(&args.addr).await?;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let turn = pb::Turn {
                tenant_id: "overload".into(),
                conversation_id: format!("after{run_id}"),
                turn_id: format!("t{attempts}"),
                role: pb::Role::Customer as i32,
                text: "Hello, where is my parcel?".into(),
                ..Default::default()
            };
            match client
                .process_turn(pb::ProcessTurnRequest { turn: Some(turn) })
                .await
            {
                Ok(_) => break load_end.elapsed(),
                Err(_) if load_end.elapsed() < Duration::from_secs(30) => {
                    tokio::time::sleep(Duration::from_millis(10)).await
                }
                Err(s) => anyhow::bail!("no turn answered within 30 s after the load: {s}"),
            }
        }
    };
    let Probe {
        rss_max,
        health_worst,
        checks,
        health_failed,
    } = probe
        .join()
        .map_err(|_| anyhow::anyhow!("the probe thread panicked"))??;
    let load = recorder.report(
        json!({}),
        Duration::from_secs_f64(args.seconds),
        CpuUse::default(),
    );
    let rss_mib = rss_max as f64 / f64::from(1 << 20);
    let figures = json!({
        "connections": args.connections,
        "capacity_per_s": capacity,
        "offered_per_s": offered,
        "sent_per_s": load.json["throughput_per_s"],
        "answered_ok": load.json["ok"],
        "errors_by_code": load.json["errors_by_code"],
        "rss_max_mib": rss_mib,
        "health_max_ms": health_worst.as_secs_f64() * 1e3,
        "health_checks": checks,
        "health_failed": health_failed,
        "recovery_ms": recovery.as_secs_f64() * 1e3,
    });
    println!(
        "overload connections={} capacity={capacity:.0}/s offered={offered:.0}/s sent={:.0}/s ok={} errors={} rss_max={rss_mib:.0}MiB health_max={:.0}ms health_checks={checks} health_failed={health_failed} recovery={:.0}ms",
        args.connections,
        load.json["throughput_per_s"].as_f64().unwrap_or(0.0),
        load.json["ok"],
        load.json["errors_by_code"],
        health_worst.as_secs_f64() * 1e3,
        recovery.as_secs_f64() * 1e3,
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&figures)?)?;
    }
    let mut over = Vec::new();
    if rss_mib >= args.max_rss_mib as f64 {
        over.push(format!(
            "resident memory {rss_mib:.0} MiB >= {} MiB",
            args.max_rss_mib
        ));
    }
    if health_worst > Duration::from_millis(args.max_health_ms) || health_failed > 0 {
        over.push(format!(
            "health {:.0} ms (failed {health_failed}) > {} ms",
            health_worst.as_secs_f64() * 1e3,
            args.max_health_ms
        ));
    }
    if recovery > Duration::from_millis(args.max_recovery_ms) {
        over.push(format!(
            "recovery {:.0} ms > {} ms",
            recovery.as_secs_f64() * 1e3,
            args.max_recovery_ms
        ));
    }
    anyhow::ensure!(over.is_empty(), "overload test failed: {}", over.join("; "));
    Ok(())
}

/// What the probe saw during the load.
struct Probe {
    rss_max: u64,
    health_worst: Duration,
    checks: u64,
    health_failed: u64,
}

/// Every 100 ms: the server's resident memory, and one health check on a connection of its own
/// (timed; unanswered after `wait`, at least 5 s, counts as failed), until `stop`.
async fn probe(
    addr: String,
    pid: String,
    wait: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Probe> {
    let mut health = HealthClient::new(Endpoint::from_shared(addr)?.connect().await?);
    let mut seen = Probe {
        rss_max: 0,
        health_worst: Duration::ZERO,
        checks: 0,
        health_failed: 0,
    };
    while !*stop.borrow() {
        if let Some(rss) = stats::rss_bytes(&pid) {
            seen.rss_max = seen.rss_max.max(rss);
        }
        let started = Instant::now();
        let answer = tokio::time::timeout(
            wait,
            health.check(HealthCheckRequest {
                service: String::new(),
            }),
        )
        .await;
        seen.health_worst = seen.health_worst.max(started.elapsed());
        seen.checks += 1;
        if !matches!(answer, Ok(Ok(_))) {
            seen.health_failed += 1;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            _ = stop.changed() => {}
        }
    }
    Ok(seen)
}
