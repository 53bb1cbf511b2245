//! The handoff feed: at-least-once delivery, redelivery after reconnecting, consumer groups, acks.

use crate::helpers::*;
use escalation_router::pb;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
const SHORT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn an_unacknowledged_event_is_redelivered_after_the_consumer_reconnects() {
    let mut app = spawn_app().await;
    let mut stream = subscribe(&mut app, "router").await;
    send(&mut app, customer("r1", "t1", "operator please"))
        .await
        .unwrap();
    let first = next_event(&mut stream, WAIT).await.expect("delivered");
    assert_eq!(first.redeliveries, 0);
    drop(stream);
    let mut stream = subscribe(&mut app, "router").await;
    let again = next_event(&mut stream, WAIT).await.expect("redelivered");
    assert_eq!(again.event_id, first.event_id);
    assert_eq!(again.redeliveries, 1);
    let acked = app
        .feed
        .ack(pb::AckRequest {
            consumer: "router".into(),
            event_ids: vec![again.event_id.clone()],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(acked.acknowledged, 1);
    drop(stream);
    let mut stream = subscribe(&mut app, "router").await;
    assert!(
        next_event(&mut stream, SHORT).await.is_none(),
        "acknowledged events stay delivered"
    );
}

#[tokio::test]
async fn another_consumer_of_the_same_name_takes_over_unacknowledged_events() {
    let mut app = spawn_app().await;
    let mut a = subscribe(&mut app, "group").await;
    send(&mut app, customer("r2", "t1", "I want a human"))
        .await
        .unwrap();
    let ev = next_event(&mut a, WAIT).await.expect("delivered to a");
    let mut b = subscribe(&mut app, "group").await;
    assert!(
        next_event(&mut b, SHORT).await.is_none(),
        "leased to a while a is connected"
    );
    drop(a);
    let ev_b = next_event(&mut b, WAIT).await.expect("redelivered to b");
    assert_eq!(ev_b.event_id, ev.event_id);
}

#[tokio::test]
async fn a_lease_expires_and_the_event_goes_out_again_to_a_connected_consumer() {
    let mut config = test_config();
    config.feed.lease_seconds = 1;
    let mut app = spawn_app_with(config).await;
    let mut stream = subscribe(&mut app, "slow").await;
    send(&mut app, customer("r3", "t1", "representative"))
        .await
        .unwrap();
    let first = next_event(&mut stream, WAIT).await.expect("delivered");
    let again = next_event(&mut stream, WAIT)
        .await
        .expect("redelivered after the lease");
    assert_eq!(again.event_id, first.event_id);
}

#[tokio::test]
async fn consumer_groups_each_get_every_event_and_filters_apply() {
    let mut app = spawn_app().await;
    let mut crm = subscribe(&mut app, "crm").await;
    let mut other_tenant = app
        .feed
        .subscribe(pb::SubscribeRequest {
            consumer: "x".into(),
            tenant_id: "globex".into(),
            queues: vec![],
        })
        .await
        .unwrap()
        .into_inner();
    let mut routing = subscribe(&mut app, "routing").await;
    send(&mut app, customer("r4", "t1", "talk to a person"))
        .await
        .unwrap();
    let a = next_event(&mut crm, WAIT).await.expect("crm gets it");
    let b = next_event(&mut routing, WAIT)
        .await
        .expect("routing gets it");
    assert_eq!(a.event_id, b.event_id);
    assert!(
        next_event(&mut other_tenant, SHORT).await.is_none(),
        "tenant filter"
    );
}
