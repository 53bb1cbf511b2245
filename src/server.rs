//! Assembles the gRPC server: store, engine, services, health, reflection, tower layers, shutdown.
//! `main` and the integration tests both call `run`.

use crate::config::Config;
use crate::engine::{Engine, EngineSettings};
use crate::grpc::admission::{Admission, Limiter};
use crate::grpc::auth::{Authenticate, KeyringHandle};
use crate::grpc::{FeedService, RouterService, convert::Limits};
use crate::pb::{
    escalation_router_server::EscalationRouterServer, handoff_feed_server::HandoffFeedServer,
};
use crate::policy::PolicyHandle;
use crate::state::{self, SharedStore};
use anyhow::Context;
use arc_swap::ArcSwap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::service::interceptor::InterceptedService;
use tracing::info;

/// Opens the store named by `store.url`.
pub async fn open_store(config: &Config) -> anyhow::Result<SharedStore> {
    let codec = state::Codec::from_key_file(config.store.encryption_key_file.as_deref())?;
    state::open_with(&config.store.url, config.limits.receipt_window, codec)
        .await
        .with_context(|| format!("opening store {}", redact_url(&config.store.url)))
}

/// Hides a password in a database URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Serves until `shutdown` resolves, then drains: health goes NOT_SERVING at once, calls are still
/// served for `server.drain_seconds` (so balancers notice), then no new calls are taken, streams
/// end `UNAVAILABLE` and in-flight calls get `server.grace_seconds` to finish.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let keys = keyring(&config, &listener)?;
    let store = open_store(&config).await?;
    let detector = Arc::new(config.detection.detector()?);
    let policy = PolicyHandle::from_config(&config.policy)
        .map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
    let engine = Engine::with_policy(
        detector,
        store.clone(),
        EngineSettings::from(&config.limits),
        policy.clone(),
    );
    // Policy reloads (SIGHUP, file changes); they stop with the server.
    let (reload_stop, reload_stopped) = watch::channel(false);
    let reloader = crate::config::reload::spawn(
        config.file.clone(),
        policy,
        keys.clone(),
        config.policy.watch_seconds,
        reload_stopped,
    );
    let result = run_with(config, listener, engine, keys, shutdown, started).await;
    let _ = reload_stop.send(true);
    let _ = reloader.await;
    result
}

/// The `[auth]` section compiled, checked against the address actually bound: mode "none" only
/// on loopback.
fn keyring(config: &Config, listener: &TcpListener) -> anyhow::Result<KeyringHandle> {
    let keyring = config
        .keyring()
        .map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
    if keyring.mode == crate::config::AuthMode::None {
        crate::config::open_only_on_loopback(config.auth.is_some(), listener.local_addr()?)
            .map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
    }
    Ok(Arc::new(ArcSwap::from_pointee(keyring)))
}

/// The `server.tls` files read into tonic's TLS settings.
fn tls(tls: &crate::config::TlsConfig) -> anyhow::Result<tonic::transport::ServerTlsConfig> {
    let read = |key: &str, path: &std::path::Path| {
        std::fs::read(path).with_context(|| format!("server.tls.{key}: reading {}", path.display()))
    };
    let identity = tonic::transport::Identity::from_pem(
        read("cert_file", &tls.cert_file)?,
        read("key_file", &tls.key_file)?,
    );
    let mut settings = tonic::transport::ServerTlsConfig::new()
        .identity(identity)
        // A client that opens a connection and never finishes the handshake is dropped.
        .timeout(Duration::from_secs(10));
    if let Some(ca) = &tls.client_ca_file {
        let ca = tonic::transport::Certificate::from_pem(read("client_ca_file", ca)?);
        settings = settings.client_ca_root(ca).client_auth_optional(false);
    }
    Ok(settings)
}

