//! OpenTelemetry traces: with `tracing.otlp_endpoint` set, every call's `rpc` span (request id,
//! rpc, tenant, conversation; never customer text) is exported over OTLP/gRPC, as a child of the
//! caller's span when the call carries a W3C `traceparent`. Off by default: then nothing here runs.

use crate::config::OtlpEndpoint;
use anyhow::Context as _;
use http::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Span;
use tracing::subscriber::Interest;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Filter};

/// Whether spans are exported: set once when the exporter is installed.
static ON: AtomicBool = AtomicBool::new(false);

/// The exporter: spans are batched in the background and sent every few seconds; `shutdown`
/// sends what is left.
pub struct Traces {
    provider: Option<SdkTracerProvider>,
}

impl Traces {
    /// Builds the OTLP/gRPC exporter (inside the Tokio runtime that will drive it) and its tracer,
    /// or nothing without an endpoint.
    pub fn new(endpoint: Option<&OtlpEndpoint>) -> anyhow::Result<(Traces, Option<Tracer>)> {
        let Some(endpoint) = endpoint else {
            return Ok((Traces { provider: None }, None));
        };
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.as_str())
            .build()
            .context("tracing.otlp_endpoint: cannot build the OTLP exporter")?;
        let resource = opentelemetry_sdk::Resource::builder()
            .with_service_name("escalation-router")
            .build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        let tracer = provider.tracer("escalation-router");
        ON.store(true, Ordering::Relaxed);
        Ok((
            Traces {
                provider: Some(provider),
            },
            Some(tracer),
        ))
    }

    /// Sends the spans not yet exported and stops the exporter. Call it from outside the runtime's
    /// worker threads, while the runtime is still alive (the export runs on it).
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "exporting the last spans failed");
        }
    }
}

/// Only the calls' `rpc` spans go to OpenTelemetry: no events (log lines stay in the logs), no
/// inner spans (one span per call).
pub struct RpcSpans;

/// The span `request_id` opens for every call except health checks.
fn is_rpc_span(m: &tracing::Metadata<'_>) -> bool {
    m.is_span() && m.name() == "rpc" && m.target().starts_with("escalation_router::")
}

impl<S> Filter<S> for RpcSpans {
    fn enabled(&self, m: &tracing::Metadata<'_>, _: &Context<'_, S>) -> bool {
        is_rpc_span(m)
    }
    fn callsite_enabled(&self, m: &'static tracing::Metadata<'static>) -> Interest {
        if is_rpc_span(m) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }
}

/// Reads `traceparent` (and `tracestate`) from the call's headers.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// A new call's span, before it is entered: the caller's trace as parent, the OpenTelemetry name
/// (`escalation.v1.EscalationRouter/ProcessTurn`), kind and the gRPC attributes; its trace id in
/// the logs.
pub fn call_started(span: &Span, headers: &HeaderMap, path: &str) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    // Fails only when the span is disabled: nothing to export then.
    let _ = span.set_parent(parent);
    let name = path.trim_start_matches('/');
    span.record("otel.name", name);
    span.record("otel.kind", "server");
    span.set_attribute("rpc.system", "grpc");
    if let Some((service, method)) = name.split_once('/') {
        span.set_attribute("rpc.service", service.to_string());
        span.set_attribute("rpc.method", method.to_string());
    }
    // Starts the span (its parent, name and kind are final now); the logs get its trace id.
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
}

/// The call answered at once with an error (`grpc-status` in the headers): the span says so.
pub fn call_answered(span: &Span, headers: &HeaderMap) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    let code = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    if let Some(code) = code {
        span.set_attribute("rpc.grpc.status_code", code);
        if code != 0 {
            span.set_status(opentelemetry::trace::Status::error(format!(
                "{:?}",
                tonic::Code::from(code as i32)
            )));
        }
    }
}

/// Names the tenant and conversation a call is about on its span (ids only; at most
/// `MAX_ID` bytes each, as they come before validation).
pub fn record_subject(tenant_id: &str, conversation_id: Option<&str>) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    let span = Span::current();
    span.record("tenant_id", cut(tenant_id));
    if let Some(c) = conversation_id {
        span.record("conversation_id", cut(c));
    }
}

/// Longest id put on a span.
const MAX_ID: usize = 256;

fn cut(s: &str) -> &str {
    if s.len() <= MAX_ID {
        return s;
    }
    let mut end = MAX_ID;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
