use super::entities::{find, luhn};
use super::*;
use crate::domain::{
    BotFacts, Entity, Lang, Nlu, Reason, ReasonCode, Route, Scores, Summary, TurnRecord,
};

/// (kind, value) of every entity found in a text.
fn check(text: &str, expected: &[(&str, &str)]) {
    let got: Vec<(&str, String)> = find(text).into_iter().map(|f| (f.kind, f.value)).collect();
    let want: Vec<(&str, String)> = expected.iter().map(|(k, v)| (*k, v.to_string())).collect();
    assert_eq!(got, want, "in {text:?}");
}

#[test]
fn entities_are_found_in_german_and_english_text() {
    check(
        "Meine Bestellnummer ist 4711-2233, Mail: Anna.Muster@Example.de",
        &[
            ("order_number", "4711-2233"),
            ("email", "anna.muster@example.de"),
        ],
    );
    check(
        "order #SR-5528830 arrived smashed",
        &[("order_number", "SR-5528830")],
    );
    check(
        "IBAN DE89 3704 0044 0532 0130 00 bitte",
        &[("iban", "DE89370400440532013000")],
    );
    check(
        "my card 4111 1111 1111 1111 was charged 49,90 €",
        &[("card_number", "4111111111111111"), ("amount", "49,90 €")],
    );
    check(
        "call me on +49 170 1234567 or 030 12345678",
        &[("phone", "+49 170 1234567"), ("phone", "030 12345678")],
    );
    check(
        "Kundennummer: K-889911, Vertragsnummer 55-12345",
        &[("customer_id", "K-889911"), ("contract_number", "55-12345")],
    );
    check(
        "delivered on 12.03.2025, or was it March 3rd? Refund of $120",
        &[
            ("date", "12.03.2025"),
            ("date", "March 3rd"),
            ("amount", "$120"),
        ],
    );
}

#[test]
fn ordinary_numbers_are_not_entities() {
    check("I waited 3 hours for 2 parcels in 2024, code 0815", &[]);
    check("Das kostet 49.90 und dauert 10 Minuten", &[]);
}

#[test]
fn check_digits_keep_lookalikes_out() {
    check("IBAN DE89 3704 0044 0532 0130 01", &[]);
    check("card 4111 1111 1111 1112", &[]);
    assert!(luhn("79927398713"));
    assert!(!luhn("79927398710"));
}

#[test]
fn redaction_masks_personal_data_and_keeps_the_rest() {
    assert_eq!(
        redact::text("mail anna@example.com, order 12345-9, IBAN DE89370400440532013000"),
        "mail [email], order 12345-9, IBAN [iban]"
    );
    assert_eq!(
        redact::text("nothing personal here"),
        "nothing personal here"
    );
    assert_eq!(redact::value("iban", "DE89370400440532013000"), "****3000");
    assert_eq!(
        redact::value("email", "anna@example.com"),
        "a***@example.com"
    );
}

fn turn(id: &str, role: Role, text: &str) -> Turn {
    Turn {
        tenant_id: "acme".into(),
        conversation_id: "c1".into(),
        turn_id: id.into(),
        role,
        text: text.into(),
        time_ms: 1_000,
        ..Default::default()
    }
}