/// `run` with an engine built by the caller (tests, benchmarks).
pub async fn run_with(
    config: Config,
    listener: TcpListener,
    engine: Engine,
    keys: KeyringHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
    started: Instant,
) -> anyhow::Result<()> {
    let limits = Limits::from(&config.limits);
    let streams = crate::grpc::streams::Streams::new(config.limits.max_streams_per_principal);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (health_reporter, _) = tonic_health::server::health_reporter();
    let health_service = crate::grpc::health::service(&health_reporter, stop_rx.clone());
    let store = engine.store().clone();
    let feed = FeedService::new(
        engine.clone(),
        limits,
        streams.clone(),
        Duration::from_secs(config.feed.lease_seconds),
        Duration::from_millis(config.feed.poll_ms),
        stop_rx.clone(),
    );
    let router = RouterService::new(engine, limits, streams, stop_rx.clone());
    let max = config.server.max_message_bytes;
    health_reporter
        .set_serving::<EscalationRouterServer<RouterService>>()
        .await;
    health_reporter
        .set_serving::<HandoffFeedServer<FeedService>>()
        .await;
    health_reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;

    crate::metrics::start(&config.metrics, store.clone(), stop_rx.clone()).await?;
    let sweeper = tokio::spawn(sweep(store, config.retention.clone(), stop_rx.clone()));

    let mut builder = tonic::transport::Server::builder()
        // A request id on every call: its span in every log line, echoed in the response metadata.
        .layer(crate::telemetry::RequestIdLayer)
        // Small responses must leave at once, not wait for Nagle.
        .tcp_nodelay(true)
        // Bounds the streams one HTTP/2 connection may open.
        .max_concurrent_streams(config.server.max_concurrent_streams)
        // Finds dead peers (a vanished balancer, a half-open TCP connection) and frees their calls.
        .http2_keepalive_interval(Some(Duration::from_secs(
            config.server.keepalive_seconds.max(1),
        )))
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
        // Oversized messages are RESOURCE_EXHAUSTED, undecodable ones INVALID_ARGUMENT, as gRPC
        // specifies (tonic says OUT_OF_RANGE and INTERNAL).
        .layer(tower::util::MapResponseLayer::new(
            crate::grpc::decode_status::map_decode_failures,
        ));
    if let Some(settings) = &config.server.tls {
        builder = builder
            .tls_config(tls(settings)?)
            .context("server.tls: the certificate or key is not usable")?;
    }
    if config.server.max_connection_age_seconds > 0 {
        // Long-lived connections are recycled so load spreads again over replicas.
        builder = builder.max_connection_age(Duration::from_secs(
            config.server.max_connection_age_seconds,
        ));
    }
    if config.server.request_timeout_ms > 0 {
        // A stuck store must not hold calls forever, whatever deadline the client set.
        builder = builder.timeout(Duration::from_millis(config.server.request_timeout_ms));
    }
    // Health and reflection answer anyone (probes); both services check credentials first.
    let authenticate = Authenticate::new(keys);
    let mut router_builder = crate::grpc::reflection::add(
        builder.add_service(health_service),
        config.server.reflection,
    )?;
    // One admission limit over both services and every connection, and a share per connection,
    // checked after credentials: over either a call is shed at once with UNAVAILABLE (nothing
    // queues). Health stays outside it so probes answer under overload.
    let permits = Limiter::new(
        config.server.max_in_flight,
        config.server.concurrency_per_connection,
    );
    router_builder = if config.server.baseline {
        router_builder.add_service(InterceptedService::new(
            Admission::new(
                EscalationRouterServer::new(crate::grpc::baseline::Baseline)
                    .max_decoding_message_size(max),
                permits.clone(),
            ),
            authenticate.clone(),
        ))
    } else {
        router_builder.add_service(InterceptedService::new(
            Admission::new(
                EscalationRouterServer::new(router)
                    .max_decoding_message_size(max)
                    .max_encoding_message_size(max),
                permits.clone(),
            ),
            authenticate.clone(),
        ))
    };
    let router_builder = router_builder.add_service(InterceptedService::new(
        Admission::new(
            HandoffFeedServer::new(feed)
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
            permits,
        ),
        authenticate,
    ));

    let addr = listener.local_addr()?;
    info!(%addr, store = %redact_url(&config.store.url), startup_ms = started.elapsed().as_millis() as u64, "serving");
    let grace = Duration::from_secs(config.server.grace_seconds);
    let drain = Duration::from_secs(config.server.drain_seconds);
    let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
    let reporter = health_reporter.clone();
    let signal = async move {
        shutdown.await;
        info!(
            drain_seconds = drain.as_secs(),
            "shutting down: health NOT_SERVING, still serving while balancers notice"
        );
        reporter
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        reporter
            .set_not_serving::<EscalationRouterServer<RouterService>>()
            .await;
        reporter
            .set_not_serving::<HandoffFeedServer<FeedService>>()
            .await;
        tokio::time::sleep(drain).await;
        info!("drained: no new calls; open streams end UNAVAILABLE");
        let _ = stop_tx.send(true);
        let _ = drained_tx.send(());
    };
    let serve =
        // tonic ignores `tcp_nodelay` for an incoming stream it did not bind, so it is set here:
        // without it small responses wait for the client's delayed ACK (40 ms).
        router_builder.serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            signal,
        );
    tokio::pin!(serve);
    tokio::select! {
        r = &mut serve => r?,
        _ = async {
            let _ = drained_rx.await;
            tokio::time::sleep(grace).await;
        } => {
            info!(grace_seconds = grace.as_secs(), "grace period over; closing remaining calls");
        }
    }
    sweeper.abort();
    info!("stopped");
    Ok(())
}

/// Expires idle conversations and purges delivered events periodically.
async fn sweep(
    store: SharedStore,
    retention: crate::config::RetentionConfig,
    mut stop: watch::Receiver<bool>,
) {
    let every = Duration::from_secs(retention.sweep_seconds.max(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let now = crate::clock::now_ms();
        let idle = now - (retention.idle_conversation_seconds as i64) * 1000;
        let delivered = now - (retention.delivered_event_seconds as i64) * 1000;
        match store.expire(idle, delivered).await {
            Ok((c, e)) if c + e > 0 => info!(conversations = c, events = e, "expired"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
        }
    }
}
