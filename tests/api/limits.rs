//! Limits that hold at the edge: undecodable messages, bounded fields, clock skew, bounded streams,
//! and the shutdown sequence (drain, streams ending UNAVAILABLE, health watches not holding exit).

use crate::helpers::*;
use bytes::{Buf, BufMut};
use escalation_router::pb;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::{Code, Request, Status};

const WAIT: Duration = Duration::from_secs(5);

/// Sends and receives raw bytes as gRPC messages, to put what no proto encoder writes on the wire.
#[derive(Clone, Copy, Default)]
struct Raw;

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

/// `ProcessTurnRequest { turn: Turn { tenant_id: <0xFF 0xFE> } }`: a string that is not UTF-8.
const NOT_UTF8: &[u8] = &[0x0A, 0x04, 0x0A, 0x02, 0xFF, 0xFE];
/// `turn` claims 16 bytes and has 2.
const TRUNCATED: &[u8] = &[0x0A, 0x10, 0x0A, 0x02];

async fn raw_unary(app: &App, path: &'static str, body: &[u8]) -> Status {
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    grpc.ready().await.unwrap();
    grpc.unary(
        Request::new(body.to_vec()),
        PathAndQuery::from_static(path),
        Raw,
    )
    .await
    .expect_err("an undecodable message is refused")
}

#[tokio::test]
async fn undecodable_messages_are_invalid_argument_not_internal() {
    let app = spawn_app().await;
    for body in [NOT_UTF8, TRUNCATED] {
        for path in [
            "/escalation.v1.EscalationRouter/ProcessTurn",
            "/escalation.v1.EscalationRouter/GetConversation",
            "/escalation.v1.HandoffFeed/Subscribe",
        ] {
            let status = raw_unary(&app, path, body).await;
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "{path} {body:?}: {status:?}"
            );
        }
    }
    // On StreamTurns the stream ends with it, after answering the good turn before it.
    let good = prost::Message::encode_to_vec(&pb::ProcessTurnRequest {
        turn: Some(customer("u1", "t1", "hello")),
    });
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    grpc.ready().await.unwrap();
    let outbound = tokio_stream::iter(vec![good, NOT_UTF8.to_vec()]);
    let mut responses = grpc
        .streaming(
            Request::new(outbound),
            PathAndQuery::from_static("/escalation.v1.EscalationRouter/StreamTurns"),
            Raw,
        )
        .await
        .unwrap()
        .into_inner();
    let first = responses
        .message()
        .await
        .unwrap()
        .expect("the good turn is answered");
    let first: pb::StreamTurnsResponse = prost::Message::decode(&first[..]).unwrap();
    assert!(matches!(
        first.result,
        Some(pb::stream_turns_response::Result::Decision(_))
    ));
    let end = responses
        .message()
        .await
        .expect_err("the stream ends with an error");
    assert_eq!(end.code(), Code::InvalidArgument, "{end:?}");
}

fn turn_with(edit: impl FnOnce(&mut pb::Turn)) -> pb::Turn {
    let mut t = customer("f1", "t1", "I want to talk to a human");
    edit(&mut t);
    t
}

#[tokio::test]
async fn every_string_map_and_list_of_a_turn_is_bounded_naming_the_field() {
    let mut app = spawn_app().await;
    let mut feed = subscribe(&mut app, "router").await;
    let big = "x".repeat(3 * 1024 * 1024);
    let long = "x".repeat(257);
    let cases: Vec<(&str, pb::Turn)> = vec![
        (
            "turn.nlu.intent",
            turn_with(|t| {
                t.nlu = Some(pb::NluResult {
                    intent: big.clone(),
                    ..Default::default()
                })
            }),
        ),
        ("turn.language", turn_with(|t| t.language = long.clone())),
        (
            "turn.bot.action",
            turn_with(|t| {
                t.bot = Some(pb::BotTurnFacts {
                    action: long.clone(),
                    ..Default::default()
                })
            }),
        ),
        (
            "turn.customer.customer_id",
            turn_with(|t| {
                t.customer = Some(pb::CustomerProfile {
                    customer_id: long.clone(),
                    ..Default::default()
                })
            }),
        ),
        (
            "turn.customer.attributes",
            turn_with(|t| {
                t.customer = Some(pb::CustomerProfile {
                    attributes: [("plan".to_string(), "y".repeat(1025))].into(),
                    ..Default::default()
                })
            }),
        ),
        (
            "turn.metadata",
            turn_with(|t| {
                t.metadata = (0..33)
                    .map(|i| (format!("k{i}"), "v".to_string()))
                    .collect()
            }),
        ),
        (
            "turn.nlu.entities",
            turn_with(|t| {
                t.nlu = Some(pb::NluResult {
                    entities: (0..33)
                        .map(|i| pb::Entity {
                            name: format!("e{i}"),
                            value: "v".into(),
                        })
                        .collect(),
                    ..Default::default()
                })
            }),
        ),
    ];
    for (field, turn) in cases {
        let status = send(&mut app, turn).await.expect_err(field);
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(
            status.message().starts_with(field),
            "{field}: {}",
            status.message()
        );
    }
    assert_eq!(
        conversation(&mut app, "f1").await.unwrap_err().code(),
        Code::NotFound,
        "nothing was committed"
    );
    // The feed goes on: the next handoff reaches the subscriber.
    let d = send(&mut app, customer("f2", "t1", "I want to talk to a human"))
        .await
        .unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);
    let ev = next_event(&mut feed, WAIT).await.expect("delivered");
    assert_eq!(ev.conversation_id, "f2");
}

