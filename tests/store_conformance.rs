//! One behaviour, three stores: every case below runs against memory, SQLite (a real file in a
//! temporary directory) and PostgreSQL (a real server, see `support/pg.rs`). Cases about surviving a
//! restart run against the durable stores only.

#[path = "support/pg.rs"]
mod pg;

use escalation_router::domain::{
    ConversationState, CustomerProfile, Decision, HandoffContext, HandoffEvent, Reason, ReasonCode,
    Route, TurnReceipt,
};
use escalation_router::policy::QueueStatus;
use escalation_router::state::{
    self, Commit, CommitResult, FeedFilter, OutcomeRecord, QualityRow, SharedStore, Verdict,
};
use std::sync::Arc;
use std::time::Duration;

/// Receipts kept per conversation in these tests (small, so the window is exercised).
const WINDOW: usize = 4;
const LEASE: Duration = Duration::from_secs(60);

/// A store under test and how to open it again (a restart, or a second replica).
struct Fixture {
    store: SharedStore,
    url: String,
    durable: bool,
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    async fn memory() -> Self {
        Fixture {
            store: state::open("memory", WINDOW).await.unwrap(),
            url: "memory".into(),
            durable: false,
            _dir: None,
        }
    }

    /// The in-memory store packing every state as soon as it is committed (it keeps only the
    /// most recently committed ones decoded), so every case also runs against packed states.
    async fn memory_packed() -> Self {
        Fixture {
            store: Arc::new(state::memory::MemoryStore::with_decoded(WINDOW, 0)),
            url: "memory".into(),
            durable: false,
            _dir: None,
        }
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // A directory that does not exist yet: the store creates it.
        let url = format!("sqlite://{}/data/escalation.db", dir.path().display());
        Fixture {
            store: state::open(&url, WINDOW).await.unwrap(),
            url,
            durable: true,
            _dir: Some(dir),
        }
    }

    async fn postgres() -> Self {
        let url = pg::database("conformance").await;
        Fixture {
            store: state::open(&url, WINDOW).await.unwrap(),
            url,
            durable: true,
            _dir: None,
        }
    }

    /// Another store object on the same data (a restarted process or a second replica).
    async fn reopen(&self) -> SharedStore {
        assert!(self.durable, "only durable stores can be reopened");
        state::open(&self.url, WINDOW).await.unwrap()
    }
}

fn conversation(id: &str, version: u64, turns: u64) -> ConversationState {
    let mut s = ConversationState::new("acme", id, 1_000 + turns as i64);
    s.version = version;
    s.turn_count = turns;
    s.updated_ms = 1_000 + turns as i64;
    s
}

fn receipt(turn_id: &str, sequence: u64) -> TurnReceipt {
    TurnReceipt {
        turn_id: turn_id.into(),
        fingerprint: sequence * 7919,
        decision: Decision {
            sequence,
            ..Default::default()
        },
    }
}

fn event(conversation_id: &str, n: u32, queue: &str, code: ReasonCode) -> HandoffEvent {
    HandoffEvent {
        event_id: format!("ev-{conversation_id}-{n}"),
        handoff_id: format!("h-{conversation_id}-{n}"),
        tenant_id: "acme".into(),
        conversation_id: conversation_id.into(),
        route: Route {
            queue: queue.into(),
            ..Default::default()
        },
        context: std::sync::Arc::new(HandoffContext {
            reasons: vec![Reason {
                code,
                detail: String::new(),
                weight: 1.0,
                turn_ids: vec![],
                matched: vec![],
            }],
            seconds_since_first_problem: 1.5 * f64::from(n + 1),
            ..Default::default()
        }),
        created_ms: 1_000 + i64::from(n),
        ..Default::default()
    }
}

/// Applies turn `n` (1-based) of a conversation; `event` rides along.
async fn turn(store: &SharedStore, id: &str, n: u64, event: Option<HandoffEvent>) -> CommitResult {
    store
        .commit(Commit {
            state: conversation(id, n, n),
            expected_version: n - 1,
            receipt: Some(receipt(&format!("{id}-t{n}"), n)),
            event,
        })
        .await
        .unwrap()
}

fn group(name: &str) -> FeedFilter {
    FeedFilter {
        consumer: name.into(),
        ..Default::default()
    }
}

fn ids(events: &[HandoffEvent]) -> Vec<String> {
    events.iter().map(|e| e.event_id.clone()).collect()
}

async fn a_committed_turn_is_loaded_with_its_receipt(f: Fixture) {
    let s = &f.store;
    assert_eq!(s.load("acme", "c1").await.unwrap(), None);
    assert_eq!(turn(s, "c1", 1, None).await, CommitResult::Committed);
    assert_eq!(
        s.load("acme", "c1").await.unwrap(),
        Some(Arc::new(conversation("c1", 1, 1)))
    );
    assert_eq!(
        s.receipt("acme", "c1", "c1-t1").await.unwrap(),
        Some(receipt("c1-t1", 1))
    );
    assert_eq!(
        s.receipt_at("acme", "c1", 1).await.unwrap(),
        Some(receipt("c1-t1", 1))
    );
    assert_eq!(s.receipt("other", "c1", "c1-t1").await.unwrap(), None);
    assert_eq!(s.receipt_at("acme", "c1", 2).await.unwrap(), None);
}

async fn a_stale_version_conflicts_and_changes_nothing(f: Fixture) {
    let s = &f.store;
    turn(s, "c1", 1, None).await;
    turn(s, "c1", 2, None).await;
    for expected in [0, 1, 3] {
        let r = s
            .commit(Commit {
                state: conversation("c1", expected + 1, 9),
                expected_version: expected,
                receipt: Some(receipt("other-turn", 9)),
                event: Some(event("c1", 0, "q", ReasonCode::ExplicitRequest)),
            })
            .await
            .unwrap();
        assert_eq!(r, CommitResult::Conflict, "expected_version {expected}");
    }
    assert_eq!(
        s.load("acme", "c1").await.unwrap(),
        Some(Arc::new(conversation("c1", 2, 2)))
    );
    assert_eq!(s.receipt("acme", "c1", "other-turn").await.unwrap(), None);
    assert!(s.claim(&group("g"), 10, LEASE).await.unwrap().is_empty());
}

