//! What an operator sees: the binary's JSON logs, its `/metrics` scraped over real HTTP and checked
//! by `promtool`, request ids, OpenTelemetry spans received by an OTLP collector the test runs, and
//! the Grafana dashboard's queries against the metric names.

#[path = "support/child.rs"]
mod child;
use escalation_router::pb::{
    self, escalation_router_client::EscalationRouterClient, handoff_feed_client::HandoffFeedClient,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind};
use serde_json::Value;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_escalation-router");
/// Words only the customer wrote: they must not reach the log at `info`.
const CUSTOMER_WORDS: &str = "Zebrafinch";

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `serve` with JSON logs, metrics on a free port, tenant labels off, SQLite in a temp dir.
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// `start` with more environment variables.
    fn start_with(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .arg("serve")
            .envs(env.iter().copied())
            .env("ESCALATION__SERVER__LISTEN", "127.0.0.1:0")
            .env("ESCALATION__METRICS__LISTEN", "127.0.0.1:0")
            .env("ESCALATION__METRICS__TENANT_LABELS", "false")
            .env("ESCALATION__LOG__FORMAT", "json")
            .env(
                "ESCALATION__STORE__URL",
                format!("sqlite://{}/e.db", dir.path().display()),
            )
            .env("RUST_LOG", "info")
            .env_remove("NO_COLOR")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = child::stderr_lines(&mut child);
        Server {
            child,
            lines,
            log: Vec::new(),
            _dir: dir,
        }
    }

    /// The first JSON log line (from now or earlier) whose message is `message`.
    fn wait_for(&mut self, message: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = 0;
        loop {
            for line in &self.log[seen..] {
                let v: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
                if v["message"] == message {
                    return v;
                }
            }
            seen = self.log.len();
            let line = self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| {
                    panic!("no `{message}` log line; log:\n{}", self.log.join("\n"))
                });
            self.log.push(line);
        }
    }
}

fn scrape(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    body.to_string()
}

/// `promtool check metrics` on the scrape. Without promtool the check is skipped outside CI; in CI
/// (`CI` set) a missing promtool fails.
fn promtool_check(body: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("promtool not found ({e}); skipping `promtool check metrics` outside CI");
            return;
        }
        Err(e) => panic!("promtool is required in CI (Debian package `prometheus`): {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n{body}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn turn(id: &str, seq: u64, role: pb::Role, text: &str) -> pb::ProcessTurnRequest {
    pb::ProcessTurnRequest {
        turn: Some(pb::Turn {
            tenant_id: "acme".into(),
            conversation_id: "ops-1".into(),
            turn_id: id.into(),
            sequence: Some(seq),
            role: role as i32,
            text: text.into(),
            channel: pb::Channel::Webchat as i32,
            ..Default::default()
        }),
    }
}