/// A German conversation: the customer gives an e-mail and an IBAN, the bot's refund fails twice.
fn conversation() -> (ConversationState, Turn, Decision) {
    let mut state = ConversationState::new("acme", "c1", 0);
    state.language = Some(Lang::De);
    state.memory.first_problem_ms = Some(0);
    let turns = [
        {
            let mut t = turn(
                "t1",
                Role::Customer,
                "Ich will mein Geld zurück, IBAN DE89 3704 0044 0532 0130 00",
            );
            t.nlu = Some(Nlu {
                intent: "return_refund".into(),
                entities: vec![Entity {
                    name: "email".into(),
                    value: "anna@example.com".into(),
                }],
                ..Default::default()
            });
            t
        },
        {
            let mut t = turn("t2", Role::Bot, "Ich starte die Rückerstattung.");
            t.bot = Some(BotFacts {
                action: "start_refund".into(),
                action_failed: true,
                ..Default::default()
            });
            t
        },
        {
            let mut t = turn(
                "t3",
                Role::Customer,
                "Schon wieder! Ich will einen Mitarbeiter.",
            );
            t.time_ms = 61_000;
            t
        },
    ];
    for t in &turns {
        collect(&mut state, t);
        state.recent.push_back(TurnRecord {
            turn_id: t.turn_id.clone(),
            role: t.role,
            text: t.text.clone(),
            time_ms: t.time_ms,
            intent: t.nlu.as_ref().map(|n| n.intent.clone()).unwrap_or_default(),
            signals: if t.role == Role::Bot {
                vec!["action_failed".into()]
            } else {
                vec![]
            },
            negative: if t.turn_id == "t3" { 0.7 } else { 0.1 },
            escalation: 0.5,
        });
    }
    let decision = Decision {
        reasons: vec![Reason {
            code: ReasonCode::ExplicitRequest,
            detail: String::new(),
            weight: 1.0,
            turn_ids: vec!["t3".into()],
            matched: vec!["Mitarbeiter".into()],
        }],
        scores: Scores {
            escalation: 0.6,
            ..Default::default()
        },
        route: Route {
            queue: "default".into(),
            skills: vec![],
            language: "de".into(),
        },
        ..Default::default()
    };
    let last = turns[2].clone();
    (state, last, decision)
}

#[test]
fn collect_keeps_nlu_and_text_entities_and_what_the_bot_tried() {
    let (state, _, _) = conversation();
    let entities: Vec<(&str, &str, &str)> = state
        .entities
        .iter()
        .map(|e| (e.kind.as_str(), e.value.as_str(), e.source.as_str()))
        .collect();
    assert_eq!(
        entities,
        vec![
            ("email", "anna@example.com", "nlu"),
            ("iban", "DE89370400440532013000", "text"),
        ]
    );
    assert_eq!(
        state.attempts,
        vec![Attempt {
            turn_id: "t2".into(),
            action: "start_refund".into(),
            failed: true,
        }]
    );
}

#[test]
fn the_context_summarises_in_the_agents_language() {
    let (state, turn, decision) = conversation();
    let c = build_context(&state, &turn, &decision, Redaction::None);
    assert_eq!(
        c.summary,
        Summary {
            goal: "return refund".into(),
            tried: vec!["start_refund (fehlgeschlagen)".into()],
            reason: "Der Kunde möchte mit einem Menschen sprechen".into(),
            suggested_opening: "Hallo, danke für Ihre Geduld – ich sehe unser ganzes bisheriges Gespräch, Sie müssen nichts wiederholen. Es tut mir leid, dass das bisher so mühsam war. Kümmern wir uns jetzt um Ihr Anliegen (return refund).".into(),
        }
    );
    assert_eq!(c.seconds_since_first_problem, 61.0);
    assert_eq!(
        c.emotion_timeline.peak.as_ref().map(|p| p.turn_id.as_str()),
        Some("t3")
    );
    assert_eq!(c.emotion_timeline.points.len(), 3);
    assert_eq!(c.emotion_timeline.current, 0.6);
    assert_eq!(c.transcript[1].signals, vec!["action_failed"]);
}

#[test]
fn redaction_none_transcript_and_all() {
    let (state, turn, decision) = conversation();
    let raw = "Ich will mein Geld zurück, IBAN DE89 3704 0044 0532 0130 00";
    let masked = "Ich will mein Geld zurück, IBAN [iban]";

    let c = build_context(&state, &turn, &decision, Redaction::None);
    assert_eq!(c.transcript[0].text, raw);
    assert_eq!(c.entities[1].value, "DE89370400440532013000");

    let c = build_context(&state, &turn, &decision, Redaction::Transcript);
    assert_eq!(c.transcript[0].text, masked);
    assert_eq!(
        c.entities[0].value, "anna@example.com",
        "entities stay for the agent"
    );
    assert_eq!(c.entities[1].value, "DE89370400440532013000");

    let c = build_context(&state, &turn, &decision, Redaction::All);
    assert_eq!(c.transcript[0].text, masked);
    assert_eq!(c.entities[0].value, "a***@example.com");
    assert_eq!(c.entities[1].value, "****3000");
}
