//! Tenant policy through gRPC: business hours, live queue status, tiers, routine intents, shadow
//! mode, reloads, redaction, the handoff context in the feed, and the quality loop.

use crate::helpers::*;
use chrono::TimeZone;
use escalation_router::config::Config;
use escalation_router::pb;
use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
const SHORT: Duration = Duration::from_millis(300);

/// The test configuration with a `[policy]` section.
fn with_policy(policy: &str) -> Config {
    let mut config = test_config();
    let table: toml::Table = policy.parse().expect("test policy parses");
    config.policy = toml::Value::Table(table)
        .try_into()
        .expect("test policy deserialises");
    config.policy.validate().expect("test policy is valid");
    // Business hours are tested with turn times on fixed dates.
    config.limits.max_clock_skew_seconds = 0;
    config
}

/// A configuration read from a file (so the server can reload it).
fn from_file(path: &Path, text: &str) -> Config {
    std::fs::write(path, text).unwrap();
    let mut config = Config::load(Some(path), Vec::new()).expect("test config loads");
    config.feed.poll_ms = 50;
    config.server.grace_seconds = 2;
    config
}

fn at(ms: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: ms / 1000,
        nanos: 0,
    })
}

/// 2026-11-22 (a Sunday) and 2026-11-23 (a Monday) at `h`:00 UTC.
fn sunday(h: u32) -> i64 {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 22, h, 0, 0)
        .unwrap()
        .timestamp_millis()
}

fn monday(h: u32) -> i64 {
    sunday(h) + 24 * 3600 * 1000
}

fn reason_codes(d: &pb::Decision) -> Vec<pb::ReasonCode> {
    d.reasons
        .iter()
        .map(|r| pb::ReasonCode::try_from(r.code).unwrap())
        .collect()
}

