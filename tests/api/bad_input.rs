//! Every bad input gets its status code naming the field, and changes nothing.

use crate::helpers::*;
use escalation_router::pb;
use tonic::Code;

/// Sends `turn` to a fresh conversation "bad" and checks the code, the field named, and that the
/// conversation still does not exist.
async fn check(turn: pb::Turn, code: Code, field: &str) {
    let mut app = spawn_app().await;
    let err = send(&mut app, turn).await.unwrap_err();
    assert_eq!(err.code(), code, "{}", err.message());
    assert!(
        err.message().contains(field),
        "message {:?} names {field}",
        err.message()
    );
    let state = conversation(&mut app, "bad").await;
    assert_eq!(state.unwrap_err().code(), Code::NotFound, "state unchanged");
}

fn turn() -> pb::Turn {
    customer("bad", "t1", "hello")
}

#[tokio::test]
async fn missing_ids_are_named() {
    check(
        pb::Turn {
            tenant_id: "".into(),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.tenant_id",
    )
    .await;
    check(
        pb::Turn {
            conversation_id: " ".into(),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.conversation_id",
    )
    .await;
    check(
        pb::Turn {
            turn_id: "".into(),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.turn_id",
    )
    .await;
}

#[tokio::test]
async fn a_missing_turn_is_named() {
    let mut app = spawn_app().await;
    let err = app
        .router
        .process_turn(pb::ProcessTurnRequest { turn: None })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("turn"));
}

#[tokio::test]
async fn empty_text_is_rejected() {
    check(
        pb::Turn {
            text: "   ".into(),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.text",
    )
    .await;
}

#[tokio::test]
async fn text_over_the_configured_limit_is_rejected() {
    check(
        pb::Turn {
            text: "a".repeat(16 * 1024 + 1),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.text",
    )
    .await;
}

#[tokio::test]
async fn unknown_enum_values_are_named() {
    check(
        pb::Turn { role: 42, ..turn() },
        Code::InvalidArgument,
        "turn.role",
    )
    .await;
    check(
        pb::Turn { role: 0, ..turn() },
        Code::InvalidArgument,
        "turn.role",
    )
    .await;
    check(
        pb::Turn {
            channel: 99,
            ..turn()
        },
        Code::InvalidArgument,
        "turn.channel",
    )
    .await;
    let customer = pb::CustomerProfile {
        tier: 7,
        ..Default::default()
    };
    check(
        pb::Turn {
            customer: Some(customer),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.customer.tier",
    )
    .await;
}

#[tokio::test]
async fn out_of_range_values_are_named() {
    let nlu = pb::NluResult {
        confidence: Some(1.5),
        ..Default::default()
    };
    check(
        pb::Turn {
            nlu: Some(nlu),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.nlu.confidence",
    )
    .await;
    check(
        pb::Turn {
            sequence: Some(0),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.sequence",
    )
    .await;
    let time = prost_types::Timestamp {
        seconds: 1,
        nanos: -5,
    };
    check(
        pb::Turn {
            time: Some(time),
            ..turn()
        },
        Code::InvalidArgument,
        "turn.time",
    )
    .await;
}

#[tokio::test]
async fn a_message_over_the_grpc_size_limit_is_resource_exhausted() {
    let mut config = test_config();
    config.server.max_message_bytes = 64 * 1024;
    let mut app = spawn_app_with(config).await;
    let err = send(
        &mut app,
        pb::Turn {
            text: "a".repeat(100 * 1024),
            ..turn()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert_eq!(
        conversation(&mut app, "bad").await.unwrap_err().code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn feed_and_report_calls_name_their_bad_fields() {
    let mut app = spawn_app().await;
    let err = app
        .feed
        .subscribe(pb::SubscribeRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("consumer"));
    let err = app
        .feed
        .ack(pb::AckRequest {
            consumer: "c".into(),
            event_ids: vec![],
        })
        .await
        .unwrap_err();
    assert!(err.message().contains("event_ids"));
    let err = app
        .router
        .report_handoff_status(pb::ReportHandoffStatusRequest {
            tenant_id: "acme".into(),
            conversation_id: "c".into(),
            handoff_id: "h".into(),
            status: 0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("status"));
}
