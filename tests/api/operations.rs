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