async fn push_queue(app: &mut App, queue: &str, agents: u32, wait: u32, open: bool) {
    app.router
        .update_queue_status(pb::UpdateQueueStatusRequest {
            tenant_id: "acme".into(),
            queues: vec![pb::QueueStatus {
                queue: queue.into(),
                agents_available: agents,
                expected_wait_seconds: wait,
                closed: !open,
            }],
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn after_hours_a_request_for_a_human_becomes_a_callback_carrying_the_context() {
    let mut app = spawn_app_with(with_policy(
        r#"
        [default]
        unavailable = "callback"
        [default.queues.default]
        time_zone = "Europe/Berlin"
        hours = ["mon-fri 08:00-18:00"]
        "#,
    ))
    .await;
    let mut feed = subscribe(&mut app, "router").await;
    let mut turn = customer("ah1", "t1", "I want to talk to a human");
    turn.time = at(sunday(12));
    let d = send(&mut app, turn).await.unwrap();
    assert_eq!(action(&d), pb::Action::OfferCallback);
    assert_eq!(
        reason_codes(&d),
        vec![
            pb::ReasonCode::ExplicitRequest,
            pb::ReasonCode::OutsideBusinessHours
        ]
    );
    assert!(
        d.suggested_reply.contains("call back"),
        "{}",
        d.suggested_reply
    );
    let ev = next_event(&mut feed, WAIT).await.expect("callback event");
    assert_eq!(
        pb::Action::try_from(ev.action).unwrap(),
        pb::Action::OfferCallback
    );
    assert_eq!(ev.context.unwrap().transcript.len(), 1);

    let mut turn = customer("ah2", "t1", "I want to talk to a human");
    turn.time = at(monday(10));
    let d = send(&mut app, turn).await.unwrap();
    assert_eq!(
        action(&d),
        pb::Action::Handoff,
        "open on Monday at 11:00 Berlin"
    );
}

#[tokio::test]
async fn with_no_agent_available_a_ticket_is_created_until_agents_come_back() {
    let mut app = spawn_app_with(with_policy("[default]\nunavailable = \"ticket\"")).await;
    push_queue(&mut app, "default", 0, 0, true).await;
    let d = send(&mut app, customer("na1", "t1", "operator please"))
        .await
        .unwrap();
    assert_eq!(action(&d), pb::Action::CreateTicket);
    assert_eq!(
        reason_codes(&d).last(),
        Some(&pb::ReasonCode::NoAgentAvailable)
    );
    assert!(
        d.handoff.unwrap().context.is_some(),
        "the ticket has the context"
    );

    push_queue(&mut app, "default", 3, 90, true).await;
    let d = send(&mut app, customer("na2", "t1", "operator please"))
        .await
        .unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);
    assert!(
        d.suggested_reply.contains("about 2 minutes"),
        "{}",
        d.suggested_reply
    );
}

#[tokio::test]
async fn a_tenant_may_keep_the_customer_with_the_bot_and_say_so_honestly() {
    let mut app = spawn_app_with(with_policy("[tenants.acme]\nunavailable = \"stay\"")).await;
    let mut feed = subscribe(&mut app, "router").await;
    push_queue(&mut app, "default", 0, 0, false).await;
    let mut turn = customer("st1", "t1", "Ich möchte einen Mitarbeiter sprechen");
    turn.language = "de".into();
    let d = send(&mut app, turn).await.unwrap();
    assert_eq!(action(&d), pb::Action::Continue);
    assert!(d.bot_should_respond);
    assert!(
        d.suggested_reply.starts_with("Es tut mir leid"),
        "{}",
        d.suggested_reply
    );
    assert!(
        next_event(&mut feed, SHORT).await.is_none(),
        "no handoff opened"
    );
}

#[tokio::test]
async fn vip_customers_go_to_their_queue_with_urgent_priority() {
    let mut app = spawn_app_with(with_policy("[default.tiers.vip]\nqueue = \"vip\"")).await;
    let mut vip = customer("vip1", "t1", "get me a human");
    vip.customer = Some(pb::CustomerProfile {
        customer_id: "C-1".into(),
        tier: pb::CustomerTier::Vip as i32,
        ..Default::default()
    });
    let d = send(&mut app, vip).await.unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);
    assert_eq!(
        pb::Priority::try_from(d.priority).unwrap(),
        pb::Priority::Urgent
    );
    let route = d.route.unwrap();
    assert_eq!(route.queue, "vip");
    assert!(route.skills.contains(&"vip".to_string()));

    let d = send(&mut app, customer("std1", "t1", "get me a human"))
        .await
        .unwrap();
    assert_eq!(
        pb::Priority::try_from(d.priority).unwrap(),
        pb::Priority::Normal
    );
    assert_eq!(d.route.unwrap().queue, "default");
}

#[tokio::test]
async fn a_routine_intent_stays_with_the_bot_until_the_bot_fails_at_it() {
    let mut app = spawn_app().await;
    let routine = |id: &str, text: &str, fallback: bool| pb::Turn {
        nlu: Some(pb::NluResult {
            intent: "track_order".into(),
            fallback,
            ..Default::default()
        }),
        ..customer("ro1", id, text)
    };
    let d = send(
        &mut app,
        routine("t1", "This is ridiculous, where is my parcel?!", false),
    )
    .await
    .unwrap();
    assert_eq!(action(&d), pb::Action::Continue);
    send(&mut app, routine("t2", "parcel status", true))
        .await
        .unwrap();
    let d = send(&mut app, routine("t3", "PARCEL STATUS", true))
        .await
        .unwrap();
    assert!(
        matches!(action(&d), pb::Action::OfferHandoff | pb::Action::Handoff),
        "the bot failed twice at it: {:?}",
        action(&d)
    );
}

#[tokio::test]
async fn a_high_stakes_intent_goes_early_to_its_queue() {
    let mut app = spawn_app_with(with_policy(
        r#"
        [default]
        intent_stakes = { report_fraud = "fraud" }
        [default.stakes.fraud]
        action = "handoff"
        queue = "fraud"
        "#,
    ))
    .await;
    let turn = pb::Turn {
        nlu: Some(pb::NluResult {
            intent: "report_fraud".into(),
            ..Default::default()
        }),
        ..customer("hs1", "t1", "there are payments on my card I never made")
    };
    let d = send(&mut app, turn).await.unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);
    assert_eq!(d.route.as_ref().unwrap().queue, "fraud");
    assert_eq!(
        pb::Priority::try_from(d.priority).unwrap(),
        pb::Priority::High
    );
    assert_eq!(reason_codes(&d), vec![pb::ReasonCode::HighStakes]);
}