#[tokio::test]
async fn a_turn_time_far_from_the_server_clock_is_refused() {
    let mut app = spawn_app().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let at = |seconds: i64| Some(prost_types::Timestamp { seconds, nanos: 0 });
    for (id, seconds) in [("s1", now - 2 * 86_400), ("s2", now + 2 * 86_400)] {
        let status = send(
            &mut app,
            turn_with(|t| {
                t.conversation_id = id.into();
                t.time = at(seconds);
            }),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("turn.time"), "{status:?}");
        assert!(
            status.message().contains("max_clock_skew_seconds"),
            "{status:?}"
        );
    }
    send(&mut app, turn_with(|t| t.time = at(now - 3600)))
        .await
        .expect("an hour off is fine");
}

#[tokio::test]
async fn a_principal_holds_a_bounded_number_of_streams_and_a_closed_one_frees_its_slot() {
    let mut config = test_config();
    config.limits.max_streams_per_principal = 2;
    let mut app = spawn_app_with(config).await;
    let a = subscribe(&mut app, "a").await;
    let (_tx, rx) = tokio::sync::mpsc::channel::<pb::ProcessTurnRequest>(1);
    let b = app
        .router
        .stream_turns(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap();
    let third = app
        .feed
        .subscribe(pb::SubscribeRequest {
            consumer: "c".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(third.unwrap_err().code(), Code::ResourceExhausted);
    drop(a);
    drop(b);
    let mut opened = false;
    for _ in 0..100 {
        let r = app
            .feed
            .subscribe(pb::SubscribeRequest {
                consumer: "c".into(),
                ..Default::default()
            })
            .await;
        if r.is_ok() {
            opened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(opened, "closing streams frees their slots");
}

#[tokio::test]
async fn stream_turns_stops_reading_while_its_answers_are_unread_and_loses_none() {
    let mut config = test_config();
    config.limits.max_pending_turns_per_stream = 4;
    let app = spawn_app_with(config).await;
    // A client with a small receive window, so unread answers hold up the server quickly.
    let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{}", app.addr))
        .unwrap()
        .initial_stream_window_size(Some(1024))
        .initial_connection_window_size(Some(1024));
    let channel = endpoint.connect().await.unwrap();
    let mut client = pb::escalation_router_client::EscalationRouterClient::new(channel);
    const N: u64 = 200;
    let turns = (1..=N).map(|n| pb::ProcessTurnRequest {
        turn: Some(pb::Turn {
            sequence: Some(n),
            ..customer("b1", &format!("t{n}"), "where is my parcel")
        }),
    });
    let mut responses = client
        .stream_turns(tokio_stream::iter(turns))
        .await
        .unwrap()
        .into_inner();
    // Without reading, the server processes a bounded number of turns and then waits.
    let mut app = app;
    let mut last = 0;
    let mut stable = 0;
    while stable < 10 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let count = conversation(&mut app, "b1")
            .await
            .map(|c| c.turn_count)
            .unwrap_or(0);
        if count == last {
            stable += 1;
        } else {
            (last, stable) = (count, 0);
        }
    }
    assert!(
        last < N / 2,
        "{last} of {N} turns processed while none was read"
    );
    // Reading resumes everything; every turn is answered, in order.
    let mut answered = Vec::new();
    while let Some(r) = responses.message().await.unwrap() {
        assert!(
            matches!(
                r.result,
                Some(pb::stream_turns_response::Result::Decision(_))
            ),
            "{r:?}"
        );
        answered.push(r.turn_id);
    }
    let expected: Vec<String> = (1..=N).map(|n| format!("t{n}")).collect();
    assert_eq!(answered, expected);
}

#[tokio::test]
async fn on_shutdown_health_goes_not_serving_first_streams_end_unavailable_and_watches_do_not_hold_exit()
 {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let mut config = test_config();
    config.server.drain_seconds = 2;
    config.server.grace_seconds = 120;
    let mut app = spawn_app_with(config).await;
    let mut health = HealthClient::new(app.channel.clone());
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );
    // A stream with one answered turn that the client keeps open.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut responses = app
        .router
        .stream_turns(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    tx.send(pb::ProcessTurnRequest {
        turn: Some(customer("d1", "t1", "hello")),
    })
    .await
    .unwrap();
    responses.message().await.unwrap().expect("answered");

    app.shutdown();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status,
        ServingStatus::NotServing as i32,
        "health goes NOT_SERVING first"
    );
    // Still serving during the drain.
    send(&mut app, customer("d2", "t1", "hello"))
        .await
        .expect("served during the drain");
    let end = responses.message().await;
    assert_eq!(
        end.expect_err("the stream never ends OK on shutdown")
            .code(),
        Code::Unavailable
    );
    // The open watch ends too, and the server exits long before the 120 s grace.
    let rest: Vec<_> = (&mut watch).collect::<Vec<_>>().await;
    assert!(rest.iter().all(|r| r.is_ok()), "{rest:?}");
    let server = app.server.take().unwrap();
    let exited = tokio::time::timeout(Duration::from_secs(60), server).await;
    assert!(exited.is_ok(), "an open health watch held the exit");
    drop(tx);
}

#[tokio::test]
async fn a_handoff_after_a_long_conversation_carries_a_bounded_context_with_a_marker() {
    let mut config = test_config();
    config.limits.history_turns = 200;
    let mut app = spawn_app_with(config).await;
    let mut feed = subscribe(&mut app, "router").await;
    for i in 1..=100u64 {
        let text: Vec<String> = (0..1500).map(|j| format!("w{i}x{j}")).collect();
        let turn = pb::Turn {
            sequence: Some(i),
            ..customer("long", &format!("t{i}"), &text.join(" "))
        };
        let d = send(&mut app, turn).await.unwrap();
        assert_eq!(action(&d), pb::Action::Continue, "turn {i}");
    }
    let turn = pb::Turn {
        sequence: Some(101),
        ..customer("long", "t101", "I want to talk to a human")
    };
    assert_eq!(
        action(&send(&mut app, turn).await.unwrap()),
        pb::Action::Handoff
    );
    let ev = next_event(&mut feed, WAIT)
        .await
        .expect("the handoff is delivered");
    let context = ev.context.unwrap();
    assert!(prost::Message::encoded_len(&context) <= 1024 * 1024);
    let ids: Vec<&str> = context
        .transcript
        .iter()
        .map(|t| t.turn_id.as_str())
        .collect();
    assert_eq!(ids.first(), Some(&"t1"), "the first turn stays");
    assert_eq!(ids.last(), Some(&"t101"), "the latest turn stays");
    let marker = context
        .transcript
        .iter()
        .find(|t| t.text.contains("turns left out"))
        .expect("a marker where the middle was");
    assert_eq!(marker.role, pb::Role::System as i32);
}

#[tokio::test]
async fn a_status_report_repeated_after_a_crash_succeeds_and_changes_nothing() {
    let mut app = spawn_app().await;
    let d = send(&mut app, customer("rep", "t1", "I want to talk to a human"))
        .await
        .unwrap();
    let handoff_id = d.handoff.unwrap().handoff_id;
    let report = |status: pb::HandoffStatus| pb::ReportHandoffStatusRequest {
        tenant_id: "acme".into(),
        conversation_id: "rep".into(),
        handoff_id: handoff_id.clone(),
        status: status as i32,
        ..Default::default()
    };
    for status in [pb::HandoffStatus::Accepted, pb::HandoffStatus::Completed] {
        for _ in 0..2 {
            app.router
                .report_handoff_status(report(status))
                .await
                .unwrap_or_else(|e| panic!("{status:?} (repeated): {e:?}"));
        }
    }
    let before = conversation(&mut app, "rep").await.unwrap();
    assert_eq!(before.ownership, pb::Ownership::Bot as i32);
    app.router
        .report_handoff_status(report(pb::HandoffStatus::Completed))
        .await
        .unwrap();
    assert_eq!(conversation(&mut app, "rep").await.unwrap(), before);
    // A different status for the closed handoff is still refused.
    let other = app
        .router
        .report_handoff_status(report(pb::HandoffStatus::Failed))
        .await;
    assert_eq!(other.unwrap_err().code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn over_the_admission_limit_calls_are_shed_at_once_and_health_still_answers() {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let mut config = test_config();
    config.server.max_in_flight = 0;
    let mut app = spawn_app_with(config).await;
    let before = shed_total();
    let status = send(&mut app, customer("o1", "t1", "hello"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let details = tonic_types::StatusExt::get_error_details(&status);
    assert!(
        details.retry_info().is_some(),
        "a RetryInfo says when to retry"
    );
    assert!(shed_total() > before, "escalation_shed_total counts it");
    let health = HealthClient::new(app.channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);
}

#[tokio::test]
async fn a_burst_over_the_admission_limit_is_answered_or_shed_and_the_server_recovers() {
    let mut config = test_config();
    config.server.max_in_flight = 4;
    let mut app = spawn_app_with(config).await;
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..200 {
        let mut router = app.router.clone();
        calls.spawn(async move {
            router
                .process_turn(pb::ProcessTurnRequest {
                    turn: Some(customer(&format!("burst{i}"), "t1", "where is my parcel")),
                })
                .await
                .map(|_| ())
        });
    }
    let (mut ok, mut shed) = (0, 0);
    while let Some(r) = calls.join_next().await {
        match r.unwrap() {
            Ok(()) => ok += 1,
            Err(s) if s.code() == Code::Unavailable => shed += 1,
            Err(s) => panic!("neither answered nor shed: {s:?}"),
        }
    }
    assert_eq!(ok + shed, 200);
    assert!(ok > 0);
    send(&mut app, customer("after", "t1", "hello"))
        .await
        .expect("served after the burst");
}

/// `escalation_shed_total` as the process's Prometheus recorder renders it (installed here if no
/// test has yet; every server in this test binary records into it).
fn shed_total() -> u64 {
    let handle =
        escalation_router::metrics::install(&escalation_router::config::MetricsConfig::default())
            .unwrap();
    handle
        .render()
        .lines()
        .find_map(|l| l.strip_prefix("escalation_shed_total "))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn a_connection_over_its_share_is_shed_with_unavailable_and_retry_info() {
    let mut config = test_config();
    config.server.concurrency_per_connection = 1;
    let mut app = spawn_app_with(config).await;
    // A ProcessTurn whose message never comes holds the connection's one place.
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    grpc.ready().await.unwrap();
    let never = tokio_stream::pending::<Vec<u8>>();
    let held = tokio::spawn(async move {
        grpc.client_streaming(
            Request::new(never),
            PathAndQuery::from_static("/escalation.v1.EscalationRouter/ProcessTurn"),
            Raw,
        )
        .await
    });
    let before = shed_total();
    // Until the held call has arrived a turn may still get the place; from then on every call on
    // this connection is shed.
    let mut shed = None;
    for i in 0..10_000 {
        match send(&mut app, customer(&format!("c{i}"), "t1", "hello")).await {
            Ok(_) => continue,
            Err(status) => {
                shed = Some(status);
                break;
            }
        }
    }
    let status = shed.expect("a call on the full connection is shed");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        tonic_types::StatusExt::get_details_retry_info(&status).is_some(),
        "{status:?}"
    );
    assert!(shed_total() > before, "escalation_shed_total counts it");
    // Another connection is not held back by this one.
    let mut other = escalation_router::pb::escalation_router_client::EscalationRouterClient::new(
        connect(app.addr).await,
    );
    other
        .process_turn(pb::ProcessTurnRequest {
            turn: Some(customer("other", "t1", "hello")),
        })
        .await
        .expect("another connection is served");
    held.abort();
}

#[tokio::test]
async fn a_status_report_repeated_to_a_restarted_server_succeeds_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.store.url = format!("sqlite://{}", dir.path().join("e.db").display());
    let mut app = spawn_app_with(config.clone()).await;
    let d = send(&mut app, customer("rs", "t1", "I want to talk to a human"))
        .await
        .unwrap();
    let report = pb::ReportHandoffStatusRequest {
        tenant_id: "acme".into(),
        conversation_id: "rs".into(),
        handoff_id: d.handoff.unwrap().handoff_id,
        status: pb::HandoffStatus::Completed as i32,
        ..Default::default()
    };
    let accepted = pb::ReportHandoffStatusRequest {
        status: pb::HandoffStatus::Accepted as i32,
        ..report.clone()
    };
    app.router.report_handoff_status(accepted).await.unwrap();
    app.router
        .report_handoff_status(report.clone())
        .await
        .unwrap();
    let before = conversation(&mut app, "rs").await.unwrap();
    // The router crashed before it saw the answer; meanwhile the server restarted too.
    app.shutdown();
    app.server.take().unwrap().await.unwrap().unwrap();
    let mut app = spawn_app_with(config).await;
    app.router
        .report_handoff_status(report)
        .await
        .expect("the repeated report succeeds");
    assert_eq!(conversation(&mut app, "rs").await.unwrap(), before);
}
