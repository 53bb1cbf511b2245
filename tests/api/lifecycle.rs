//! Ownership follows the router's reports; health follows the server's life.

use crate::helpers::*;
use escalation_router::pb;
use std::time::Duration;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

async fn report(
    app: &mut App,
    conv: &str,
    handoff_id: &str,
    status: pb::HandoffStatus,
) -> Result<pb::Ownership, tonic::Status> {
    app.router
        .report_handoff_status(pb::ReportHandoffStatusRequest {
            tenant_id: "acme".into(),
            conversation_id: conv.into(),
            handoff_id: handoff_id.into(),
            status: status as i32,
            detail: String::new(),
        })
        .await
        .map(|r| pb::Ownership::try_from(r.into_inner().ownership).unwrap())
}

#[tokio::test]
async fn ownership_goes_bot_pending_agent_bot_and_the_bot_stays_silent_while_an_agent_owns_it() {
    let mut app = spawn_app().await;
    let d = send(&mut app, customer("o", "t1", "human please"))
        .await
        .unwrap();
    let id = d.handoff.unwrap().handoff_id;
    assert_eq!(
        pb::Ownership::try_from(d.ownership).unwrap(),
        pb::Ownership::PendingHandoff
    );
    assert_eq!(
        report(&mut app, "o", &id, pb::HandoffStatus::Accepted)
            .await
            .unwrap(),
        pb::Ownership::Agent
    );
    let d = send(&mut app, customer("o", "t2", "hello?")).await.unwrap();
    assert_eq!(action(&d), pb::Action::StaySilent);
    assert!(!d.bot_should_respond);
    assert_eq!(
        report(&mut app, "o", &id, pb::HandoffStatus::Returned)
            .await
            .unwrap(),
        pb::Ownership::Bot
    );
    let d = send(
        &mut app,
        customer("o", "t3", "what are your opening hours?"),
    )
    .await
    .unwrap();
    assert_eq!(action(&d), pb::Action::Continue);
    assert!(d.bot_should_respond);
    let state = conversation(&mut app, "o").await.unwrap();
    assert_eq!(
        pb::Ownership::try_from(state.ownership).unwrap(),
        pb::Ownership::Bot
    );
    assert!(state.open_handoff.is_none());
    assert_eq!(state.turn_count, 3);
}

#[tokio::test]
async fn a_failed_handoff_returns_the_conversation_to_the_bot() {
    let mut app = spawn_app().await;
    let d = send(&mut app, customer("f", "t1", "agent")).await.unwrap();
    let id = d.handoff.unwrap().handoff_id;
    assert_eq!(
        report(&mut app, "f", &id, pb::HandoffStatus::Failed)
            .await
            .unwrap(),
        pb::Ownership::Bot
    );
}

#[tokio::test]
async fn reports_for_a_handoff_that_is_not_open_are_refused() {
    let mut app = spawn_app().await;
    send(&mut app, customer("n", "t1", "hello")).await.unwrap();
    let err = report(&mut app, "n", "nope", pb::HandoffStatus::Accepted)
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::FailedPrecondition);
    let err = report(&mut app, "missing", "nope", pb::HandoffStatus::Accepted)
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let d = send(&mut app, customer("n2", "t1", "agent")).await.unwrap();
    let id = d.handoff.unwrap().handoff_id;
    let err = report(&mut app, "n2", &id, pb::HandoffStatus::Completed)
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        tonic::Code::FailedPrecondition,
        "completed before accepted"
    );
}

#[tokio::test]
async fn health_reports_serving_then_not_serving_on_shutdown() {
    let mut app = spawn_app().await;
    let mut health = HealthClient::new(app.channel.clone());
    let status = health
        .check(HealthCheckRequest {
            service: "escalation.v1.EscalationRouter".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
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
    app.shutdown();
    let next = tokio::time::timeout(Duration::from_secs(5), watch.message())
        .await
        .expect("status changes");
    assert_eq!(
        next.unwrap().unwrap().status,
        ServingStatus::NotServing as i32
    );
    let server = app.server.take().unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server exits within the grace period")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn reflection_lists_the_services() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let app = spawn_app().await;
    let mut client = ServerReflectionClient::new(app.channel.clone());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut out = client
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let msg = out.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"escalation.v1.EscalationRouter".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"escalation.v1.HandoffFeed".to_string()));
}

#[tokio::test]
async fn get_conversation_masks_personal_data_by_default() {
    let mut app = spawn_app().await;
    send(
        &mut app,
        customer(
            "p",
            "t1",
            "my e-mail is jane.doe@example.com, please write to me",
        ),
    )
    .await
    .unwrap();
    let state = conversation(&mut app, "p").await.unwrap();
    let text = &state.recent_turns[0].text;
    assert!(!text.contains("jane.doe@example.com"), "{text}");
    assert!(text.contains("please write to me"), "{text}");
}
