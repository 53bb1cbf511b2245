//! `loadgen`: drives an escalation-router (or its do-nothing baseline) with realistic conversations
//! and reports throughput and latency.
//!
//! - `loadgen run`: closed loop (`--inflight` requests in flight) or fixed rate (`--rate`), unary
//!   `ProcessTurn` or `StreamTurns`; one summary line, `--json FILE` for the full report.
//! - `loadgen startup -- CMD...`: starts a server and times process start to health SERVING.
//! - `loadgen wait`: waits until a server answers SERVING (for scripts).
//! - `loadgen idle`: holds many idle `Subscribe` streams open and reports the server's CPU.
//! - `loadgen overload`: offers a multiple of the server's capacity and checks memory, health
//!   latency and recovery (`scripts/overload_test.sh`).
//!
//! The client runs on one thread by default, so it can be pinned to one core with `taskset`.

mod corpus;
mod drive;
mod idle;
mod overload;
mod stats;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use corpus::TextShape;
use drive::{Client, Pool, Window};
use serde_json::json;
use stats::{CpuUse, Recorder};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tonic::transport::Endpoint;

#[derive(Parser)]
#[command(name = "loadgen", about = "Load generator for escalation-router")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send load and report throughput and latency.
    Run(RunArgs),
    /// Start a server command and time process start to health SERVING, several times.
    Startup(StartupArgs),
    /// Hold idle Subscribe streams open and report the server's CPU while they wait.
    Idle(idle::IdleArgs),
    /// Offer a multiple of the server's capacity; check memory, health latency and recovery.
    Overload(overload::OverloadArgs),
    /// Wait until the server at `--addr` answers SERVING.
    Wait {
        #[arg(long, default_value = "http://127.0.0.1:50051")]
        addr: String,
        #[arg(long, default_value_t = 30.0)]
        timeout: f64,
    },
}

#[derive(Clone, Copy, ValueEnum, Debug)]
enum Rpc {
    Unary,
    Stream,
}

#[derive(clap::Args)]
struct RunArgs {
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,
    #[arg(long, value_enum, default_value = "unary")]
    rpc: Rpc,
    /// HTTP/2 connections (one stream each in `stream` mode).
    #[arg(long, default_value_t = 2)]
    connections: usize,
    /// Requests in flight in total (closed loop).
    #[arg(long, default_value_t = 64)]
    inflight: usize,
    /// Fixed rate in requests per second (open loop); closed loop when absent.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds sent but not recorded first.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Send exactly this many requests, then stop (no warm-up, no time limit): fills a server.
    #[arg(long)]
    requests: Option<u64>,
    /// Conversations in rotation (a finished one is replaced by a new one).
    #[arg(long, default_value_t = 1000)]
    conversations: usize,
    /// Turns per generated conversation (customer and bot alternating).
    #[arg(long, default_value_t = 10)]
    turns: u32,
    /// Approximate words per customer turn; 0: varied (mostly short, one in ten long).
    #[arg(long, default_value_t = 0)]
    words: usize,
    /// Replay conversations from this JSONL file (eval format) instead of generating them.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Server process id: its CPU time and resident memory go into the report.
    #[arg(long)]
    server_pid: Option<String>,
    /// Write the full report here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// A label copied into the report.
    #[arg(long)]
    label: Option<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Client runtime threads (1: current-thread runtime).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

#[derive(clap::Args)]
struct StartupArgs {
    /// Where the started server listens.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    addr: String,
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    #[arg(long)]
    json: Option<PathBuf>,
    /// The server command and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let threads = match &cli.command {
        Command::Run(a) => a.threads,
        _ => 1,
    };
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => run(args).await,
            Command::Startup(args) => startup(args).await,
            Command::Idle(args) => idle::run(args).await,
            Command::Overload(args) => overload::run(args).await,
            Command::Wait { addr, timeout } => {
                let deadline = Instant::now() + Duration::from_secs_f64(timeout);
                wait_serving(&addr, deadline).await?;
                Ok(())
            }
        }
    })
}

