//! The `escalation-router` binary: parses arguments and hands over to the library.

use clap::{Parser, Subcommand};
use escalation_router::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a turn makes a few hundred short-lived allocations
/// (protobuf decoding, detection, the decision), and glibc's malloc and free were a fifth of a
/// turn's instructions (`bench/callgrind.sh`). Version 2 (the crate's `v2` feature): under
/// `scripts/overload_test.sh` version 3 held 440-760 MiB resident, over the test's 512 MiB bound,
/// where version 2 holds 270-300 MiB and glibc about 220 MiB.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "escalation-router",
    version,
    about = "Decides when a bot conversation needs a human"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gRPC service.
    #[command(
        after_help = "Configuration, later sources overriding earlier ones:\n  \
        1. built-in defaults (the README's table; deploy/config.example.toml names every key)\n  \
        2. the TOML file given with --config (policy and keys reload from it on SIGHUP)\n  \
        3. environment variables ESCALATION__SECTION__KEY, e.g. ESCALATION__SERVER__LISTEN=0.0.0.0:50051,\n     \
        ESCALATION__METRICS__LISTEN=0.0.0.0:9090, ESCALATION__LOG__FORMAT=json,\n     \
        ESCALATION__TRACING__OTLP_ENDPOINT=http://127.0.0.1:4317\n\
        Logs go to stderr at RUST_LOG (default info). Invalid configuration exits before binding, naming the key."
    )]
    Serve {
        /// TOML configuration file; `ESCALATION__SECTION__KEY` variables override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Serve the do-nothing baseline `ProcessTurn` (for load-generator comparisons).
        #[arg(long)]
        baseline: bool,
    },
    /// Run conversations (JSONL) through the engine and write one decision line per turn.
    Replay(escalation_router::replay::ReplayArgs),
    /// Replay labelled conversations and print precision, recall, F1 and latency.
    Eval(escalation_router::replay::EvalArgs),
    /// Run conversations whose turns carry expected decisions; fail when any is not met.
    Test(escalation_router::spec::TestArgs),
    /// Learn the turn model from labelled conversations; print cross-validated figures.
    Train(escalation_router::learn::TrainArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve { .. }) {
        escalation_router::telemetry::init_logs(Default::default(), "warn");
    }
    let result = match cli.command {
        Command::Serve { config, baseline } => serve(config, baseline),
        Command::Replay(args) => escalation_router::replay::replay(args),
        Command::Eval(args) => escalation_router::replay::eval(args),
        Command::Train(args) => escalation_router::learn::train(args),
        Command::Test(args) => escalation_router::spec::test(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(file: Option<PathBuf>, baseline: bool) -> anyhow::Result<()> {
    let mut config = Config::load(file.as_deref(), std::env::vars())?;
    config.server.baseline |= baseline;
    let runtime = tokio::runtime::Runtime::new()?;
    // The OTLP exporter runs on this runtime, so it is built inside it.
    let (traces, tracer) = {
        let _inside = runtime.enter();
        escalation_router::telemetry::Traces::new(config.tracing.otlp_endpoint.as_ref())?
    };
    escalation_router::telemetry::init(config.log.format, "info", tracer);
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.server.listen))?;
        let shutdown = shutdown_signal();
        escalation_router::server::run(config, listener, shutdown).await
    });
    // The last spans go out while the runtime still runs the exporter's connection.
    traces.shutdown();
    result
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is called, before the
/// server logs that it is serving, so an early SIGTERM is never lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .expect("installing the SIGINT handler");
    async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
