//! What integrators get beyond the decisions: reflection in both versions, machine-readable error
//! details, request ids.

use crate::helpers::*;
use escalation_router::pb;
use tonic::Code;
use tonic_types::StatusExt;

async fn list_services_v1alpha(app: &App) -> Result<Vec<String>, tonic::Status> {
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut client = ServerReflectionClient::new(app.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut out = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await?
        .into_inner();
    let msg = out.message().await?.unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
        panic!("unexpected reflection answer");
    };
    Ok(list.service.into_iter().map(|s| s.name).collect())
}

#[tokio::test]
async fn older_clients_find_the_services_through_reflection_v1alpha() {
    let app = spawn_app().await;
    let names = list_services_v1alpha(&app).await.unwrap();
    assert!(
        names.contains(&"escalation.v1.EscalationRouter".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_string()),
        "{names:?}"
    );
}

#[tokio::test]
async fn reflection_can_be_switched_off() {
    let mut config = test_config();
    config.server.reflection = false;
    let app = spawn_app_with(config).await;
    let err = list_services_v1alpha(&app).await.unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented, "{err:?}");
}

#[tokio::test]
async fn invalid_argument_carries_a_bad_request_field_violation() {
    let mut app = spawn_app().await;
    let err = send(&mut app, customer("c", "t1", "")).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let bad = err.get_details_bad_request().expect("BadRequest details");
    assert_eq!(bad.field_violations.len(), 1, "{bad:?}");
    assert_eq!(bad.field_violations[0].field, "turn.text");
    assert_eq!(bad.field_violations[0].description, "is empty");
}

#[tokio::test]
async fn a_sequence_gap_carries_the_expected_sequence_in_error_info() {
    let mut app = spawn_app().await;
    let turn = pb::Turn {
        sequence: Some(4),
        ..customer("gap", "t4", "hello")
    };
    let err = send(&mut app, turn).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    let info = err.get_details_error_info().expect("ErrorInfo details");
    assert_eq!(info.reason, "SEQUENCE_GAP");
    assert_eq!(info.domain, "escalation.v1");
    assert_eq!(
        info.metadata.get("expected_sequence").map(String::as_str),
        Some("1")
    );
    assert_eq!(info.metadata.get("sequence").map(String::as_str), Some("4"));
}

#[test]
fn a_shed_call_carries_retry_info() {
    let status = escalation_router::grpc::error::shed(
        Code::ResourceExhausted,
        "server at its admission limit",
        std::time::Duration::from_millis(250),
    );
    assert_eq!(status.code(), Code::ResourceExhausted);
    let retry = status.get_details_retry_info().expect("RetryInfo details");
    assert_eq!(
        retry.retry_delay,
        Some(std::time::Duration::from_millis(250))
    );
}

#[tokio::test]
async fn a_request_id_is_echoed_and_one_is_made_when_missing() {
    let mut app = spawn_app().await;
    let mut req = tonic::Request::new(pb::ProcessTurnRequest {
        turn: Some(customer("rid", "t1", "hello")),
    });
    req.metadata_mut()
        .insert("x-request-id", "abc-123".parse().unwrap());
    let resp = app.router.process_turn(req).await.unwrap();
    assert_eq!(resp.metadata().get("x-request-id").unwrap(), "abc-123");
    // Errors carry it too.
    let err = send(&mut app, customer("rid", "t2", "")).await.unwrap_err();
    let made = err.metadata().get("x-request-id").expect("a generated id");
    assert_eq!(made.len(), 36);
}

