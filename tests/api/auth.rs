//! Authentication and authorization over real gRPC: API keys, roles, tenants, consumer groups that
//! belong to their principal, key reloads and the refusal to serve everyone beyond loopback.

use crate::helpers::*;
use escalation_router::config::Config;
use escalation_router::pb;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tonic::{Code, Request};

const WAIT: Duration = Duration::from_secs(5);
const SHORT: Duration = Duration::from_millis(300);

pub const BOT: &str = "key-of-the-acme-bot";
pub const ROUTER: &str = "key-of-the-acme-router";
const GLOBEX_ROUTER: &str = "key-of-the-globex-router";
pub const ADMIN: &str = "key-of-the-admin";
const ACME_ADMIN: &str = "key-of-the-acme-admin";

pub fn sha256_hex(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `[auth]` section used here: a bot and a router for acme, a router for globex, an admin for
/// every tenant and one for acme only.
pub fn auth_section() -> String {
    let p = |name: &str, key: &str, tenants: &str, roles: &str| {
        format!(
            "[[auth.principals]]\nname = \"{name}\"\nkey_sha256 = \"{}\"\ntenants = {tenants}\nroles = {roles}\n",
            sha256_hex(key)
        )
    };
    [
        "[auth]\nmode = \"keys\"\n".to_string(),
        p("acme-bot", BOT, r#"["acme"]"#, r#"["bot"]"#),
        p("acme-router", ROUTER, r#"["acme"]"#, r#"["router"]"#),
        p(
            "globex-router",
            GLOBEX_ROUTER,
            r#"["globex"]"#,
            r#"["router"]"#,
        ),
        p("admin", ADMIN, r#"["*"]"#, r#"["admin"]"#),
        p("acme-admin", ACME_ADMIN, r#"["acme"]"#, r#"["admin"]"#),
    ]
    .concat()
}

pub fn auth_config(extra: &str) -> Config {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, format!("{}{extra}", auth_section())).unwrap();
    let mut config = Config::load(Some(&path), Vec::new()).expect("auth config loads");
    config.file = None;
    config.store.url = "memory".into();
    config.feed.poll_ms = 50;
    config.server.grace_seconds = 2;
    config
}

/// `message` with `authorization: Bearer <key>`.
pub fn with_key<T>(key: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    request
}

fn turn(tenant: &str, conversation: &str, turn_id: &str, text: &str) -> pb::ProcessTurnRequest {
    pb::ProcessTurnRequest {
        turn: Some(pb::Turn {
            tenant_id: tenant.into(),
            ..customer(conversation, turn_id, text)
        }),
    }
}

async fn process(
    app: &mut App,
    key: &str,
    req: pb::ProcessTurnRequest,
) -> Result<pb::Decision, tonic::Status> {
    app.router
        .process_turn(with_key(key, req))
        .await
        .map(|r| r.into_inner().decision.unwrap())
}

async fn get(
    app: &mut App,
    key: &str,
    tenant: &str,
    id: &str,
) -> Result<pb::GetConversationResponse, tonic::Status> {
    app.router
        .get_conversation(with_key(
            key,
            pb::GetConversationRequest {
                tenant_id: tenant.into(),
                conversation_id: id.into(),
                recent_turns: 0,
            },
        ))
        .await
        .map(|r| r.into_inner())
}

fn code<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> Code {
    match r {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(s) => s.code(),
    }
}

#[tokio::test]
async fn calls_without_credentials_or_with_a_wrong_key_are_unauthenticated_and_change_nothing() {
    let mut app = spawn_app_with(auth_config("")).await;
    let plain = app
        .router
        .process_turn(turn("acme", "a1", "t1", "operator please"))
        .await;
    assert_eq!(code(plain), Code::Unauthenticated);
    let wrong = process(
        &mut app,
        "not-a-key",
        turn("acme", "a1", "t1", "operator please"),
    )
    .await;
    assert_eq!(code(wrong), Code::Unauthenticated);
    let mut basic = Request::new(turn("acme", "a1", "t1", "operator please"));
    basic
        .metadata_mut()
        .insert("authorization", format!("Basic {BOT}").parse().unwrap());
    assert_eq!(
        code(app.router.process_turn(basic).await),
        Code::Unauthenticated
    );
    let feed = app
        .feed
        .subscribe(pb::SubscribeRequest {
            consumer: "c".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(code(feed.map(|_| ())), Code::Unauthenticated);
    // The SHA-256 digest itself is not a key.
    let digest = process(&mut app, &sha256_hex(BOT), turn("acme", "a1", "t1", "hi")).await;
    assert_eq!(code(digest), Code::Unauthenticated);

    assert_eq!(
        code(get(&mut app, ADMIN, "acme", "a1").await),
        Code::NotFound
    );
    let ok = process(&mut app, BOT, turn("acme", "a1", "t1", "operator please")).await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn a_bot_cannot_send_turns_for_another_tenant() {
    let mut app = spawn_app_with(auth_config("")).await;
    let denied = process(&mut app, BOT, turn("globex", "g1", "t1", "operator please")).await;
    assert_eq!(code(denied), Code::PermissionDenied);
    assert_eq!(
        code(get(&mut app, ADMIN, "globex", "g1").await),
        Code::NotFound
    );
    assert_eq!(
        code(get(&mut app, BOT, "globex", "g1").await),
        Code::PermissionDenied
    );

    // On one stream: the foreign turn gets its own PERMISSION_DENIED, the stream goes on.
    let outbound = tokio_stream::iter(vec![
        turn("globex", "g2", "t1", "operator please"),
        turn("acme", "a2", "t1", "hello"),
    ]);
    let mut responses = app
        .router
        .stream_turns(with_key(BOT, outbound))
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while let Some(r) = responses.message().await.unwrap() {
        let result = match r.result.unwrap() {
            pb::stream_turns_response::Result::Decision(_) => Code::Ok,
            pb::stream_turns_response::Result::Error(e) => Code::from_i32(e.code),
        };
        seen.push((r.tenant_id, result));
        if seen.len() == 2 {
            break;
        }
    }
    seen.sort_by_key(|(t, _)| t.clone());
    assert_eq!(
        seen,
        vec![
            ("acme".to_string(), Code::Ok),
            ("globex".to_string(), Code::PermissionDenied)
        ]
    );
    assert_eq!(
        code(get(&mut app, ADMIN, "globex", "g2").await),
        Code::NotFound
    );
}

/// Opens a handoff in acme conversation `id`; returns its handoff id.
async fn hand_off(app: &mut App, id: &str) -> String {
    let d = process(
        app,
        BOT,
        turn("acme", id, "t1", "I want to talk to a human"),
    )
    .await
    .unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);
    d.handoff.unwrap().handoff_id
}

fn status(tenant: &str, id: &str, handoff: &str) -> pb::ReportHandoffStatusRequest {
    pb::ReportHandoffStatusRequest {
        tenant_id: tenant.into(),
        conversation_id: id.into(),
        handoff_id: handoff.into(),
        status: pb::HandoffStatus::Accepted as i32,
        ..Default::default()
    }
}

fn outcome(tenant: &str, id: &str, handoff: &str) -> pb::ReportOutcomeRequest {
    pb::ReportOutcomeRequest {
        tenant_id: tenant.into(),
        conversation_id: id.into(),
        handoff_id: handoff.into(),
        resolved: true,
        satisfaction: 5,
        verdict: pb::Verdict::Needed as i32,
    }
}

fn queue(tenant: &str) -> pb::UpdateQueueStatusRequest {
    pb::UpdateQueueStatusRequest {
        tenant_id: tenant.into(),
        queues: vec![pb::QueueStatus {
            queue: "default".into(),
            agents_available: 0,
            closed: true,
            ..Default::default()
        }],
    }
}

fn forget(tenant: &str, id: &str) -> pb::ForgetConversationRequest {
    pb::ForgetConversationRequest {
        tenant_id: tenant.into(),
        conversation_id: id.into(),
        ..Default::default()
    }
}

fn quality(tenant: &str) -> pb::GetDecisionQualityRequest {
    pb::GetDecisionQualityRequest {
        tenant_id: tenant.into(),
        ..Default::default()
    }
}

/// Everything a router or an admin could do to acme conversation `id`, as `key`; each must be
/// PERMISSION_DENIED.
async fn all_denied(
    app: &mut App,
    key: &str,
    tenant: &str,
    id: &str,
    handoff: &str,
    calls: &[&str],
) {
    for call in calls {
        let r = &mut app.router;
        let got = match *call {
            "ProcessTurn" => code(
                r.process_turn(with_key(key, turn(tenant, id, "x1", "hello")))
                    .await,
            ),
            "GetConversation" => code(get(app, key, tenant, id).await),
            "ReportHandoffStatus" => code(
                r.report_handoff_status(with_key(key, status(tenant, id, handoff)))
                    .await,
            ),
            "ReportOutcome" => code(
                r.report_outcome(with_key(key, outcome(tenant, id, handoff)))
                    .await,
            ),
            "UpdateQueueStatus" => code(r.update_queue_status(with_key(key, queue(tenant))).await),
            "GetDecisionQuality" => {
                code(r.get_decision_quality(with_key(key, quality(tenant))).await)
            }
            "ForgetConversation" => code(
                r.forget_conversation(with_key(key, forget(tenant, id)))
                    .await,
            ),
            "Subscribe" => code(
                app.feed
                    .subscribe(with_key(
                        key,
                        pb::SubscribeRequest {
                            consumer: "c".into(),
                            tenant_id: tenant.into(),
                            ..Default::default()
                        },
                    ))
                    .await
                    .map(|_| ()),
            ),
            "Ack" => code(
                app.feed
                    .ack(with_key(
                        key,
                        pb::AckRequest {
                            consumer: "c".into(),
                            event_ids: vec!["e".into()],
                        },
                    ))
                    .await,
            ),
            other => panic!("unknown call {other}"),
        };
        assert_eq!(got, Code::PermissionDenied, "{call} as {key} on {tenant}");
    }
}

/// The conversation as the admin sees it: ownership, open handoff, turn count.
async fn snapshot(app: &mut App, id: &str) -> (i32, Option<String>, u64) {
    let c = get(app, ADMIN, "acme", id).await.unwrap();
    (
        c.ownership,
        c.open_handoff.map(|h| h.handoff_id),
        c.turn_count,
    )
}

#[tokio::test]
async fn each_role_is_refused_the_calls_outside_it_and_nothing_changes() {
    let mut app = spawn_app_with(auth_config("")).await;
    let handoff = hand_off(&mut app, "r1").await;
    let before = snapshot(&mut app, "r1").await;
    let quality_before = app
        .router
        .get_decision_quality(with_key(ADMIN, quality("acme")))
        .await
        .unwrap()
        .into_inner();

    let bot_may_not = [
        "ReportHandoffStatus",
        "ReportOutcome",
        "UpdateQueueStatus",
        "GetDecisionQuality",
        "ForgetConversation",
        "Subscribe",
        "Ack",
    ];
    all_denied(&mut app, BOT, "acme", "r1", &handoff, &bot_may_not).await;
    let router_may_not = ["ProcessTurn", "ForgetConversation"];
    all_denied(&mut app, ROUTER, "acme", "r1", &handoff, &router_may_not).await;
    let stream = app
        .router
        .stream_turns(with_key(
            ROUTER,
            tokio_stream::iter(vec![turn("acme", "r1", "x2", "hi")]),
        ))
        .await;
    assert_eq!(code(stream.map(|_| ())), Code::PermissionDenied);

    assert_eq!(snapshot(&mut app, "r1").await, before, "nothing changed");
    let quality_after = app
        .router
        .get_decision_quality(with_key(ADMIN, quality("acme")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(quality_after, quality_before);

    // What each role may do, it can.
    get(&mut app, BOT, "acme", "r1").await.unwrap();
    get(&mut app, ROUTER, "acme", "r1").await.unwrap();
    app.router
        .report_handoff_status(with_key(ROUTER, status("acme", "r1", &handoff)))
        .await
        .unwrap();
    app.router
        .forget_conversation(with_key(ACME_ADMIN, forget("acme", "r1")))
        .await
        .unwrap();
    assert_eq!(
        code(get(&mut app, ADMIN, "acme", "r1").await),
        Code::NotFound
    );
}

#[tokio::test]
async fn a_principal_outside_a_tenant_is_refused_everything_there_and_nothing_changes() {
    let mut app = spawn_app_with(auth_config("")).await;
    let handoff = hand_off(&mut app, "x1").await;
    let before = snapshot(&mut app, "x1").await;
    let everything = [
        "GetConversation",
        "ReportHandoffStatus",
        "ReportOutcome",
        "UpdateQueueStatus",
        "GetDecisionQuality",
        "Subscribe",
    ];
    all_denied(&mut app, GLOBEX_ROUTER, "acme", "x1", &handoff, &everything).await;
    // An admin of acme is still no admin of globex.
    all_denied(
        &mut app,
        ACME_ADMIN,
        "globex",
        "x1",
        &handoff,
        &["ForgetConversation", "ProcessTurn"],
    )
    .await;
    // Only ["*"] may span tenants: an all-tenant subscription or quality query.
    all_denied(
        &mut app,
        ROUTER,
        "",
        "x1",
        &handoff,
        &["Subscribe", "GetDecisionQuality"],
    )
    .await;
    all_denied(
        &mut app,
        ACME_ADMIN,
        "",
        "x1",
        &handoff,
        &["Subscribe", "GetDecisionQuality"],
    )
    .await;
    app.router
        .get_decision_quality(with_key(ADMIN, quality("")))
        .await
        .unwrap();
    assert_eq!(snapshot(&mut app, "x1").await, before, "nothing changed");
    // The queue report was refused: a handoff still goes through for acme.
    let d = process(
        &mut app,
        BOT,
        turn("acme", "x2", "t1", "I want to talk to a human"),
    )
    .await
    .unwrap();
    assert_eq!(action(&d), pb::Action::Handoff);
}

async fn subscribe_as(
    app: &mut App,
    key: &str,
    consumer: &str,
    tenant: &str,
) -> tonic::Streaming<pb::HandoffEvent> {
    app.feed
        .subscribe(with_key(
            key,
            pb::SubscribeRequest {
                consumer: consumer.into(),
                tenant_id: tenant.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn ack_as(app: &mut App, key: &str, consumer: &str, event: &str) -> u32 {
    app.feed
        .ack(with_key(
            key,
            pb::AckRequest {
                consumer: consumer.into(),
                event_ids: vec![event.into()],
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .acknowledged
}

#[tokio::test]
async fn consumer_groups_belong_to_their_principal() {
    let mut app = spawn_app_with(auth_config("")).await;
    let mut mine = subscribe_as(&mut app, ROUTER, "cc-router", "acme").await;
    let mut theirs = subscribe_as(&mut app, ADMIN, "cc-router", "acme").await;
    hand_off(&mut app, "g1").await;
    // Same consumer name, two principals: two groups, each gets the event.
    let ev = next_event(&mut mine, WAIT)
        .await
        .expect("delivered to acme-router");
    let ev2 = next_event(&mut theirs, WAIT)
        .await
        .expect("delivered to admin's own group");
    assert_eq!(ev.event_id, ev2.event_id);

    // Another principal acking under the same name acks only in its own group.
    assert_eq!(ack_as(&mut app, ADMIN, "cc-router", &ev.event_id).await, 1);
    assert_eq!(
        ack_as(&mut app, GLOBEX_ROUTER, "cc-router", &ev.event_id).await,
        0
    );
    drop(mine);
    let mut mine = subscribe_as(&mut app, ROUTER, "cc-router", "acme").await;
    let again = next_event(&mut mine, WAIT)
        .await
        .expect("still outstanding for acme-router");
    assert_eq!(again.event_id, ev.event_id);
    assert_eq!(ack_as(&mut app, ROUTER, "cc-router", &ev.event_id).await, 1);
    drop(mine);
    let mut mine = subscribe_as(&mut app, ROUTER, "cc-router", "acme").await;
    assert!(next_event(&mut mine, SHORT).await.is_none(), "acknowledged");
}

#[tokio::test]
async fn keys_reload_with_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let base = "[store]\nurl = \"memory\"\n[policy]\nwatch_seconds = 1\n";
    let only_admin = format!(
        "{base}[auth]\nmode = \"keys\"\n[[auth.principals]]\nname = \"admin\"\nkey_sha256 = \"{}\"\ntenants = [\"*\"]\nroles = [\"admin\"]\n",
        sha256_hex(ADMIN)
    );
    std::fs::write(&path, &only_admin).unwrap();
    let mut config = Config::load(Some(&path), Vec::new()).unwrap();
    config.server.grace_seconds = 2;
    let mut app = spawn_app_with(config).await;
    let denied = process(&mut app, BOT, turn("acme", "k1", "t1", "hello")).await;
    assert_eq!(code(denied), Code::Unauthenticated);

    std::fs::write(&path, format!("{base}{}", auth_section())).unwrap();
    let mut accepted = false;
    for i in 0..50 {
        if process(&mut app, BOT, turn("acme", &format!("k{i}"), "t1", "hello"))
            .await
            .is_ok()
        {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(accepted, "the new key is accepted after the file changed");

    // A key removed from the file stops working.
    std::fs::write(&path, &only_admin).unwrap();
    let mut refused = false;
    for i in 0..50 {
        let r = process(&mut app, BOT, turn("acme", &format!("m{i}"), "t1", "hello")).await;
        if r.as_ref().is_err_and(|s| s.code() == Code::Unauthenticated) {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the removed key is refused");
}

#[test]
fn without_an_auth_section_a_non_loopback_address_is_refused_naming_auth() {
    let env = vec![(
        "ESCALATION__SERVER__LISTEN".to_string(),
        "0.0.0.0:50051".to_string(),
    )];
    let err = Config::load(None, env.clone()).unwrap_err().to_string();
    assert!(err.contains("auth"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[auth]\nmode = \"none\"\n").unwrap();
    let err = Config::load(Some(&path), env.clone())
        .unwrap_err()
        .to_string();
    assert!(err.contains("auth.mode"), "{err}");
    std::fs::write(&path, auth_section()).unwrap();
    Config::load(Some(&path), env).expect("keys on any address");
}

#[tokio::test]
async fn the_server_refuses_to_serve_everyone_on_a_non_loopback_socket() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let err = escalation_router::server::run(test_config(), listener, std::future::pending())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("auth"), "{err}");
}