async fn a_repeated_turn_id_is_a_duplicate_with_the_first_receipt(f: Fixture) {
    let s = &f.store;
    turn(s, "c1", 1, None).await;
    for expected in [0, 1] {
        let r = s
            .commit(Commit {
                state: conversation("c1", expected + 1, 5),
                expected_version: expected,
                receipt: Some(TurnReceipt {
                    fingerprint: 1,
                    ..receipt("c1-t1", 5)
                }),
                event: None,
            })
            .await
            .unwrap();
        assert_eq!(r, CommitResult::Duplicate(Box::new(receipt("c1-t1", 1))));
    }
    assert_eq!(
        s.load("acme", "c1").await.unwrap(),
        Some(Arc::new(conversation("c1", 1, 1)))
    );
    // A commit without a receipt (a status report) is only version-checked.
    let r = s
        .commit(Commit {
            state: conversation("c1", 2, 1),
            expected_version: 1,
            receipt: None,
            event: None,
        })
        .await
        .unwrap();
    assert_eq!(r, CommitResult::Committed);
}

async fn only_the_last_receipts_are_kept(f: Fixture) {
    let s = &f.store;
    for n in 1..=6 {
        assert_eq!(turn(s, "c1", n, None).await, CommitResult::Committed);
    }
    for n in 1..=6u64 {
        let kept = n > 6 - WINDOW as u64;
        let id = format!("c1-t{n}");
        assert_eq!(s.receipt("acme", "c1", &id).await.unwrap().is_some(), kept);
        assert_eq!(s.receipt_at("acme", "c1", n).await.unwrap().is_some(), kept);
    }
}

async fn events_are_leased_oldest_first_released_acked_and_redelivered(f: Fixture) {
    let s = &f.store;
    for c in ["c1", "c2", "c3"] {
        turn(
            s,
            c,
            1,
            Some(event(c, 1, "billing", ReasonCode::ExplicitRequest)),
        )
        .await;
    }
    let g = group("router");
    let first = s.claim(&g, 2, LEASE).await.unwrap();
    assert_eq!(ids(&first), ["ev-c1-1", "ev-c2-1"]);
    assert!(first.iter().all(|e| e.redeliveries == 0));
    assert_eq!(
        first[0],
        event("c1", 1, "billing", ReasonCode::ExplicitRequest)
    );
    let second = s.claim(&g, 10, LEASE).await.unwrap();
    assert_eq!(ids(&second), ["ev-c3-1"]);
    assert!(s.claim(&g, 10, LEASE).await.unwrap().is_empty());

    s.release("router", &["ev-c1-1".into()]).await.unwrap();
    let again = s.claim(&g, 10, LEASE).await.unwrap();
    assert_eq!(ids(&again), ["ev-c1-1"]);
    assert_eq!(again[0].redeliveries, 1);

    let acked = s
        .ack(
            "router",
            &["ev-c1-1".into(), "ev-c2-1".into(), "nope".into()],
        )
        .await
        .unwrap();
    assert_eq!(acked, 2);
    assert_eq!(s.ack("router", &["ev-c1-1".into()]).await.unwrap(), 0);
    // Released after an ack: stays delivered.
    s.release("router", &["ev-c1-1".into()]).await.unwrap();

    // Short leases expire on their own; only the unacknowledged event comes back.
    let short = Duration::from_secs(1);
    s.release("router", &["ev-c3-1".into()]).await.unwrap();
    let leased_at = std::time::Instant::now();
    let leased = s.claim(&g, 10, short).await.unwrap();
    assert_eq!(ids(&leased), ["ev-c3-1"]);
    assert!(s.claim(&g, 10, short).await.unwrap().is_empty());
    tokio::time::sleep((short + Duration::from_millis(300)).saturating_sub(leased_at.elapsed()))
        .await;
    let redelivered = s.claim(&g, 10, LEASE).await.unwrap();
    assert_eq!(ids(&redelivered), ["ev-c3-1"]);
    assert_eq!(redelivered[0].redeliveries, 2);
}

/// A context with something in every part, as a handoff carries it.
fn full_context(turns: usize) -> HandoffContext {
    use escalation_router::domain::{
        Channel, CollectedEntity, EmotionPoint, EmotionTimeline, Priority, Role, Summary,
        TranscriptTurn,
    };
    HandoffContext {
        transcript: (0..turns)
            .map(|i| TranscriptTurn {
                turn_id: format!("t{i}"),
                role: if i % 2 == 0 {
                    Role::Customer
                } else {
                    Role::Bot
                },
                text: format!("Turn {i}: meine Bestellung 4711-{i} ist nicht angekommen ü"),
                time_ms: 1_000 + i as i64,
                signals: vec!["bot_fallback".into()],
                intent: "order_status".into(),
            })
            .collect(),
        reasons: vec![Reason {
            code: ReasonCode::ExplicitRequest,
            detail: "human".into(),
            weight: 0.75,
            turn_ids: vec!["t0".into()],
            matched: vec!["Mitarbeiter".into()],
        }],
        summary: Summary {
            goal: "Lieferung".into(),
            tried: vec!["Ausweichantwort des Bots".into()],
            reason: "Wunsch".into(),
            suggested_opening: "Hallo".into(),
        },
        entities: vec![CollectedEntity {
            kind: "order_number".into(),
            value: "4711-0".into(),
            turn_id: "t0".into(),
            source: "text".into(),
        }],
        emotion_timeline: EmotionTimeline {
            points: vec![EmotionPoint {
                turn_id: "t0".into(),
                negative: 0.3,
                escalation: 0.1,
            }],
            peak: None,
            current: 0.1,
        },
        customer: Some(CustomerProfile {
            customer_id: "k-7".into(),
            ..Default::default()
        }),
        channel: Channel::Webchat,
        language: "de".into(),
        seconds_since_first_problem: 12.5,
        route: Route {
            queue: "q".into(),
            skills: vec!["billing".into()],
            language: "de".into(),
        },
        priority: Priority::High,
        metadata: [("order".to_string(), "4711".to_string())].into(),
        waiting_turn_ids: vec![format!("t{}", turns - 1)],
    }
}