/// Opens a handoff in a conversation of `language` on `channel` and reports a NEEDED outcome.
async fn handoff_with_outcome(app: &mut App, conversation: &str, text: &str, channel: pb::Channel) {
    let turn = pb::Turn {
        channel: channel as i32,
        ..customer(conversation, "t1", text)
    };
    let d = send(app, turn).await.unwrap();
    assert_eq!(action(&d), pb::Action::Handoff, "{d:?}");
    app.router
        .report_outcome(pb::ReportOutcomeRequest {
            tenant_id: "acme".into(),
            conversation_id: conversation.into(),
            handoff_id: d.handoff.unwrap().handoff_id,
            resolved: true,
            satisfaction: 4,
            verdict: pb::Verdict::Needed as i32,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn an_outcome_for_an_unknown_handoff_is_not_found_and_a_repeat_replaces_the_first() {
    let mut app = spawn_app().await;
    let d = send(&mut app, customer("oc", "t1", "I want to talk to a human"))
        .await
        .unwrap();
    let handoff_id = d.handoff.expect("a handoff").handoff_id;
    let report = |handoff_id: &str, tenant: &str, verdict: pb::Verdict| pb::ReportOutcomeRequest {
        tenant_id: tenant.into(),
        conversation_id: "oc".into(),
        handoff_id: handoff_id.into(),
        resolved: true,
        satisfaction: 4,
        verdict: verdict as i32,
    };
    let unknown = app
        .router
        .report_outcome(report("h-none", "acme", pb::Verdict::Needed))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");
    assert_eq!(
        unknown.get_details_error_info().unwrap().reason,
        "HANDOFF_NOT_FOUND"
    );
    // The handoff exists only in its own tenant.
    let foreign = app
        .router
        .report_outcome(report(&handoff_id, "globex", pb::Verdict::Needed))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::NotFound, "{foreign:?}");
    let none = quality_rows(&app).await;
    for verdict in [
        pb::Verdict::Needed,
        pb::Verdict::Needed,
        pb::Verdict::NotNeeded,
    ] {
        app.router
            .report_outcome(report(&handoff_id, "acme", verdict))
            .await
            .unwrap();
    }
    let rows = quality_rows(&app).await;
    assert_ne!(rows, none);
    let outcomes: u64 = rows.iter().map(|r| r.outcomes).sum();
    let needed: u64 = rows.iter().map(|r| r.verdict_needed).sum();
    let not_needed: u64 = rows.iter().map(|r| r.verdict_not_needed).sum();
    assert_eq!((outcomes, needed, not_needed), (1, 0, 1), "{rows:?}");
}

#[tokio::test]
async fn decision_quality_is_also_grouped_by_language_channel_and_queue() {
    let mut app = spawn_app().await;
    handoff_with_outcome(
        &mut app,
        "q1",
        "I want to talk to a human agent",
        pb::Channel::Webchat,
    )
    .await;
    handoff_with_outcome(
        &mut app,
        "q2",
        "Ich will mit einem Menschen sprechen",
        pb::Channel::Voice,
    )
    .await;
    handoff_with_outcome(
        &mut app,
        "q3",
        "Verbinden Sie mich mit einem Mitarbeiter",
        pb::Channel::Voice,
    )
    .await;
    let quality = |group_by: pb::QualityDimension| pb::GetDecisionQualityRequest {
        tenant_id: "acme".into(),
        group_by: group_by as i32,
    };
    let rows = |r: pb::GetDecisionQualityResponse| r.rows;

    let by_language = rows(
        app.router
            .get_decision_quality(quality(pb::QualityDimension::Language))
            .await
            .unwrap()
            .into_inner(),
    );
    let summary: Vec<(&str, u64, f64)> = by_language
        .iter()
        .map(|r| (r.language.as_str(), r.handoffs, r.precision))
        .collect();
    assert_eq!(summary, [("de", 2, 1.0), ("en", 1, 1.0)]);
    assert!(
        by_language
            .iter()
            .all(|r| r.reason == pb::ReasonCode::Unspecified as i32)
    );

    let by_channel = rows(
        app.router
            .get_decision_quality(quality(pb::QualityDimension::Channel))
            .await
            .unwrap()
            .into_inner(),
    );
    let summary: Vec<(i32, u64)> = by_channel.iter().map(|r| (r.channel, r.handoffs)).collect();
    assert_eq!(
        summary,
        [
            (pb::Channel::Voice as i32, 2),
            (pb::Channel::Webchat as i32, 1)
        ]
    );

    let by_queue = rows(
        app.router
            .get_decision_quality(quality(pb::QualityDimension::Queue))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(by_queue.len(), 1);
    assert_eq!(
        (by_queue[0].queue.as_str(), by_queue[0].handoffs),
        ("default", 3)
    );

    // Unspecified is by reason, as before the field existed.
    let by_reason = rows(
        app.router
            .get_decision_quality(quality(pb::QualityDimension::Unspecified))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(by_reason.len(), 1);
    assert_eq!(by_reason[0].reason, pb::ReasonCode::ExplicitRequest as i32);
    assert_eq!(by_reason[0].mean_satisfaction, 4.0);

    let err = app
        .router
        .get_decision_quality(pb::GetDecisionQualityRequest {
            tenant_id: "acme".into(),
            group_by: 99,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("group_by"), "{err:?}");
}
