//! Logs: the subscriber (`log.format`, colour only on a terminal), request ids, OpenTelemetry
//! traces (`traces`), and the INFO lines an operator follows a handoff by. Lines carry ids, reason
//! codes, queue and priority, never customer text.

use crate::config::LogFormat;
use crate::domain::{Decision, HandoffEvent, HandoffEventKind, HandoffStatus, Ownership, Turn};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing::info;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer, Registry};

mod request_id;
pub mod traces;
pub use request_id::{REQUEST_ID, RequestIdLayer};
pub use traces::{Traces, record_subject};

/// Directives added unless `RUST_LOG` names the crate itself: HTTP/2 frame and connection noise
/// stays out of `debug`.
const QUIET: &[&str] = &["h2", "hyper", "hyper_util", "tower", "tonic"];

/// Crates held at `info` whatever `RUST_LOG` says: the PostgreSQL driver logs every statement's
/// parameters (customer text) at `debug`.
const CAPPED: &[&str] = &["tokio_postgres"];

/// The filter: `RUST_LOG` (default `default`) with the transport crates held at `info`, and the
/// store driver at `info` even when named.
pub fn filter(rust_log: Option<&str>, default: &str) -> EnvFilter {
    let spec = rust_log.filter(|s| !s.trim().is_empty()).unwrap_or(default);
    let capped = |d: &str| {
        let target = d.split('=').next().unwrap_or("").trim();
        CAPPED
            .iter()
            .any(|c| target == *c || target.starts_with(&format!("{c}::")))
    };
    let spec = spec
        .split(',')
        .filter(|d| !capped(d))
        .collect::<Vec<_>>()
        .join(",");
    let mut directives = spec.clone();
    for krate in CAPPED {
        directives.push_str(&format!(",{krate}=info"));
    }
    for krate in QUIET {
        let named = spec
            .split(',')
            .any(|d| d.split('=').next().is_some_and(|t| t.trim() == *krate));
        if !named {
            directives.push_str(&format!(",{krate}=info"));
        }
    }
    EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Whether stderr gets ANSI colour: only a terminal, and only without `NO_COLOR`.
pub fn colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Installs the process's log subscriber on stderr; `default` is the level without `RUST_LOG`
/// (`info` for `serve`; `warn` for the offline commands, whose every handoff is no news).
pub fn init_logs(format: LogFormat, default: &str) {
    init(format, default, None);
}

/// The log subscriber, and with `tracer` the OpenTelemetry layer that exports the calls' spans
/// (`traces`). The level filter applies to the logs only.
pub fn init(format: LogFormat, default: &str, tracer: Option<opentelemetry_sdk::trace::Tracer>) {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref(), default);
    let ansi = colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let lines: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => Box::new(lines),
        LogFormat::Json => Box::new(
            lines
                .json()
                .flatten_event(true)
                // Every enclosing span (the call's `rpc` span with its request id, the engine's
                // span with tenant and conversation), not only the innermost.
                .with_current_span(false)
                .with_span_list(true),
        ),
    };
    let spans = tracer.map(|t| {
        tracing_opentelemetry::layer()
            .with_tracer(t)
            .with_location(false)
            .with_filter(traces::RpcSpans)
    });
    let _ = tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        .with(spans)
        .try_init();
}

/// `tokio::spawn` keeping the caller's span (the call's request id on a stream's log lines).
pub fn spawn<F>(task: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(tracing::Instrument::in_current_span(task))
}

/// A new turn was committed: metrics, and the INFO line when it opened a handoff.
pub fn turn_committed(turn: &Turn, decision: &Decision, event: Option<&HandoffEvent>) {
    crate::metrics::turn_committed(&turn.tenant_id, turn.role, decision, event);
    if let Some(ev) = event {
        let reasons: Vec<&str> = decision.reasons.iter().map(|r| r.code.label()).collect();
        info!(
            tenant_id = %ev.tenant_id,
            conversation_id = %ev.conversation_id,
            turn_id = %turn.turn_id,
            handoff_id = %ev.handoff_id,
            event_id = %ev.event_id,
            action = decision.action.label(),
            reasons = %reasons.join(","),
            queue = %ev.route.queue,
            priority = %format!("{:?}", ev.priority).to_lowercase(),
            language = %ev.context.language,
            channel = %format!("{:?}", ev.context.channel).to_lowercase(),
            score = decision.scores.escalation,
            "{}",
            match ev.kind {
                HandoffEventKind::Opened => "handoff opened",
                HandoffEventKind::Updated => "handoff updated",
            }
        );
    }
}

/// A router's status report changed (or confirmed) a handoff's state.
pub fn status_reported(
    tenant_id: &str,
    conversation_id: &str,
    handoff_id: &str,
    status: HandoffStatus,
    ownership: Ownership,
) {
    info!(
        tenant_id,
        conversation_id,
        handoff_id,
        status = ?status,
        ownership = ?ownership,
        "handoff status"
    );
}

/// A router reported a handoff's outcome.
pub fn outcome_reported(o: &crate::state::OutcomeRecord) {
    info!(
        tenant_id = %o.tenant_id,
        conversation_id = %o.conversation_id,
        handoff_id = %o.handoff_id,
        resolved = o.resolved,
        satisfaction = o.satisfaction,
        verdict = ?o.verdict,
        "handoff outcome"
    );
}

/// Calls shed since the last line, and when that line was written.
static SHED: Mutex<(u64, Option<Instant>)> = Mutex::new((0, None));
/// Shed calls closer together than this are one burst: one line.
const BURST: Duration = Duration::from_secs(10);

/// A call was shed: counted, and one INFO line per burst (the first call of a burst writes it, with
/// how many were shed since the previous line).
pub fn shed() {
    crate::metrics::shed();
    let mut s = SHED.lock().unwrap_or_else(|e| e.into_inner());
    s.0 += 1;
    let now = Instant::now();
    if s.1.is_none_or(|t| now.duration_since(t) >= BURST) {
        info!(
            shed_since_last_line = s.0,
            "shedding calls: the server is at its limit"
        );
        *s = (0, Some(now));
    }
}

#[cfg(test)]
mod tests;
