//! The per-tenant turn rate over real gRPC: a tenant over its bucket gets RESOURCE_EXHAUSTED with
//! a retry delay and nothing is committed; other tenants and per-tenant overrides are unaffected.

use crate::helpers::*;
use escalation_router::config::Config;
use escalation_router::pb;
use tokio_stream::StreamExt;
use tonic::Code;

/// Two turns at once, then (for the length of any test) no more: the bucket refills one turn in
/// 1000 s. `[policy.tenants.vip.rate]` lifts the limit for `vip`.
fn limited() -> Config {
    let mut config = test_config();
    config.limits.tenant_turns_per_second = 0.001;
    config.limits.tenant_burst = 2;
    let table: toml::Table = "[tenants.vip.rate]\nturns_per_second = 0\n"
        .parse()
        .unwrap();
    config.policy = toml::Value::Table(table).try_into().unwrap();
    config.policy.validate().unwrap();
    config
}

fn of(tenant: &str, conversation: &str, turn_id: &str) -> pb::Turn {
    pb::Turn {
        tenant_id: tenant.into(),
        ..customer(conversation, turn_id, "where is my parcel")
    }
}

#[tokio::test]
async fn a_tenant_over_its_rate_gets_resource_exhausted_with_a_delay_and_nothing_is_committed() {
    let mut app = spawn_app_with(limited()).await;
    send(&mut app, of("acme", "r1", "t1")).await.unwrap();
    send(&mut app, of("acme", "r1", "t2")).await.unwrap();
    let before = conversation(&mut app, "r1").await.unwrap();
    let refused = send(&mut app, of("acme", "r1", "t3")).await.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    let retry = tonic_types::StatusExt::get_details_retry_info(&refused)
        .expect("a RetryInfo")
        .retry_delay
        .expect("with a delay");
    // One token refills in 1000 s; the wait is at most that and more than nothing.
    assert!(retry > std::time::Duration::ZERO && retry <= std::time::Duration::from_secs(1000));
    let info = tonic_types::StatusExt::get_details_error_info(&refused).expect("an ErrorInfo");
    assert_eq!(info.reason, "TENANT_RATE_LIMITED");
    assert_eq!(conversation(&mut app, "r1").await.unwrap(), before);
    assert_eq!(before.turn_count, 2);

    // Another tenant has its own bucket, and `vip` has no limit.
    send(&mut app, of("globex", "g1", "t1")).await.unwrap();
    for i in 0..5 {
        send(&mut app, of("vip", "v1", &format!("t{i}")))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn stream_turns_over_the_rate_answers_each_refused_turn_and_goes_on() {
    let mut app = spawn_app_with(limited()).await;
    let turns: Vec<pb::ProcessTurnRequest> = (1..=4)
        .map(|i| pb::ProcessTurnRequest {
            turn: Some(of("acme", &format!("s{i}"), "t1")),
        })
        .collect();
    let mut answers = app
        .router
        .stream_turns(tokio_stream::iter(turns))
        .await
        .unwrap()
        .into_inner();
    let mut decided = Vec::new();
    let mut refused = Vec::new();
    while let Some(answer) = answers.next().await {
        let answer = answer.unwrap();
        match answer.result.unwrap() {
            pb::stream_turns_response::Result::Decision(_) => decided.push(answer.conversation_id),
            pb::stream_turns_response::Result::Error(e) => {
                assert_eq!(e.code, Code::ResourceExhausted as i32, "{e:?}");
                assert!(e.message.contains("retry after"), "{e:?}");
                let delay = e.retry_delay.expect("a retry delay");
                assert!(delay.seconds > 0 || delay.nanos > 0, "{e:?}");
                refused.push(answer.conversation_id);
            }
        }
    }
    assert_eq!((decided.len(), refused.len()), (2, 2));
    for id in refused {
        let status = conversation(&mut app, &id).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{id} was not committed");
    }
}
