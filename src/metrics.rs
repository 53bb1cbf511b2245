//! Prometheus metrics: the names and labels (a contract with dashboards and alerts), the recorder,
//! and the `/metrics` listener.
//!
//! Recording goes through the `metrics` facade and costs next to nothing until `install` puts the
//! Prometheus recorder in place (only when `metrics.listen` is set). The recorder is process-wide:
//! the first `install` decides `metrics.tenant_labels` for the process.

use crate::config::MetricsConfig;
use crate::domain::{Decision, HandoffEvent, HandoffEventKind, Role};
use metrics::{Label, counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub const TURNS: &str = "escalation_turns_total";
pub const DECISIONS: &str = "escalation_decisions_total";
pub const HANDOFFS: &str = "escalation_handoffs_total";
pub const TURN_SECONDS: &str = "escalation_turn_seconds";
pub const SCORE: &str = "escalation_score";
pub const FEED_BACKLOG: &str = "escalation_feed_backlog";
pub const FEED_REDELIVERIES: &str = "escalation_feed_redeliveries_total";
pub const SHED: &str = "escalation_shed_total";
pub const STORE_COMMIT_SECONDS: &str = "escalation_store_commit_seconds";
pub const STORE_BATCH_TURNS: &str = "escalation_store_batch_turns";

/// Every metric this service exports (the dashboard test checks panels against this list).
pub const NAMES: [&str; 10] = [
    TURNS,
    DECISIONS,
    HANDOFFS,
    TURN_SECONDS,
    SCORE,
    FEED_BACKLOG,
    FEED_REDELIVERIES,
    SHED,
    STORE_COMMIT_SECONDS,
    STORE_BATCH_TURNS,
];

/// Whether series carry a `tenant` label (`metrics.tenant_labels`).
static TENANT_LABELS: AtomicBool = AtomicBool::new(true);
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// Consumer groups subscribed in this process, with the filter their backlog is counted by.
static CONSUMERS: Mutex<BTreeMap<String, crate::state::FeedFilter>> = Mutex::new(BTreeMap::new());

const SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
const SCORE_BUCKETS: &[f64] = &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Installs the process-wide Prometheus recorder (once; later calls return the same handle).
pub fn install(config: &MetricsConfig) -> anyhow::Result<PrometheusHandle> {
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    TENANT_LABELS.store(config.tenant_labels, Ordering::Relaxed);
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(SCORE.into()), SCORE_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(STORE_BATCH_TURNS.into()), BATCH_BUCKETS)?;
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_ok() {
        describe();
        let _ = HANDLE.set(handle);
    }
    HANDLE
        .get()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("another metrics recorder is installed"))
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(TURNS, "Turns applied (duplicates not counted).");
    describe_counter!(DECISIONS, "Decisions returned for new turns, by action.");
    describe_counter!(HANDOFFS, "Handoffs opened, by strongest reason and route.");
    describe_histogram!(TURN_SECONDS, "Seconds to answer one turn, by rpc.");
    describe_histogram!(
        SCORE,
        "The conversation's escalation score at decision time (0..1)."
    );
    describe_gauge!(
        FEED_BACKLOG,
        "Handoff events matching a consumer group's filter that it has not acknowledged."
    );
    describe_counter!(FEED_REDELIVERIES, "Handoff events handed out again.");
    describe_counter!(
        SHED,
        "Calls refused at once because the server was at its limit."
    );
    describe_histogram!(STORE_COMMIT_SECONDS, "Seconds one store commit took.");
    describe_histogram!(
        STORE_BATCH_TURNS,
        "Writes committed together in one transaction."
    );
    // Counters without labels exist from the start, so a rate over them is 0 rather than absent.
    counter!(FEED_REDELIVERIES).absolute(0);
    counter!(SHED).absolute(0);
}

