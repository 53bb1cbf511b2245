//! Property tests: arbitrary bytes and arbitrary turns through decoding, validation, detection and
//! the whole step never panic, and what validation lets through stays within its limits.

use escalation_router::detect::Detector;
use escalation_router::domain::ConversationState;
use escalation_router::grpc::convert::{self, Limits};
use escalation_router::pb;
use escalation_router::policy::TenantPolicy;
use escalation_router::step;
use proptest::prelude::*;
use prost::Message;
use std::collections::BTreeMap;
use std::sync::LazyLock;

static DETECTOR: LazyLock<Detector> = LazyLock::new(Detector::default);

const NOW: i64 = 1_764_547_200_000; // 2025-12-01

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-ZäöüßÄÖÜ !?.,:;'\"()0-9€@-]{0,400}",
        prop::sample::select(vec![
            "I want to talk to a human",
            "Das ist eine Frechheit, ich kündige!",
            "no, I don't need a human",
            "my father died",
            "DE89 3704 0044 0532 0130 00",
            "Ich verstehe nicht",
        ])
        .prop_map(str::to_string),
    ]
}

fn short() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z0-9_-]{1,20}"]
}

fn turn() -> impl Strategy<Value = pb::Turn> {
    (
        (short(), short(), text(), -1i32..6, -1i32..8),
        (
            proptest::option::of(any::<u64>()),
            proptest::option::of((any::<i64>(), any::<i32>())),
            short(),
            proptest::option::of((short(), proptest::option::of(any::<f32>()), any::<bool>())),
            prop::collection::btree_map(short(), short(), 0..4),
        ),
        proptest::option::of((any::<bool>(), short(), any::<bool>())),
        proptest::option::of((short(), -1i32..5)),
    )
        .prop_map(
            |(
                (conversation, turn_id, text, role, channel),
                (sequence, time, language, nlu, metadata),
                bot,
                customer,
            )| {
                pb::Turn {
                    tenant_id: "acme".into(),
                    conversation_id: conversation,
                    turn_id,
                    sequence,
                    role,
                    text,
                    time: time.map(|(seconds, nanos)| prost_types::Timestamp { seconds, nanos }),
                    language,
                    channel,
                    nlu: nlu.map(|(intent, confidence, fallback)| pb::NluResult {
                        intent,
                        confidence,
                        fallback,
                        ..Default::default()
                    }),
                    bot: bot.map(|(fallback, action, action_failed)| pb::BotTurnFacts {
                        fallback,
                        action,
                        action_failed,
                    }),
                    customer: customer.map(|(customer_id, tier)| pb::CustomerProfile {
                        customer_id,
                        tier,
                        ..Default::default()
                    }),
                    metadata: metadata.into_iter().collect(),
                }
            },
        )
}

/// Validation, then the whole step over a conversation of these turns; panics are failures.
fn run(turns: Vec<pb::Turn>) {
    let limits = Limits::default();
    let policy = TenantPolicy::default();
    let queues = BTreeMap::new();
    let ids = std::sync::atomic::AtomicU64::new(0);
    let new_id = || {
        format!(
            "id-{}",
            ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )
    };
    let cx = step::Context {
        detector: &DETECTOR,
        policy: &policy,
        queues: &queues,
        history_turns: 50,
        new_id: &new_id,
    };
    let mut state = ConversationState::new("acme", "c", NOW);
    for t in turns {
        let Ok(turn) = convert::turn(Some(t), limits, NOW) else {
            continue;
        };
        assert!(turn.text.len() <= limits.max_text_bytes);
        assert!((turn.time_ms - NOW).abs() <= limits.max_clock_skew_ms);
        let outcome = step::step(state, &turn, &cx);
        let _ = convert::decision(&outcome.decision);
        if let Some(event) = &outcome.event {
            let encoded = convert::event(event).encoded_len();
            assert!(encoded <= 2 * escalation_router::handoff::bound::MAX_CONTEXT_BYTES);
        }
        state = outcome.state;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic_decoding_or_validation(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(req) = pb::ProcessTurnRequest::decode(&bytes[..])
            && let Some(t) = req.turn
        {
            run(vec![t]);
        }
        let _ = pb::SubscribeRequest::decode(&bytes[..]);
        let _ = pb::ReportOutcomeRequest::decode(&bytes[..]);
    }

    #[test]
    fn arbitrary_turns_never_panic_through_validation_detection_and_step(turns in prop::collection::vec(turn(), 1..8)) {
        run(turns);
    }

    #[test]
    fn arbitrary_text_never_panics_detection(text in text()) {
        let turn = pb::Turn {
            tenant_id: "acme".into(),
            conversation_id: "c".into(),
            turn_id: "t".into(),
            role: pb::Role::Customer as i32,
            text,
            ..Default::default()
        };
        run(vec![turn.clone(), pb::Turn { turn_id: "t2".into(), role: pb::Role::Bot as i32, ..turn }]);
    }
}