#[tokio::test]
async fn shadow_mode_reports_the_handoff_but_lets_the_bot_continue() {
    let mut app = spawn_app_with(with_policy("[tenants.acme]\nshadow = true")).await;
    let mut feed = subscribe(&mut app, "router").await;
    let d = send(&mut app, customer("sh1", "t1", "operator please"))
        .await
        .unwrap();
    assert_eq!(action(&d), pb::Action::Continue);
    assert!(d.shadow);
    assert_eq!(
        pb::Action::try_from(d.shadow_action).unwrap(),
        pb::Action::Handoff
    );
    assert!(d.bot_should_respond);
    assert!(d.handoff.is_none());
    assert!(
        next_event(&mut feed, SHORT).await.is_none(),
        "no event in shadow mode"
    );
    let c = conversation(&mut app, "sh1").await.unwrap();
    assert_eq!(
        pb::Ownership::try_from(c.ownership).unwrap(),
        pb::Ownership::Bot
    );
}

/// Sends a request for a human on a fresh conversation until `done` holds for the decision.
async fn eventually(app: &mut App, done: impl Fn(&pb::Decision) -> bool) -> bool {
    for i in 0..50 {
        let d = send(app, customer(&format!("poll{i}"), "t1", "operator please"))
            .await
            .unwrap();
        if done(&d) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_bad_policy_file_is_rejected_and_the_running_policy_stays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let base = "[store]\nurl = \"memory\"\n[policy]\nwatch_seconds = 1\n";
    let mut app = spawn_app_with(from_file(&path, base)).await;
    let d = send(&mut app, customer("rl1", "t1", "operator please"))
        .await
        .unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);

    // Would switch on shadow mode, but names a key that does not exist: rejected as a whole.
    std::fs::write(
        &path,
        format!("{base}[policy.tenants.acme]\nshadow = true\nshadow_hours = 5\n"),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let d = send(&mut app, customer("rl2", "t1", "operator please"))
        .await
        .unwrap();
    assert_eq!(action(&d), pb::Action::Handoff, "the running policy stays");
    assert!(!d.shadow);

    std::fs::write(
        &path,
        format!("{base}[policy.tenants.acme]\nshadow = true\n"),
    )
    .unwrap();
    assert!(
        eventually(&mut app, |d| d.shadow).await,
        "a good file is picked up"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_reloads_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let base = "[store]\nurl = \"memory\"\n";
    let mut app = spawn_app_with(from_file(&path, base)).await;
    // A served turn means `run` is past installing the SIGHUP handler.
    let d = send(&mut app, customer("hup1", "t1", "operator please"))
        .await
        .unwrap();
    assert!(!d.shadow);
    std::fs::write(
        &path,
        format!("{base}[policy.tenants.acme]\nshadow = true\n"),
    )
    .unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(
        eventually(&mut app, |d| d.shadow).await,
        "reloaded on SIGHUP"
    );
}

/// Hands off a conversation in which the customer gave an e-mail address and an IBAN and the NLU
/// found an order number; returns the event's context.
async fn handoff_with_pii(redaction: &str) -> pb::HandoffContext {
    let mut app = spawn_app_with(with_policy(&format!(
        "[tenants.acme]\nredaction = \"{redaction}\""
    )))
    .await;
    let mut feed = subscribe(&mut app, "router").await;
    let first = pb::Turn {
        nlu: Some(pb::NluResult {
            intent: "return_refund".into(),
            entities: vec![pb::Entity {
                name: "order_number".into(),
                value: "A-100200".into(),
            }],
            ..Default::default()
        }),
        ..customer(
            "pii",
            "t1",
            "Refund to DE89 3704 0044 0532 0130 00 please, mail anna@example.com",
        )
    };
    send(&mut app, first).await.unwrap();
    send(&mut app, customer("pii", "t2", "I want a human now"))
        .await
        .unwrap();
    let ev = next_event(&mut feed, WAIT).await.expect("handoff event");
    ev.context.expect("context in the event")
}

fn entity<'a>(c: &'a pb::HandoffContext, kind: &str) -> &'a pb::CollectedEntity {
    c.entities
        .iter()
        .find(|e| e.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} in {:?}", c.entities))
}