async fn connect(addr: &str) -> anyhow::Result<Client> {
    let channel = Endpoint::from_shared(addr.to_string())?
        .tcp_nodelay(true)
        .connect()
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    Ok(Client::new(channel)
        .max_decoding_message_size(16 << 20)
        .max_encoding_message_size(16 << 20))
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.connections > 0 && args.inflight > 0,
        "connections and inflight must be > 0"
    );
    let mut clients = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        clients.push(connect(&args.addr).await?);
    }
    let replay = args
        .replay
        .as_deref()
        .map(corpus::read_replay)
        .transpose()?;
    let prefix = format!(
        "lg{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id())
    );
    let pool = Pool::new(
        args.conversations,
        prefix,
        args.turns,
        TextShape { words: args.words },
        replay,
        args.seed,
    );
    let recorder = Arc::new(Recorder::default());
    let start = Instant::now();
    let window = match args.requests {
        Some(n) => Window {
            measure_from: start,
            until: start + Duration::from_secs(24 * 3600),
            max_requests: n,
        },
        None => Window {
            measure_from: start + Duration::from_secs_f64(args.warmup),
            until: start + Duration::from_secs_f64(args.warmup + args.duration),
            max_requests: u64::MAX,
        },
    };
    let measure_from = window.measure_from;
    let cpu_at_start = Arc::new(std::sync::Mutex::new(None));
    {
        // Read CPU counters when the measured window opens.
        let (cpu_at_start, pid) = (cpu_at_start.clone(), args.server_pid.clone());
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from).await;
            *cpu_at_start.lock().unwrap() = Some(cpu_now(pid.as_deref()));
        });
    }
    match (args.rpc, args.rate) {
        (Rpc::Unary, None) => {
            drive::unary_closed(&clients, args.inflight, pool, recorder.clone(), window).await
        }
        (Rpc::Unary, Some(rate)) => {
            anyhow::ensure!(rate > 0.0, "--rate must be positive");
            drive::unary_rate(&clients, rate, pool, recorder.clone(), window).await
        }
        (Rpc::Stream, None) => {
            drive::stream_closed(&clients, args.inflight, pool, recorder.clone(), window).await?
        }
        (Rpc::Stream, Some(_)) => anyhow::bail!("--rate is supported for --rpc unary only"),
    }
    let end = Instant::now();
    let elapsed = if args.requests.is_some() {
        end - start
    } else {
        Duration::from_secs_f64(args.duration)
    };
    let (s0, c0) = cpu_at_start.lock().unwrap().unwrap_or((None, None));
    let (s1, c1) = cpu_now(args.server_pid.as_deref());
    let cpu = CpuUse {
        server_s: s0.zip(s1).map(|(a, b)| b - a),
        server_rss: args.server_pid.as_deref().and_then(stats::rss_bytes),
        client_s: c0.zip(c1).map(|(a, b)| b - a),
    };
    let setup = json!({
        "label": args.label,
        "rpc": format!("{:?}", args.rpc).to_lowercase(),
        "mode": if args.rate.is_some() { "rate" } else { "closed" },
        "connections": args.connections,
        "inflight": args.rate.is_none().then_some(args.inflight),
        "rate": args.rate,
        "conversations": args.conversations,
        "turns": args.replay.is_none().then_some(args.turns),
        "words": (args.replay.is_none() && args.words > 0).then_some(args.words),
        "replay": args.replay.as_ref().map(|p| p.display().to_string()),
    });
    let report = recorder.report(setup, elapsed, cpu);
    println!("{}", report.line);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report.json)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn cpu_now(server_pid: Option<&str>) -> (Option<f64>, Option<f64>) {
    (
        server_pid.and_then(stats::cpu_seconds),
        stats::cpu_seconds("self"),
    )
}

/// Polls the health service every millisecond until it answers SERVING.
async fn wait_serving(addr: &str, deadline: Instant) -> anyhow::Result<()> {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let endpoint = Endpoint::from_shared(addr.to_string())?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_millis(200));
    loop {
        if let Ok(channel) = endpoint.connect().await {
            let mut health = HealthClient::new(channel);
            let answer = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await;
            if answer.is_ok_and(|r| r.into_inner().status == ServingStatus::Serving as i32) {
                return Ok(());
            }
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{addr} did not answer SERVING in time"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn startup(args: StartupArgs) -> anyhow::Result<()> {
    let mut times = Vec::with_capacity(args.repeat);
    for _ in 0..args.repeat.max(1) {
        let started = Instant::now();
        let mut child = std::process::Command::new(&args.command[0])
            .args(&args.command[1..])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", args.command[0]))?;
        let ready = wait_serving(&args.addr, started + Duration::from_secs(30)).await;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
        ready?;
        times.push(ms);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "startup_to_serving median={median:.1}ms min={:.1}ms max={:.1}ms runs={}",
        times[0],
        times[times.len() - 1],
        times.len()
    );
    if let Some(path) = &args.json {
        let doc = json!({"median_ms": median, "min_ms": times[0], "max_ms": times[times.len() - 1], "runs_ms": times});
        std::fs::write(path, serde_json::to_vec_pretty(&doc)?)?;
    }
    Ok(())
}
