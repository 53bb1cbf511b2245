//! `loadgen idle`: opens `--subscribers` `Subscribe` streams that receive nothing and measures
//! the server's CPU time while they wait (what idle subscribers cost).

use crate::stats;
use escalation_router::pb::{self, handoff_feed_client::HandoffFeedClient};
use std::time::Duration;
use tonic::transport::Endpoint;

#[derive(clap::Args)]
pub struct IdleArgs {
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// Streams held open (the server needs `limits.max_streams_per_principal` at least this).
    #[arg(long, default_value_t = 2000)]
    subscribers: usize,
    /// HTTP/2 connections they are spread over (`server.max_concurrent_streams` each at most).
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Consumer groups they are spread over.
    #[arg(long, default_value_t = 20)]
    groups: usize,
    /// Seconds after all are open before measuring.
    #[arg(long, default_value_t = 2.0)]
    settle: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Server process id (its CPU time and resident memory are read from /proc).
    #[arg(long)]
    server_pid: String,
}

pub async fn run(args: IdleArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.connections > 0 && args.groups > 0,
        "connections and groups must be > 0"
    );
    let mut channels = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        channels.push(Endpoint::from_shared(args.addr.clone())?.connect().await?);
    }
    let mut streams = Vec::with_capacity(args.subscribers);
    for i in 0..args.subscribers {
        let mut feed = HandoffFeedClient::new(channels[i % channels.len()].clone());
        let stream = feed
            .subscribe(pb::SubscribeRequest {
                consumer: format!("idle-{}", i % args.groups),
                ..Default::default()
            })
            .await?
            .into_inner();
        streams.push(stream);
    }
    // Any event or error on a stream would make this no idle measurement.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(1);
    for mut stream in streams {
        let tx = tx.clone();
        tokio::spawn(async move {
            let what = match stream.message().await {
                Ok(Some(_)) => "an event arrived".to_string(),
                Ok(None) => "a stream ended".to_string(),
                Err(s) => format!("a stream failed: {s}"),
            };
            let _ = tx.send(what).await;
        });
    }
    tokio::time::sleep(Duration::from_secs_f64(args.settle)).await;
    let cpu = || {
        stats::cpu_seconds(&args.server_pid)
            .ok_or_else(|| anyhow::anyhow!("no /proc/{}/stat", args.server_pid))
    };
    let before = cpu()?;
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs_f64(args.seconds)) => {}
        Some(what) = rx.recv() => anyhow::bail!("not idle: {what}"),
    }
    let used = cpu()? - before;
    let rss = stats::rss_bytes(&args.server_pid).unwrap_or(0);
    println!(
        "idle_subscribers={} seconds={:.0} server_cpu_s={used:.2} server_cpu_pct={:.1} server_rss_mib={:.0}",
        args.subscribers,
        args.seconds,
        100.0 * used / args.seconds,
        rss as f64 / (1 << 20) as f64
    );
    Ok(())
}
