//! Property tests: arbitrary bytes and arbitrary turns through decoding, validation, detection and
//! the whole step never panic, and what validation lets through stays within its limits. Time is
//! bounded without a clock: detection's work grows with the turn's size, every field of a validated
//! turn is within its limit (so is the sum), and the largest adversarial texts validation admits go
//! through detection and the step.

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

/// A string of `n` characters drawn from a mix of one-byte and multi-byte ones (up to 4 bytes).
fn sized(max_chars: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![Just('x'), Just('ß'), Just('€'), Just('😀'), any::<char>()],
        0..max_chars,
    )
    .prop_map(String::from_iter)
}

/// Turns whose every string, map and list may be over its limit.
fn oversized_turn() -> impl Strategy<Value = pb::Turn> {
    let l = Limits::default();
    (
        (
            sized(l.max_id_bytes),
            sized(l.max_id_bytes),
            sized(l.max_field_bytes),
        ),
        prop_oneof![
            sized(200),
            (0usize..2 * l.max_text_bytes).prop_map(|n| "na ".repeat(n / 3 + 1))
        ],
        (
            sized(l.max_field_bytes),
            sized(l.max_field_bytes),
            sized(l.max_field_bytes),
        ),
        prop::collection::vec(
            (sized(l.max_field_bytes), sized(l.max_value_bytes / 8)),
            0..l.max_entries + 3,
        ),
        prop::collection::btree_map(
            sized(l.max_field_bytes / 4),
            sized(l.max_value_bytes / 8),
            0..l.max_entries + 3,
        ),
        prop::collection::btree_map(
            sized(l.max_field_bytes / 4),
            sized(l.max_value_bytes / 8),
            0..l.max_entries + 3,
        ),
    )
        .prop_map(
            |(
                (conversation, turn_id, language),
                text,
                (intent, action, customer_id),
                entities,
                metadata,
                attributes,
            )| {
                pb::Turn {
                    tenant_id: "acme".into(),
                    conversation_id: conversation,
                    turn_id,
                    role: pb::Role::Customer as i32,
                    text,
                    language,
                    nlu: Some(pb::NluResult {
                        intent,
                        entities: entities
                            .into_iter()
                            .map(|(name, value)| pb::Entity { name, value })
                            .collect(),
                        ..Default::default()
                    }),
                    bot: Some(pb::BotTurnFacts {
                        action,
                        ..Default::default()
                    }),
                    customer: Some(pb::CustomerProfile {
                        customer_id,
                        attributes: attributes.into_iter().collect(),
                        ..Default::default()
                    }),
                    metadata: metadata.into_iter().collect(),
                    ..Default::default()
                }
            },
        )
}

/// Everything a validated turn carries, in bytes: what detection and the step can be handed is
/// bounded by the limits, whatever the request was.
fn bytes_of(t: &escalation_router::domain::Turn) -> usize {
    let map =
        |m: &BTreeMap<String, String>| m.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    t.tenant_id.len()
        + t.conversation_id.len()
        + t.turn_id.len()
        + t.text.len()
        + t.nlu.as_ref().map_or(0, |n| {
            n.intent.len()
                + n.entities
                    .iter()
                    .map(|e| e.name.len() + e.value.len())
                    .sum::<usize>()
        })
        + t.bot.as_ref().map_or(0, |b| b.action.len())
        + t.customer
            .as_ref()
            .map_or(0, |c| c.customer_id.len() + map(&c.attributes))
        + map(&t.metadata)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Bounded time without a clock: the work per turn is bounded by the turn's size, and this
    /// bounds the size. A turn is either refused or within every limit, field by field.
    #[test]
    fn a_validated_turn_is_within_every_size_limit(t in oversized_turn()) {
        let l = Limits::default();
        if let Ok(turn) = convert::turn(Some(t), l, NOW) {
            prop_assert!(turn.text.len() <= l.max_text_bytes);
            for id in [&turn.tenant_id, &turn.conversation_id, &turn.turn_id] {
                prop_assert!(id.len() <= l.max_id_bytes);
            }
            let nlu = turn.nlu.as_ref().unwrap();
            prop_assert!(nlu.intent.len() <= l.max_field_bytes);
            prop_assert!(nlu.entities.len() <= l.max_entries);
            for e in &nlu.entities {
                prop_assert!(e.name.len() <= l.max_field_bytes && e.value.len() <= l.max_value_bytes);
            }
            prop_assert!(turn.bot.as_ref().unwrap().action.len() <= l.max_field_bytes);
            let customer = turn.customer.as_ref().unwrap();
            prop_assert!(customer.customer_id.len() <= l.max_field_bytes);
            for m in [&customer.attributes, &turn.metadata] {
                prop_assert!(m.len() <= l.max_entries);
                for (k, v) in m {
                    prop_assert!(k.len() <= l.max_field_bytes && v.len() <= l.max_value_bytes);
                }
            }
            let most = l.max_text_bytes
                + 3 * l.max_id_bytes
                + 3 * l.max_field_bytes
                + 3 * l.max_entries * (l.max_field_bytes + l.max_value_bytes);
            prop_assert!(bytes_of(&turn) <= most);
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    /// The largest text validation lets through, made of what detection works hardest on
    /// (requests, negations, emotions, repeats, digits), goes through detection and the step.
    #[test]
    fn detection_completes_on_the_largest_adversarial_texts(
        pieces in prop::collection::vec(prop::sample::select(vec![
            "no, I don't need a human ", "I want to talk to a human ", "nicht ", "not ",
            "!!!??? ", "DE89 3704 0044 0532 0130 00 ", "Frechheit ", "again again ",
            "my name is Anna Schmidt ", "Hauptstraße 5, 10115 Berlin ", "a", " ", "😀",
        ]), 1..64)
    ) {
        let l = Limits::default();
        let mut text = String::new();
        'fill: loop {
            for p in &pieces {
                if text.len() + p.len() > l.max_text_bytes {
                    break 'fill;
                }
                text.push_str(p);
            }
        }
        // Over the limit it never reaches detection.
        let over = pb::Turn {
            text: format!("{text}{}", "x".repeat(64 * 1024)),
            ..customer_turn("t0")
        };
        prop_assert!(convert::turn(Some(over), l, NOW).is_err());
        run(vec![pb::Turn { text: text.clone(), ..customer_turn("t1") }, pb::Turn { text, ..customer_turn("t2") }]);
    }
}

fn customer_turn(turn_id: &str) -> pb::Turn {
    pb::Turn {
        tenant_id: "acme".into(),
        conversation_id: "c".into(),
        turn_id: turn_id.into(),
        role: pb::Role::Customer as i32,
        ..Default::default()
    }
}