/// Events go out exactly as committed, whole, to every group, before and after acknowledgement,
/// and the state with them (the in-memory store packs events and states, and the open context
/// once for both).
async fn delivered_events_are_the_events_committed(f: Fixture) {
    use escalation_router::domain::{HandoffEventKind, OpenHandoff};
    // Built afresh for each use, so the store holds the only reference to what it was given.
    let committed = |n: u32| {
        let mut ev = event("c1", n, "q", ReasonCode::ExplicitRequest);
        ev.context = Arc::new(full_context(n as usize + 2));
        if n > 1 {
            ev.kind = HandoffEventKind::Updated;
        }
        ev
    };
    // As the engine commits it: the open handoff shares the event's context.
    let state = |n: u32, ev: &HandoffEvent| ConversationState {
        open_handoff: Some(OpenHandoff {
            handoff_id: ev.handoff_id.clone(),
            context: Some(Arc::clone(&ev.context)),
            ..Default::default()
        }),
        ..conversation("c1", n.into(), n.into())
    };
    for n in 1..=3 {
        let ev = committed(n);
        let result = commit_with_event(&f.store, state(n, &ev), n.into(), ev).await;
        assert_eq!(result, CommitResult::Committed);
    }
    let s = &f.store;
    assert_eq!(
        s.load("acme", "c1").await.unwrap().as_deref(),
        Some(&state(3, &committed(3)))
    );
    assert_eq!(
        s.claim(&group("a"), 10, LEASE).await.unwrap(),
        [committed(1)]
    );
    s.ack("a", &["ev-c1-1".into()]).await.unwrap();
    assert_eq!(
        s.claim(&group("b"), 10, LEASE).await.unwrap(),
        [committed(1)]
    );
    s.release("b", &["ev-c1-1".into()]).await.unwrap();
    assert_eq!(
        s.claim(&group("b"), 10, LEASE).await.unwrap(),
        [HandoffEvent {
            redeliveries: 1,
            ..committed(1)
        }]
    );
    // The first event is purged (a group acknowledged it); the later ones are intact.
    assert_eq!(s.expire(0, i64::MAX).await.unwrap(), (0, 1));
    for n in 2..=3 {
        assert_eq!(
            s.claim(&group("a"), 10, LEASE).await.unwrap(),
            [committed(n)]
        );
        s.ack("a", &[format!("ev-c1-{n}")]).await.unwrap();
    }
    assert_eq!(
        s.claim(&group("c"), 10, LEASE).await.unwrap(),
        [committed(2)]
    );
}

async fn commit_with_event(
    s: &SharedStore,
    state: ConversationState,
    n: u64,
    ev: HandoffEvent,
) -> CommitResult {
    s.commit(Commit {
        state,
        expected_version: n - 1,
        receipt: Some(receipt(&format!("c1-t{n}"), n)),
        event: Some(ev),
    })
    .await
    .unwrap()
}

async fn backlog_counts_matching_events_the_group_has_not_acknowledged(f: Fixture) {
    let s = &f.store;
    turn(
        s,
        "c1",
        1,
        Some(event("c1", 1, "billing", ReasonCode::Abuse)),
    )
    .await;
    turn(
        s,
        "c1",
        2,
        Some(event("c1", 2, "billing", ReasonCode::Abuse)),
    )
    .await;
    turn(s, "c2", 1, Some(event("c2", 1, "tech", ReasonCode::Abuse))).await;
    let all = group("router");
    let billing = FeedFilter {
        queues: vec!["billing".into()],
        ..group("router")
    };
    let elsewhere = FeedFilter {
        tenant_id: Some("globex".into()),
        ..group("router")
    };
    assert_eq!(s.backlog(&all).await.unwrap(), 3);
    assert_eq!(s.backlog(&billing).await.unwrap(), 2);
    assert_eq!(s.backlog(&elsewhere).await.unwrap(), 0);
    // Leased is still backlog; acknowledged is not; another group's acks do not count.
    let leased = s.claim(&all, 10, LEASE).await.unwrap();
    assert_eq!(ids(&leased), ["ev-c1-1", "ev-c2-1"]);
    assert_eq!(s.backlog(&all).await.unwrap(), 3);
    s.ack("router", &["ev-c1-1".into()]).await.unwrap();
    assert_eq!(s.backlog(&all).await.unwrap(), 2);
    assert_eq!(s.backlog(&billing).await.unwrap(), 1);
    assert_eq!(s.backlog(&group("audit")).await.unwrap(), 3);
}

