//! The handoff context over gRPC: metadata merged over the turns, the full context in
//! `GetConversation`, and what the customer writes while waiting published as an update.

use super::helpers::*;
use escalation_router::pb;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn with_metadata(mut turn: pb::Turn, pairs: &[(&str, &str)]) -> pb::Turn {
    turn.metadata = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    turn
}

async fn ack(app: &mut App, consumer: &str, event: &pb::HandoffEvent) {
    app.feed
        .ack(pb::AckRequest {
            consumer: consumer.into(),
            event_ids: vec![event.event_id.clone()],
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_open_handoff_carries_its_full_context_and_grows_while_the_customer_waits() {
    waiting_customer(test_config()).await;
}

#[tokio::test]
async fn the_same_holds_on_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.store.url = format!("sqlite://{}", dir.path().join("h.db").display());
    waiting_customer(config).await;
}

async fn waiting_customer(config: escalation_router::config::Config) {
    let mut app = spawn_app_with(config).await;
    let mut feed = subscribe(&mut app, "router").await;
    let t1 = customer("w", "t1", "My parcel never arrived, order 4711-2231.");
    send(
        &mut app,
        with_metadata(t1, &[("page", "/orders"), ("step", "1")]),
    )
    .await
    .unwrap();
    let t2 = customer("w", "t2", "I want to talk to a human now");
    let d = send(&mut app, with_metadata(t2, &[("step", "2")]))
        .await
        .unwrap();
    let handoff_id = d.handoff.expect("handoff opened").handoff_id;

    let opened = next_event(&mut feed, WAIT).await.expect("opened event");
    assert_eq!(opened.kind, pb::HandoffEventKind::Opened as i32);
    let context = opened.context.clone().unwrap();
    assert_eq!(
        context.metadata,
        [("page", "/orders"), ("step", "2")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into(),
        "merged over the turns, the later value wins"
    );
    let open = conversation(&mut app, "w")
        .await
        .unwrap()
        .open_handoff
        .unwrap();
    assert_eq!(open.handoff_id, handoff_id);
    assert_eq!(open.context.as_ref(), Some(&context), "the full context");
    ack(&mut app, "router", &opened).await;

    // The customer writes while waiting: appended, and published for the same handoff.
    let d = send(
        &mut app,
        customer("w", "t3", "Also, my phone is 0170 1234567"),
    )
    .await
    .unwrap();
    assert_eq!(action(&d), pb::Action::StaySilent);
    let updated = next_event(&mut feed, WAIT).await.expect("update event");
    assert_eq!(updated.kind, pb::HandoffEventKind::Updated as i32);
    assert_eq!(updated.handoff_id, handoff_id);
    assert_ne!(updated.event_id, opened.event_id);
    let grown = updated.context.clone().unwrap();
    assert_eq!(grown.waiting_turn_ids, vec!["t3"]);
    let last = grown.transcript.last().unwrap();
    assert_eq!(
        (last.turn_id.as_str(), last.text.as_str()),
        ("t3", "Also, my phone is [phone]")
    );
    assert!(grown.entities.iter().any(|e| e.kind == "phone"));
    assert_eq!(
        grown.summary, context.summary,
        "the summary is the handoff's"
    );
    let open = conversation(&mut app, "w")
        .await
        .unwrap()
        .open_handoff
        .unwrap();
    assert_eq!(open.context.as_ref(), Some(&grown));
    ack(&mut app, "router", &updated).await;

    // Once an agent has it, the agent sees the customer directly: no more updates. The next event
    // on the feed is another conversation's handoff.
    app.router
        .report_handoff_status(pb::ReportHandoffStatusRequest {
            tenant_id: "acme".into(),
            conversation_id: "w".into(),
            handoff_id: handoff_id.clone(),
            status: pb::HandoffStatus::Accepted as i32,
            detail: String::new(),
        })
        .await
        .unwrap();
    send(&mut app, customer("w", "t4", "Hello? Anyone there?"))
        .await
        .unwrap();
    send(
        &mut app,
        customer("x", "t1", "I want to talk to a human now"),
    )
    .await
    .unwrap();
    let next = next_event(&mut feed, WAIT).await.expect("next event");
    assert_eq!(next.conversation_id, "x");

    let quality = app
        .router
        .get_decision_quality(pb::GetDecisionQualityRequest {
            tenant_id: "acme".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let handoffs: u64 = quality.rows.iter().map(|r| r.handoffs).sum();
    assert_eq!(handoffs, 2, "an update is not another handoff");
}