#[tokio::test]
async fn entities_from_nlu_and_text_arrive_in_the_feed_event() {
    let c = handoff_with_pii("none").await;
    let order = entity(&c, "order_number");
    assert_eq!(
        (order.value.as_str(), order.source.as_str()),
        ("A-100200", "nlu")
    );
    let iban = entity(&c, "iban");
    assert_eq!(
        (
            iban.value.as_str(),
            iban.source.as_str(),
            iban.turn_id.as_str()
        ),
        ("DE89370400440532013000", "text", "t1")
    );
    assert_eq!(entity(&c, "email").value, "anna@example.com");
    let summary = c.summary.unwrap();
    assert_eq!(
        summary.goal, "Refund to DE89 3704 0044 0532 0130 00 please, mail anna@example.com",
        "the customer's words; an intent shows only by a name the tenant gave it"
    );
    assert_eq!(summary.reason, "The customer asked for a person.");
    assert!(!summary.suggested_opening.is_empty());
    assert_eq!(c.language, "en");
    assert_eq!(c.transcript.len(), 2);
}

#[tokio::test]
async fn redaction_masks_the_transcript_or_everything_as_the_tenant_says() {
    let raw = "Refund to DE89 3704 0044 0532 0130 00 please, mail anna@example.com";
    let c = handoff_with_pii("none").await;
    assert_eq!(c.transcript[0].text, raw);

    let c = handoff_with_pii("transcript").await;
    assert_eq!(
        c.transcript[0].text,
        "Refund to [iban] please, mail [email]"
    );
    assert_eq!(entity(&c, "iban").value, "DE89370400440532013000");
    assert_eq!(entity(&c, "email").value, "anna@example.com");

    let c = handoff_with_pii("all").await;
    assert_eq!(
        c.transcript[0].text,
        "Refund to [iban] please, mail [email]"
    );
    assert_eq!(entity(&c, "iban").value, "****3000");
    assert_eq!(entity(&c, "email").value, "a***@example.com");
    assert_eq!(entity(&c, "order_number").value, "A-100200", "not personal");
}

#[tokio::test]
async fn reported_outcomes_come_back_in_the_decision_quality() {
    let mut app = spawn_app().await;
    let mut handoffs = Vec::new();
    for id in ["q1", "q2"] {
        let d = send(&mut app, customer(id, "t1", "operator please"))
            .await
            .unwrap();
        handoffs.push(d.handoff.unwrap().handoff_id);
    }
    for (id, (h, verdict, satisfaction)) in ["q1", "q2"].into_iter().zip([
        (&handoffs[0], pb::Verdict::Needed, 5),
        (&handoffs[1], pb::Verdict::NotNeeded, 2),
    ]) {
        app.router
            .report_outcome(pb::ReportOutcomeRequest {
                tenant_id: "acme".into(),
                conversation_id: id.into(),
                handoff_id: h.clone(),
                resolved: true,
                satisfaction,
                verdict: verdict as i32,
            })
            .await
            .unwrap();
    }
    let rows = quality_rows(&app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(
        pb::ReasonCode::try_from(row.reason).unwrap(),
        pb::ReasonCode::ExplicitRequest
    );
    assert_eq!((row.handoffs, row.outcomes, row.resolved), (2, 2, 2));
    assert_eq!((row.verdict_needed, row.verdict_not_needed), (1, 1));
    assert_eq!(row.precision, 0.5);
    assert_eq!(row.mean_satisfaction, 3.5);
}