async fn a_conversations_events_go_out_one_at_a_time_in_order(f: Fixture) {
    let s = &f.store;
    for n in 1..=3u64 {
        let ev = event("c1", n as u32, "billing", ReasonCode::ExplicitRequest);
        turn(s, "c1", n, Some(ev)).await;
    }
    turn(
        s,
        "c2",
        1,
        Some(event("c2", 1, "billing", ReasonCode::Abuse)),
    )
    .await;
    let g = group("router");
    assert_eq!(
        ids(&s.claim(&g, 10, LEASE).await.unwrap()),
        ["ev-c1-1", "ev-c2-1"]
    );
    assert!(s.claim(&g, 10, LEASE).await.unwrap().is_empty());
    // Released but unacknowledged: still first in line.
    s.release("router", &["ev-c1-1".into()]).await.unwrap();
    assert_eq!(ids(&s.claim(&g, 10, LEASE).await.unwrap()), ["ev-c1-1"]);
    assert_eq!(s.ack("router", &["ev-c1-1".into()]).await.unwrap(), 1);
    assert_eq!(ids(&s.claim(&g, 10, LEASE).await.unwrap()), ["ev-c1-2"]);
    assert_eq!(s.ack("router", &["ev-c1-2".into()]).await.unwrap(), 1);
    assert_eq!(ids(&s.claim(&g, 10, LEASE).await.unwrap()), ["ev-c1-3"]);
    // Another group starts from the beginning of each conversation.
    assert_eq!(
        ids(&s.claim(&group("audit"), 10, LEASE).await.unwrap()),
        ["ev-c1-1", "ev-c2-1"]
    );
    // An older event outside a group's queues does not hold its later ones back.
    turn(s, "c3", 1, Some(event("c3", 1, "tech", ReasonCode::Abuse))).await;
    turn(
        s,
        "c3",
        2,
        Some(event("c3", 2, "billing", ReasonCode::Abuse)),
    )
    .await;
    let billing = FeedFilter {
        consumer: "billing-only".into(),
        tenant_id: None,
        queues: vec!["billing".into()],
    };
    assert_eq!(
        ids(&s.claim(&billing, 10, LEASE).await.unwrap()),
        ["ev-c1-1", "ev-c2-1", "ev-c3-2"]
    );
}

async fn consumer_groups_have_their_own_delivery_state(f: Fixture) {
    let s = &f.store;
    turn(s, "c1", 1, Some(event("c1", 1, "q", ReasonCode::Abuse))).await;
    turn(s, "c2", 1, Some(event("c2", 1, "q", ReasonCode::Abuse))).await;
    assert_eq!(
        ids(&s.claim(&group("a"), 10, LEASE).await.unwrap()).len(),
        2
    );
    assert_eq!(s.ack("a", &["ev-c1-1".into()]).await.unwrap(), 1);
    let b = s.claim(&group("b"), 10, LEASE).await.unwrap();
    assert_eq!(ids(&b), ["ev-c1-1", "ev-c2-1"]);
    assert!(b.iter().all(|e| e.redeliveries == 0));
    assert_eq!(s.ack("b", &["ev-c2-1".into()]).await.unwrap(), 1);
    s.release("a", &["ev-c2-1".into()]).await.unwrap();
    assert_eq!(
        ids(&s.claim(&group("a"), 10, LEASE).await.unwrap()),
        ["ev-c2-1"]
    );
}

async fn filters_select_tenant_and_queues(f: Fixture) {
    let s = &f.store;
    turn(
        s,
        "c1",
        1,
        Some(event("c1", 1, "billing", ReasonCode::Abuse)),
    )
    .await;
    turn(s, "c2", 1, Some(event("c2", 1, "tech", ReasonCode::Abuse))).await;
    let mut other = event("c3", 1, "billing", ReasonCode::Abuse);
    other.tenant_id = "globex".into();
    s.commit(Commit {
        state: ConversationState::new("globex", "c3", 5),
        expected_version: 0,
        receipt: None,
        event: Some(other),
    })
    .await
    .unwrap();
    let billing = FeedFilter {
        consumer: "billing".into(),
        tenant_id: Some("acme".into()),
        queues: vec!["billing".into()],
    };
    assert_eq!(
        ids(&s.claim(&billing, 10, LEASE).await.unwrap()),
        ["ev-c1-1"]
    );
    let globex = FeedFilter {
        consumer: "g".into(),
        tenant_id: Some("globex".into()),
        queues: vec![],
    };
    assert_eq!(
        ids(&s.claim(&globex, 10, LEASE).await.unwrap()),
        ["ev-c3-1"]
    );
    let queues = FeedFilter {
        consumer: "q".into(),
        tenant_id: None,
        queues: vec!["tech".into(), "billing".into()],
    };
    assert_eq!(
        ids(&s.claim(&queues, 10, LEASE).await.unwrap()),
        ["ev-c1-1", "ev-c2-1", "ev-c3-1"]
    );
}

fn outcome(conversation_id: &str, n: u32, verdict: Verdict, satisfaction: u32) -> OutcomeRecord {
    OutcomeRecord {
        tenant_id: "acme".into(),
        conversation_id: conversation_id.into(),
        handoff_id: format!("h-{conversation_id}-{n}"),
        resolved: verdict == Verdict::Needed,
        satisfaction,
        verdict,
    }
}

async fn outcomes_add_up_to_quality_per_tenant_and_reason(f: Fixture) {
    let s = &f.store;
    turn(
        s,
        "c1",
        1,
        Some(event("c1", 1, "q", ReasonCode::ExplicitRequest)),
    )
    .await;
    turn(
        s,
        "c2",
        1,
        Some(event("c2", 2, "q", ReasonCode::ExplicitRequest)),
    )
    .await;
    turn(s, "c3", 1, Some(event("c3", 0, "q", ReasonCode::Abuse))).await;
    s.record_outcome(outcome("c1", 1, Verdict::Needed, 5))
        .await
        .unwrap();
    s.record_outcome(outcome("c2", 2, Verdict::NotNeeded, 0))
        .await
        .unwrap();
    s.record_outcome(outcome("c3", 0, Verdict::TooLate, 2))
        .await
        .unwrap();
    // An outcome for a handoff never committed is refused and counts nowhere.
    assert!(
        !s.record_outcome(outcome("zz", 9, Verdict::Needed, 1))
            .await
            .unwrap()
    );
    let rows = s.quality(Some("acme")).await.unwrap();
    let labels: Vec<(&str, u64, u64)> = rows
        .iter()
        .map(|r| (r.reason.as_str(), r.handoffs, r.outcomes))
        .collect();
    let abuse = ReasonCode::Abuse.label();
    let explicit = ReasonCode::ExplicitRequest.label();
    let mut expected = vec![(abuse, 1, 1), (explicit, 2, 2)];
    expected.sort();
    assert_eq!(labels, expected);
    let ex = rows.iter().find(|r| r.reason == explicit).unwrap();
    assert_eq!(
        (
            ex.resolved,
            ex.verdict_needed,
            ex.verdict_not_needed,
            ex.verdict_too_late
        ),
        (1, 1, 1, 0)
    );
    assert_eq!((ex.satisfaction_sum, ex.satisfaction_count), (5, 1));
    assert!((ex.seconds_to_handoff_sum - (3.0 + 4.5)).abs() < 1e-9);
    assert_eq!(s.quality(None).await.unwrap(), rows);
    assert!(s.quality(Some("globex")).await.unwrap().is_empty());
}