fn labels<const N: usize>(tenant: &str, rest: [(&'static str, String); N]) -> Vec<Label> {
    let mut out = Vec::with_capacity(N + 1);
    if TENANT_LABELS.load(Ordering::Relaxed) {
        out.push(Label::new("tenant", tenant.to_string()));
    }
    out.extend(rest.into_iter().map(|(k, v)| Label::new(k, v)));
    out
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Customer => "customer",
        Role::Bot => "bot",
        Role::Agent => "agent",
        Role::System => "system",
    }
}

/// A new turn was committed with this decision (and maybe a handoff event).
pub fn turn_committed(tenant: &str, role: Role, decision: &Decision, event: Option<&HandoffEvent>) {
    let language = if decision.route.language.is_empty() {
        "unknown".to_string()
    } else {
        decision.route.language.clone()
    };
    counter!(
        TURNS,
        labels(
            tenant,
            [("role", role_label(role).into()), ("language", language)]
        )
    )
    .increment(1);
    counter!(
        DECISIONS,
        labels(tenant, [("action", decision.action.label().into())])
    )
    .increment(1);
    histogram!(SCORE).record(decision.scores.escalation as f64);
    if let Some(ev) = event.filter(|e| e.kind == HandoffEventKind::Opened) {
        handoff_opened(ev);
    }
}

fn handoff_opened(ev: &HandoffEvent) {
    let reason = ev
        .context
        .reasons
        .first()
        .map_or("none", |r| r.code.label());
    counter!(
        HANDOFFS,
        labels(
            &ev.tenant_id,
            [
                ("reason", reason.into()),
                ("queue", ev.route.queue.clone()),
                ("priority", format!("{:?}", ev.priority).to_lowercase()),
                ("language", ev.context.language.clone()),
                (
                    "channel",
                    format!("{:?}", ev.context.channel).to_lowercase()
                ),
            ]
        )
    )
    .increment(1);
}

/// Seconds one turn took end to end, by rpc (`ProcessTurn`, `StreamTurns`).
pub fn turn_seconds(rpc: &'static str, elapsed: Duration) {
    histogram!(TURN_SECONDS, "rpc" => rpc).record(elapsed.as_secs_f64());
}

/// A handoff event went out again to its consumer group.
pub fn redelivered(events: u64) {
    counter!(FEED_REDELIVERIES).increment(events);
}

/// A call was shed.
pub fn shed() {
    counter!(SHED).increment(1);
}

/// One store commit and how long it took.
pub fn store_commit(elapsed: Duration) {
    histogram!(STORE_COMMIT_SECONDS).record(elapsed.as_secs_f64());
}

/// One transaction committed `writes` writes together (group commit).
pub fn store_batch(writes: usize) {
    histogram!(STORE_BATCH_TURNS).record(writes as f64);
}

/// A consumer group subscribed here with this filter: its backlog is reported from now on.
pub fn consumer_subscribed(filter: &crate::state::FeedFilter) {
    if HANDLE.get().is_some() {
        lock(&CONSUMERS).insert(filter.consumer.clone(), filter.clone());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves `GET /metrics` (Prometheus text format) until `stop` flips. Plain HTTP/1.1, one request
/// per connection: all a scraper needs, without a second HTTP stack.
pub async fn serve(
    listener: TcpListener,
    handle: PrometheusHandle,
    store: crate::state::SharedStore,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (mut socket, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener accept failed");
                    continue;
                }
            },
            _ = stop.wait_for(|s| *s) => return,
        };
        let (handle, store) = (handle.clone(), store.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut n = 0;
            // Read the request head (bounded; a scraper's is a few hundred bytes).
            while n < buf.len() && !buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf[n..])).await
                {
                    Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
                    Ok(Ok(k)) => n += k,
                }
            }
            let head = String::from_utf8_lossy(&buf[..n]);
            let path = head.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = if head.starts_with("GET ") && path == "/metrics" {
                update_backlog(&store).await;
                handle.run_upkeep();
                ("200 OK", handle.render())
            } else {
                (
                    "404 Not Found",
                    "only GET /metrics is served here\n".to_string(),
                )
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        });
    }
}

/// Sets `escalation_feed_backlog` for each consumer group subscribed in this process.
async fn update_backlog(store: &crate::state::SharedStore) {
    let consumers: Vec<_> = lock(&CONSUMERS).values().cloned().collect();
    for filter in consumers {
        match store.backlog(&filter).await {
            Ok(n) => gauge!(FEED_BACKLOG, "consumer" => filter.consumer.clone()).set(n as f64),
            Err(e) => tracing::warn!(error = %e, consumer = %filter.consumer, "feed backlog"),
        }
    }
}

/// Binds `metrics.listen` (if set) and serves `/metrics` there until `stop` flips.
pub async fn start(
    config: &MetricsConfig,
    store: crate::state::SharedStore,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Option<std::net::SocketAddr>> {
    let Some(addr) = config.listen else {
        return Ok(None);
    };
    let handle = install(config)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on metrics.listen {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(serve(listener, handle, store, stop));
    tracing::info!(addr = %bound, "serving metrics at /metrics");
    Ok(Some(bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_labels_can_be_switched_off() {
        let on = labels("acme", [("action", "handoff".to_string())]);
        assert_eq!(
            on,
            vec![
                Label::new("tenant", "acme"),
                Label::new("action", "handoff")
            ]
        );
        TENANT_LABELS.store(false, Ordering::Relaxed);
        let off = labels("acme", [("action", "handoff".to_string())]);
        TENANT_LABELS.store(true, Ordering::Relaxed);
        assert_eq!(off, vec![Label::new("action", "handoff")]);
    }
}