/// `GetConversation` for the conversation `turn` writes to.
fn conversation() -> pb::GetConversationRequest {
    pb::GetConversationRequest {
        tenant_id: "acme".into(),
        conversation_id: "ops-1".into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_json_logs_request_ids_and_valid_metrics_without_customer_text() {
    let mut server = tokio::task::block_in_place(Server::start);
    let serving = tokio::task::block_in_place(|| server.wait_for("serving"));
    let grpc_addr = serving["addr"].as_str().unwrap().to_string();
    let metrics = tokio::task::block_in_place(|| server.wait_for("serving metrics at /metrics"));
    let metrics_addr = metrics["addr"].as_str().unwrap().to_string();

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc_addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut router = EscalationRouterClient::new(channel.clone());
    let mut feed = HandoffFeedClient::new(channel);

    router
        .process_turn(turn(
            "t1",
            1,
            pb::Role::Customer,
            &format!("Hello, my parrot {CUSTOMER_WORDS} ate the order"),
        ))
        .await
        .unwrap();
    // The handoff, with a request id chosen by the client.
    let mut request = tonic::Request::new(turn(
        "t2",
        2,
        pb::Role::Customer,
        &format!("{CUSTOMER_WORDS}! Connect me to a human agent now"),
    ));
    request
        .metadata_mut()
        .insert("x-request-id", "req-ops-42".parse().unwrap());
    let response = router.process_turn(request).await.unwrap();
    assert_eq!(
        response.metadata().get("x-request-id").unwrap(),
        "req-ops-42"
    );
    let decision = response.into_inner().decision.unwrap();
    assert_eq!(decision.action, pb::Action::Handoff as i32, "{decision:?}");
    let handoff_id = decision.handoff.unwrap().handoff_id;
    // Without one, the server makes one up and still returns it.
    let response = router.get_conversation(conversation()).await.unwrap();
    assert_eq!(
        response.metadata().get("x-request-id").unwrap().len(),
        36,
        "a generated UUID"
    );

    // A consumer group that has the event and has not acknowledged it (nor the update below): backlog 2.
    let mut events = feed
        .subscribe(pb::SubscribeRequest {
            consumer: "cc-router".into(),
            tenant_id: "acme".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let event = events.message().await.unwrap().unwrap();
    assert_eq!(event.handoff_id, handoff_id);
    // The customer writes while waiting: an update of the same handoff, not a second one.
    router
        .process_turn(turn(
            "t3",
            3,
            pb::Role::Customer,
            &format!("Hello? {CUSTOMER_WORDS} is still waiting"),
        ))
        .await
        .unwrap();
    router
        .report_handoff_status(pb::ReportHandoffStatusRequest {
            tenant_id: "acme".into(),
            conversation_id: "ops-1".into(),
            handoff_id: handoff_id.clone(),
            status: pb::HandoffStatus::Accepted as i32,
            ..Default::default()
        })
        .await
        .unwrap();

    let body = tokio::task::block_in_place(|| scrape(&metrics_addr));
    for name in escalation_router::metrics::NAMES {
        assert!(
            body.lines().any(|l| l.starts_with(name)),
            "{name} missing from the scrape:\n{body}"
        );
    }
    assert!(
        body.contains("escalation_turns_total{role=\"customer\",language=\"en\"} 3"),
        "{body}"
    );
    assert!(
        body.contains("escalation_decisions_total{action=\"handoff\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("escalation_handoffs_total{reason=\"explicit_request\",queue=\"default\",priority=\"normal\",language=\"en\",channel=\"webchat\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("escalation_feed_backlog{consumer=\"cc-router\"} 2"),
        "{body}"
    );
    assert!(
        body.contains("escalation_turn_seconds_bucket{rpc=\"ProcessTurn\",le="),
        "{body}"
    );
    assert!(!body.contains("tenant="), "tenant labels are off:\n{body}");
    promtool_check(&body);

    // One INFO line for the handoff, with its ids and the call's request id; one for the status.
    let opened = tokio::task::block_in_place(|| server.wait_for("handoff opened"));
    assert_eq!(opened["level"], "INFO");
    assert_eq!(opened["tenant_id"], "acme");
    assert_eq!(opened["conversation_id"], "ops-1");
    assert_eq!(opened["turn_id"], "t2");
    assert_eq!(opened["handoff_id"], handoff_id.as_str());
    assert_eq!(opened["event_id"], event.event_id.as_str());
    assert_eq!(opened["queue"], "default");
    assert!(
        opened["reasons"]
            .as_str()
            .unwrap()
            .contains("explicit_request"),
        "{opened}"
    );
    assert!(opened["priority"].is_string(), "{opened}");
    let spans = opened["spans"].as_array().unwrap();
    assert!(
        spans.iter().any(|s| s["request_id"] == "req-ops-42"),
        "{opened}"
    );
    let updated = tokio::task::block_in_place(|| server.wait_for("handoff updated"));
    assert_eq!(updated["handoff_id"], handoff_id.as_str());
    assert_eq!(updated["turn_id"], "t3");
    let status = tokio::task::block_in_place(|| server.wait_for("handoff status"));
    assert_eq!(status["handoff_id"], handoff_id.as_str());

    let log = server.log.join("\n");
    assert!(
        !log.contains(CUSTOMER_WORDS),
        "customer text logged:\n{log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log:\n{log}"
    );
}

/// An OTLP/gRPC collector: every export request it receives goes to the channel.
struct Collector(tokio::sync::mpsc::UnboundedSender<ExportTraceServiceRequest>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let _ = self.0.send(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_with_a_traceparent_is_exported_as_a_child_of_the_callers_span_on_shutdown() {
    let (tx, mut exports) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Collector(tx)))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    // The batch exporter waits an hour between sends: only the flush at shutdown can deliver.
    let endpoint = format!("http://{collector}");
    let mut server = tokio::task::block_in_place(|| {
        Server::start_with(&[
            ("ESCALATION__TRACING__OTLP_ENDPOINT", endpoint.as_str()),
            ("ESCALATION__SERVER__DRAIN_SECONDS", "0"),
            ("OTEL_BSP_SCHEDULE_DELAY", "3600000"),
        ])
    });
    let serving = tokio::task::block_in_place(|| server.wait_for("serving"));
    let grpc_addr = serving["addr"].as_str().unwrap().to_string();
    let mut router = EscalationRouterClient::connect(format!("http://{grpc_addr}"))
        .await
        .unwrap();

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let mut request = tonic::Request::new(turn(
        "t1",
        1,
        pb::Role::Customer,
        &format!("{CUSTOMER_WORDS}! Connect me to a human agent now"),
    ));
    let metadata = request.metadata_mut();
    let traceparent = format!("00-{trace_id}-{caller_span}-01");
    metadata.insert("traceparent", traceparent.parse().unwrap());
    metadata.insert("x-request-id", "req-trace-7".parse().unwrap());
    router.process_turn(request).await.unwrap();
    // A call without a traceparent starts a trace of its own.
    router.get_conversation(conversation()).await.unwrap();

    // The call's log lines lead to the trace.
    let opened = tokio::task::block_in_place(|| server.wait_for("handoff opened"));
    let rpc = opened["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "rpc")
        .unwrap_or_else(|| panic!("{opened}"));
    assert_eq!(rpc["trace_id"], trace_id, "{opened}");

    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let exit = tokio::task::block_in_place(|| server.child.wait()).unwrap();
    assert!(exit.success(), "{exit:?}");

    let mut spans = Vec::new();
    while let Ok(export) = exports.try_recv() {
        for resource in export.resource_spans {
            let service = resource
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .map(|a| format!("{:?}", a.value));
            assert!(
                service
                    .as_deref()
                    .is_some_and(|s| s.contains("escalation-router")),
                "{service:?}"
            );
            spans.extend(resource.scope_spans.into_iter().flat_map(|s| s.spans));
        }
    }
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let in_trace: Vec<_> = spans
        .iter()
        .filter(|s| hex(&s.trace_id) == trace_id)
        .collect();
    assert_eq!(in_trace.len(), 1, "one span for the call: {spans:#?}");
    let span = in_trace[0];
    assert_eq!(span.name, "escalation.v1.EscalationRouter/ProcessTurn");
    assert_eq!(hex(&span.parent_span_id), caller_span);
    assert_eq!(span.kind, SpanKind::Server as i32);
    let attribute = |span: &Span, key: &str| {
        span.attributes
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.value.as_ref())
            .and_then(|v| match &v.value {
                Some(any_value::Value::StringValue(s)) => Some(s.clone()),
                Some(any_value::Value::IntValue(i)) => Some(i.to_string()),
                _ => None,
            })
    };
    for (key, value) in [
        ("request_id", "req-trace-7"),
        ("rpc", "/escalation.v1.EscalationRouter/ProcessTurn"),
        ("tenant_id", "acme"),
        ("conversation_id", "ops-1"),
        ("rpc.system", "grpc"),
        ("rpc.service", "escalation.v1.EscalationRouter"),
        ("rpc.method", "ProcessTurn"),
    ] {
        assert_eq!(
            attribute(span, key).as_deref(),
            Some(value),
            "{key}: {span:#?}"
        );
    }
    assert!(
        span.events.is_empty(),
        "log lines stay in the logs: {span:#?}"
    );

    let other = spans
        .iter()
        .find(|s| s.name == "escalation.v1.EscalationRouter/GetConversation")
        .unwrap_or_else(|| panic!("GetConversation's span: {spans:#?}"));
    assert_ne!(hex(&other.trace_id), trace_id);
    assert!(other.parent_span_id.is_empty(), "a root span: {other:#?}");
    assert_eq!(attribute(other, "tenant_id").as_deref(), Some("acme"));

    let exported = format!("{spans:?}");
    assert!(
        !exported.contains(CUSTOMER_WORDS),
        "customer text in a span: {exported}"
    );
    assert!(
        !spans.iter().any(|s| s.name.contains("grpc.health")),
        "health checks are not traced"
    );
}

/// Every metric name in `deploy/grafana/escalation-router.json`'s queries.
fn dashboard_names() -> (Vec<String>, usize) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/grafana/escalation-router.json"
    );
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut names = Vec::new();
    let panels = dashboard["panels"].as_array().expect("panels");
    for panel in panels {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("every target has an expr");
            let mut rest = expr;
            while let Some(i) = rest.find("escalation_") {
                let tail = &rest[i..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                names.push(tail[..end].to_string());
                rest = &tail[end..];
            }
        }
    }
    (names, panels.len())
}

#[test]
fn the_grafana_dashboard_uses_only_exported_metric_names_and_shows_each() {
    let (names, panels) = dashboard_names();
    assert!(panels >= 6, "{panels} panels");
    let exported = escalation_router::metrics::NAMES;
    for name in &names {
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .filter(|b| exported.contains(b))
            .unwrap_or(name);
        assert!(
            exported.contains(&base),
            "the dashboard queries unknown metric {name}"
        );
    }
    for name in exported {
        assert!(
            names.iter().any(|n| n.starts_with(name)),
            "no panel shows {name}"
        );
    }
}