async fn one_outcome_per_handoff_a_repeat_replaces_it_and_only_the_tenant_has_it(f: Fixture) {
    let s = &f.store;
    turn(
        s,
        "c1",
        1,
        Some(event("c1", 1, "q", ReasonCode::ExplicitRequest)),
    )
    .await;
    let counts = |rows: &[QualityRow]| {
        rows.iter()
            .map(|r| {
                (
                    r.outcomes,
                    r.verdict_needed,
                    r.verdict_not_needed,
                    r.satisfaction_sum,
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(
        s.record_outcome(outcome("c1", 1, Verdict::Needed, 5))
            .await
            .unwrap()
    );
    // The same report again (a router retrying) leaves the figures as they were.
    assert!(
        s.record_outcome(outcome("c1", 1, Verdict::Needed, 5))
            .await
            .unwrap()
    );
    assert_eq!(
        counts(&s.quality(Some("acme")).await.unwrap()),
        [(1, 1, 0, 5)]
    );
    // A different one replaces it.
    assert!(
        s.record_outcome(outcome("c1", 1, Verdict::NotNeeded, 2))
            .await
            .unwrap()
    );
    assert_eq!(
        counts(&s.quality(Some("acme")).await.unwrap()),
        [(1, 0, 1, 2)]
    );
    // Another tenant naming the handoff finds none, and changes nothing.
    let foreign = OutcomeRecord {
        tenant_id: "globex".into(),
        ..outcome("c1", 1, Verdict::Needed, 5)
    };
    assert!(!s.record_outcome(foreign).await.unwrap());
    assert_eq!(
        counts(&s.quality(Some("acme")).await.unwrap()),
        [(1, 0, 1, 2)]
    );
    assert!(s.quality(Some("globex")).await.unwrap().is_empty());
}

async fn quality_keeps_language_channel_and_queue(f: Fixture) {
    use escalation_router::domain::Channel;
    use escalation_router::state::quality::{Dimension, regroup};
    let s = &f.store;
    let with = |c: &str, queue: &str, language: &str, channel: Channel| {
        let mut e = event(c, 1, queue, ReasonCode::ExplicitRequest);
        let context = std::sync::Arc::make_mut(&mut e.context);
        context.language = language.into();
        context.channel = channel;
        e
    };
    turn(
        s,
        "c1",
        1,
        Some(with("c1", "support", "de", Channel::Webchat)),
    )
    .await;
    turn(
        s,
        "c2",
        1,
        Some(with("c2", "support", "en", Channel::Voice)),
    )
    .await;
    turn(
        s,
        "c3",
        1,
        Some(with("c3", "retention", "de", Channel::Voice)),
    )
    .await;
    s.record_outcome(outcome("c3", 1, Verdict::Needed, 4))
        .await
        .unwrap();
    let rows = s.quality(Some("acme")).await.unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let sums = |by| {
        regroup(&rows, by)
            .into_iter()
            .map(|r| {
                let key = match by {
                    Dimension::Language => r.language,
                    Dimension::Channel => r.channel,
                    Dimension::Queue => r.queue,
                    Dimension::Reason => r.reason,
                };
                (key, r.handoffs, r.verdict_needed)
            })
            .collect::<Vec<_>>()
    };
    let t = |k: &str, h, n| (k.to_string(), h, n);
    assert_eq!(sums(Dimension::Language), [t("de", 2, 1), t("en", 1, 0)]);
    assert_eq!(
        sums(Dimension::Channel),
        [t("voice", 2, 1), t("webchat", 1, 0)]
    );
    assert_eq!(
        sums(Dimension::Queue),
        [t("retention", 1, 1), t("support", 2, 0)]
    );
    assert_eq!(sums(Dimension::Reason), [t("explicit_request", 3, 1)]);
}

async fn forget_erases_a_conversation_or_a_customer(f: Fixture) {
    let s = &f.store;
    for (id, customer) in [("c1", "k1"), ("c2", "k2"), ("c3", "k2"), ("c4", "k3")] {
        let mut st = conversation(id, 1, 1);
        st.customer = Some(CustomerProfile {
            customer_id: customer.into(),
            ..Default::default()
        });
        s.commit(Commit {
            state: st,
            expected_version: 0,
            receipt: Some(receipt(&format!("{id}-t1"), 1)),
            event: Some(event(id, 1, "q", ReasonCode::Abuse)),
        })
        .await
        .unwrap();
        s.record_outcome(outcome(id, 1, Verdict::Needed, 4))
            .await
            .unwrap();
    }
    assert_eq!(s.forget("acme", Some("c1"), None).await.unwrap(), 1);
    assert_eq!(s.forget("acme", None, Some("k2")).await.unwrap(), 2);
    assert_eq!(s.forget("globex", Some("c4"), Some("k3")).await.unwrap(), 0);
    assert_eq!(s.forget("acme", Some("c1"), None).await.unwrap(), 0);
    for id in ["c1", "c2", "c3"] {
        assert_eq!(s.load("acme", id).await.unwrap(), None, "{id}");
        let t = format!("{id}-t1");
        assert_eq!(s.receipt("acme", id, &t).await.unwrap(), None, "{id}");
    }
    assert!(s.load("acme", "c4").await.unwrap().is_some());
    assert_eq!(
        ids(&s.claim(&group("g"), 10, LEASE).await.unwrap()),
        ["ev-c4-1"]
    );
    let rows = s.quality(Some("acme")).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.outcomes).sum::<u64>(), 1);
}

async fn expire_drops_idle_conversations_and_old_delivered_events(f: Fixture) {
    let s = &f.store;
    // c1 idle since 1_001, c2 and c3 updated at 1_003; events created at 1_001 (acked), 1_001 (not
    // acked) and 1_003 (acked but recent).
    turn(s, "c1", 1, Some(event("c1", 1, "q", ReasonCode::Abuse))).await;
    turn(s, "c2", 1, Some(event("c2", 1, "q", ReasonCode::Abuse))).await;
    turn(s, "c3", 1, None).await;
    for n in 2..=3 {
        turn(s, "c2", n, None).await;
    }
    turn(s, "c3", 2, None).await;
    turn(s, "c3", 3, Some(event("c3", 3, "q", ReasonCode::Abuse))).await;
    assert_eq!(s.claim(&group("g"), 10, LEASE).await.unwrap().len(), 3);
    let acked = s
        .ack("g", &["ev-c1-1".into(), "ev-c3-3".into()])
        .await
        .unwrap();
    assert_eq!(acked, 2);
    assert_eq!(s.expire(1_002, 1_003).await.unwrap(), (1, 1));
    assert_eq!(s.load("acme", "c1").await.unwrap(), None);
    assert_eq!(s.receipt("acme", "c1", "c1-t1").await.unwrap(), None);
    assert!(s.load("acme", "c2").await.unwrap().is_some());
    assert!(s.receipt("acme", "c2", "c2-t1").await.unwrap().is_some());
    assert_eq!(s.expire(0, 0).await.unwrap(), (0, 0));
    s.release("g", &["ev-c2-1".into()]).await.unwrap();
    assert_eq!(
        ids(&s.claim(&group("g"), 10, LEASE).await.unwrap()),
        ["ev-c2-1"]
    );
    // A new group sees what is left: the purged event is gone.
    assert_eq!(
        ids(&s.claim(&group("new"), 10, LEASE).await.unwrap()),
        ["ev-c2-1", "ev-c3-3"]
    );
    // The expired conversation starts afresh.
    assert_eq!(turn(s, "c1", 1, None).await, CommitResult::Committed);
}

async fn appended_events_wake_subscribers(f: Fixture) {
    let s = &f.store;
    let notify = s.event_notify();
    let woken = notify.notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    turn(s, "c1", 1, Some(event("c1", 1, "q", ReasonCode::Abuse))).await;
    tokio::time::timeout(Duration::from_secs(5), woken)
        .await
        .expect("a commit with an event notifies");
}

async fn racing_writers_each_commit_every_turn_once(f: Fixture) {
    // Two store objects when durable (two replicas / two processes), one otherwise.
    let stores = if f.durable {
        vec![f.store.clone(), f.reopen().await]
    } else {
        vec![f.store.clone(), f.store.clone()]
    };
    let writers = 6;
    let per_writer = 15u64;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let s = stores[w % stores.len()].clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0;
            for i in 0..per_writer {
                let turn_id = format!("w{w}-{i}");
                loop {
                    let cur = s.load("acme", "hot").await.unwrap();
                    let v = cur.map(|c| c.version).unwrap_or(0);
                    let r = s
                        .commit(Commit {
                            state: conversation("hot", v + 1, v + 1),
                            expected_version: v,
                            receipt: Some(receipt(&turn_id, v + 1)),
                            event: None,
                        })
                        .await
                        .unwrap();
                    match r {
                        CommitResult::Committed => break,
                        CommitResult::Conflict => conflicts += 1,
                        CommitResult::Duplicate(_) => panic!("turn {turn_id} committed twice"),
                    }
                }
            }
            conflicts
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let total = writers as u64 * per_writer;
    // What the file or database holds (a SQLite store answers loads of the conversations it
    // committed from its own copy, which the other store object's last turns made stale).
    let end = if f.durable {
        f.reopen().await
    } else {
        f.store.clone()
    };
    let end = end.load("acme", "hot").await.unwrap().unwrap();
    assert_eq!(end.version, total);
    // Every turn id got exactly one sequence number: the last WINDOW receipts are distinct turns.
    let mut seen = std::collections::HashSet::new();
    for seq in total + 1 - WINDOW as u64..=total {
        let r = f
            .store
            .receipt_at("acme", "hot", seq)
            .await
            .unwrap()
            .unwrap();
        assert!(seen.insert(r.turn_id));
    }
}

async fn concurrent_claimers_of_a_group_never_share_a_lease(f: Fixture) {
    for c in 0..30 {
        let id = format!("c{c}");
        turn(
            &f.store,
            &id,
            1,
            Some(event(&id, 1, "q", ReasonCode::Abuse)),
        )
        .await;
    }
    let stores = if f.durable {
        vec![f.store.clone(), f.reopen().await]
    } else {
        vec![f.store.clone(), f.store.clone()]
    };
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let s = stores[i % 2].clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..10 {
                    got.extend(ids(&s.claim(&group("g"), 2, LEASE).await.unwrap()));
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: std::collections::HashSet<_> = all.iter().collect();
    assert_eq!(
        distinct.len(),
        all.len(),
        "an event was leased twice: {all:?}"
    );
    assert_eq!(all.len(), 30);
}

async fn a_reopened_store_continues_and_redelivers_unacknowledged_events(mut f: Fixture) {
    let store = std::mem::replace(&mut f.store, state::open("memory", WINDOW).await.unwrap());
    let s = &store;
    turn(s, "c1", 1, Some(event("c1", 1, "q", ReasonCode::Abuse))).await;
    turn(s, "c1", 2, Some(event("c1", 2, "q", ReasonCode::Abuse))).await;
    assert_eq!(
        ids(&s.claim(&group("g"), 10, LEASE).await.unwrap()),
        ["ev-c1-1"]
    );
    assert_eq!(s.ack("g", &["ev-c1-1".into()]).await.unwrap(), 1);
    assert_eq!(
        ids(&s.claim(&group("g"), 10, LEASE).await.unwrap()),
        ["ev-c1-2"]
    );
    s.record_outcome(outcome("c1", 1, Verdict::Needed, 3))
        .await
        .unwrap();
    let quality = s.quality(None).await.unwrap();
    // The process ends: its store (and, for PostgreSQL, its sessions) are gone.
    assert_eq!(Arc::strong_count(&store), 1);
    drop(store);
    let again = state::open(&f.url, WINDOW).await.unwrap();
    assert_eq!(
        again.load("acme", "c1").await.unwrap(),
        Some(Arc::new(conversation("c1", 2, 2)))
    );
    assert_eq!(
        again.receipt("acme", "c1", "c1-t2").await.unwrap(),
        Some(receipt("c1-t2", 2))
    );
    assert_eq!(
        turn(&again, "c1", 2, None).await,
        CommitResult::Duplicate(Box::new(receipt("c1-t2", 2)))
    );
    assert_eq!(turn(&again, "c1", 3, None).await, CommitResult::Committed);
    // The process holding the lease is gone: its event goes out again long before the lease
    // (a minute) runs out.
    let back = claim_within(&again, &group("g"), Duration::from_secs(20)).await;
    assert_eq!(ids(&back), ["ev-c1-2"]);
    assert_eq!(back[0].redeliveries, 1);
    assert_eq!(again.quality(None).await.unwrap(), quality);
}

/// Claims until something comes, for at most `bound` (PostgreSQL notices a closed session a moment
/// after the client is gone); the bound is far below the leases being waited out.
async fn claim_within(s: &SharedStore, filter: &FeedFilter, bound: Duration) -> Vec<HandoffEvent> {
    let start = std::time::Instant::now();
    loop {
        let got = s.claim(filter, 10, LEASE).await.unwrap();
        if !got.is_empty() || start.elapsed() > bound {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two live replicas: one's leases are not the other's to take.
async fn a_live_replicas_leases_hold(f: Fixture) {
    turn(
        &f.store,
        "c1",
        1,
        Some(event("c1", 1, "q", ReasonCode::Abuse)),
    )
    .await;
    assert_eq!(
        ids(&f.store.claim(&group("g"), 10, LEASE).await.unwrap()),
        ["ev-c1-1"]
    );
    let other = f.reopen().await;
    assert!(
        other
            .claim(&group("g"), 10, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    f.store.release("g", &["ev-c1-1".into()]).await.unwrap();
    assert_eq!(
        ids(&other.claim(&group("g"), 10, LEASE).await.unwrap()),
        ["ev-c1-1"]
    );
}

fn queue(agents: u32, open: bool, at: i64) -> QueueStatus {
    QueueStatus {
        agents_available: agents,
        expected_wait_seconds: 30 * agents,
        open,
        updated_ms: at,
    }
}

/// Routers' queue status is kept by the store: merged per queue, per tenant, and (durable stores)
/// still there after a restart.
async fn queue_status_is_merged_per_tenant_and_kept(f: Fixture) {
    let s = &f.store;
    assert!(s.queues("acme").await.unwrap().is_empty());
    s.update_queues(
        "acme",
        vec![
            ("billing".into(), queue(2, true, 10)),
            ("tech".into(), queue(0, false, 10)),
        ],
    )
    .await
    .unwrap();
    s.update_queues("acme", vec![("tech".into(), queue(5, true, 20))])
        .await
        .unwrap();
    s.update_queues("globex", vec![("billing".into(), queue(9, true, 30))])
        .await
        .unwrap();
    let expected: std::collections::BTreeMap<String, QueueStatus> = [
        ("billing".to_string(), queue(2, true, 10)),
        ("tech".to_string(), queue(5, true, 20)),
    ]
    .into();
    assert_eq!(*s.queues("acme").await.unwrap(), expected);
    assert_eq!(s.queues("globex").await.unwrap().len(), 1);
    if f.durable {
        drop(f.store);
        let again = state::open(&f.url, WINDOW).await.unwrap();
        assert_eq!(*again.queues("acme").await.unwrap(), expected);
    }
}

/// What a router tells one replica, every replica decides with (after the change is announced).
async fn queue_status_told_to_one_replica_reaches_the_others(f: Fixture) {
    let (a, b) = (f.store.clone(), f.reopen().await);
    assert!(b.queues("acme").await.unwrap().is_empty());
    a.update_queues("acme", vec![("billing".into(), queue(0, false, 10))])
        .await
        .unwrap();
    let start = std::time::Instant::now();
    while b.queues("acme").await.unwrap().is_empty() && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        b.queues("acme").await.unwrap().get("billing"),
        Some(&queue(0, false, 10))
    );
}

/// Runs each case against one store kind.
macro_rules! conformance {
    ($kind:ident: $($case:ident),* $(,)?) => {
        mod $kind {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(super::Fixture::$kind().await).await;
                }
            )*
        }
    };
}

macro_rules! every_store {
    ($($kind:ident),*) => {
        $(conformance!($kind:
            a_committed_turn_is_loaded_with_its_receipt,
            a_stale_version_conflicts_and_changes_nothing,
            a_repeated_turn_id_is_a_duplicate_with_the_first_receipt,
            only_the_last_receipts_are_kept,
            events_are_leased_oldest_first_released_acked_and_redelivered,
            delivered_events_are_the_events_committed,
            backlog_counts_matching_events_the_group_has_not_acknowledged,
            a_conversations_events_go_out_one_at_a_time_in_order,
            consumer_groups_have_their_own_delivery_state,
            filters_select_tenant_and_queues,
            outcomes_add_up_to_quality_per_tenant_and_reason,
            one_outcome_per_handoff_a_repeat_replaces_it_and_only_the_tenant_has_it,
            quality_keeps_language_channel_and_queue,
            forget_erases_a_conversation_or_a_customer,
            expire_drops_idle_conversations_and_old_delivered_events,
            appended_events_wake_subscribers,
            racing_writers_each_commit_every_turn_once,
            concurrent_claimers_of_a_group_never_share_a_lease,
            queue_status_is_merged_per_tenant_and_kept,
        );)*
    };
}

every_store!(memory, memory_packed, sqlite, postgres);

mod durable {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_a_live_replicas_leases_hold() {
        super::a_live_replicas_leases_hold(super::Fixture::postgres().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_queue_status_told_to_one_replica_reaches_the_others() {
        super::queue_status_told_to_one_replica_reaches_the_others(
            super::Fixture::postgres().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_reopened_store_continues_and_redelivers_unacknowledged_events() {
        super::a_reopened_store_continues_and_redelivers_unacknowledged_events(
            super::Fixture::sqlite().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_reopened_store_continues_and_redelivers_unacknowledged_events() {
        super::a_reopened_store_continues_and_redelivers_unacknowledged_events(
            super::Fixture::postgres().await,
        )
        .await;
    }
}

/// PostgreSQL over TLS: the test server (`support/pg.rs`) runs with `ssl=on` and a certificate
/// from a CA made at start; the role `tls_only` is refused without TLS.
mod tls {
    use super::*;

    /// A database owned by `tls_only`; returns (host:port, database name).
    async fn tls_only_database() -> (String, String) {
        let url = pg::database("tls").await;
        let config: tokio_postgres::Config = url.parse().unwrap();
        let name = config.get_dbname().unwrap().to_string();
        let port = config.get_ports()[0];
        let (client, connection) = tokio_postgres::connect(pg::admin_url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "DO $$ BEGIN CREATE ROLE tls_only LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
                 ALTER DATABASE {name} OWNER TO tls_only;"
            ))
            .await
            .unwrap();
        (format!("127.0.0.1:{port}"), name)
    }

    async fn round_trip(store: &SharedStore) {
        assert_eq!(turn(store, "c1", 1, None).await, CommitResult::Committed);
        assert_eq!(
            store.load("acme", "c1").await.unwrap(),
            Some(Arc::new(conversation("c1", 1, 1)))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_store_verifying_the_servers_certificate_commits_over_tls() {
        let (host, db) = tls_only_database().await;
        let ca = pg::ca_file();
        for mode in ["verify-full", "verify-ca", "require"] {
            let url = format!(
                "postgres://tls_only@{host}/{db}?sslmode={mode}&sslrootcert={}",
                ca.display()
            );
            let store = state::open(&url, WINDOW)
                .await
                .unwrap_or_else(|e| panic!("{mode}: {e}"));
            store.forget("acme", Some("c1"), None).await.unwrap();
            round_trip(&store).await;
        }
        // `require` without a root certificate: encrypted, not authenticated (libpq's meaning).
        let url = format!("postgres://tls_only@{host}/{db}?sslmode=require");
        let store = state::open(&url, WINDOW).await.unwrap();
        assert!(store.load("acme", "c1").await.unwrap().is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_tls_the_tls_only_role_is_refused() {
        let (host, db) = tls_only_database().await;
        for query in ["", "?sslmode=disable"] {
            let url = format!("postgres://tls_only@{host}/{db}{query}");
            let err = state::open(&url, WINDOW).await.err().expect("refused");
            assert!(err.to_string().contains("pg_hba"), "{err}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_certificate_from_another_ca_or_for_another_host_is_refused() {
        let (host, db) = tls_only_database().await;
        let dir = tempfile::tempdir().unwrap();
        let other = dir.path().join("other-ca.pem");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap())
            .unwrap();
        std::fs::write(&other, ca.pem()).unwrap();
        let url = format!(
            "postgres://tls_only@{host}/{db}?sslmode=verify-full&sslrootcert={}",
            other.display()
        );
        let err = state::open(&url, WINDOW).await.err().expect("refused");
        assert!(err.to_string().contains("certificate"), "{err}");
        // The right CA, but a host name the certificate does not name: verify-full refuses,
        // verify-ca (chain only) accepts.
        let port = host.rsplit(':').next().unwrap();
        let ca = pg::ca_file();
        let by_name = |mode: &str| {
            format!(
                "postgres://tls_only@127.0.0.2:{port}/{db}?sslmode={mode}&sslrootcert={}",
                ca.display()
            )
        };
        let err = state::open(&by_name("verify-full"), WINDOW)
            .await
            .err()
            .expect("refused");
        assert!(err.to_string().contains("certificate"), "{err}");
        state::open(&by_name("verify-ca"), WINDOW).await.unwrap();
    }

    #[test]
    fn verifying_modes_need_a_root_certificate_and_unknown_modes_are_named() {
        let err = "postgres://u@h/d?sslmode=verify-full"
            .parse::<state::StoreUrl>()
            .unwrap_err();
        assert!(err.contains("sslrootcert"), "{err}");
        let err = "postgres://u@h/d?sslmode=sometimes"
            .parse::<state::StoreUrl>()
            .unwrap_err();
        assert!(err.contains("sslmode=sometimes"), "{err}");
        assert!(
            "postgres://u@h/d?sslmode=verify-ca&sslrootcert=/x.pem&application_name=er"
                .parse::<state::StoreUrl>()
                .is_ok()
        );
    }
}
