use super::entities::{find, luhn};
use super::*;
use crate::domain::Signals;
use crate::domain::{
    BotFacts, Entity, Lang, Nlu, Reason, ReasonCode, Route, Scores, Summary, TurnRecord,
};
use crate::policy::TenantPolicy;

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

fn policy(redaction: Redaction) -> TenantPolicy {
    TenantPolicy {
        redaction,
        ..Default::default()
    }
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
        collect(&mut state, t, &Signals::default());
        state.recent.push_back(std::sync::Arc::new(TurnRecord {
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
        }));
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
            kind: AttemptKind::Action,
        }]
    );
}

#[test]
fn the_context_summarises_in_the_agents_language() {
    let (state, turn, decision) = conversation();
    let c = build_context(&state, &turn, &decision, &policy(Redaction::None));
    assert_eq!(
        c.summary,
        Summary {
            goal: "Ich will mein Geld zurück, IBAN DE89 3704 0044 0532 0130 00".into(),
            tried: vec!["start_refund (fehlgeschlagen)".into()],
            reason: "Ausdrücklicher Wunsch nach einem Menschen. Anrede: Sie.".into(),
            suggested_opening: "Ich sehe, dass unser Assistent das nicht für Sie erledigen konnte – das tut mir leid. Ich habe alles vor mir, was Sie ihm geschrieben haben, und übernehme ab hier.".into(),
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

    let c = build_context(&state, &turn, &decision, &policy(Redaction::None));
    assert_eq!(c.transcript[0].text, raw);
    assert_eq!(c.entities[1].value, "DE89370400440532013000");

    let c = build_context(&state, &turn, &decision, &policy(Redaction::Transcript));
    assert_eq!(c.transcript[0].text, masked);
    assert_eq!(
        c.entities[0].value, "anna@example.com",
        "entities stay for the agent"
    );
    assert_eq!(c.entities[1].value, "DE89370400440532013000");

    let c = build_context(&state, &turn, &decision, &policy(Redaction::All));
    assert_eq!(c.transcript[0].text, masked);
    assert_eq!(c.entities[0].value, "a***@example.com");
    assert_eq!(c.entities[1].value, "****3000");
}

#[test]
fn an_intent_shows_only_by_the_tenants_name_for_it_in_the_customers_language() {
    let (state, turn, decision) = conversation();
    let mut p = policy(Redaction::Transcript);
    let c = build_context(&state, &turn, &decision, &p);
    assert_eq!(c.summary.goal, "Ich will mein Geld zurück, IBAN [iban]");
    p.intent_names.insert(
        "en".into(),
        [("return_refund".to_string(), "Refund".to_string())].into(),
    );
    let c = build_context(&state, &turn, &decision, &p);
    assert_eq!(
        c.summary.goal, "Ich will mein Geld zurück, IBAN [iban]",
        "no German name"
    );
    p.intent_names.insert(
        "de".into(),
        [
            ("return_refund".to_string(), "Rückerstattung".to_string()),
            ("start_refund".to_string(), "Erstattung starten".to_string()),
        ]
        .into(),
    );
    let c = build_context(&state, &turn, &decision, &p);
    assert_eq!(
        c.summary.goal,
        "Rückerstattung: Ich will mein Geld zurück, IBAN [iban]"
    );
    assert_eq!(c.summary.tried, vec!["Erstattung starten (fehlgeschlagen)"]);
    p.openings.insert(
        "de_sie".into(),
        [(
            "failed_task".to_string(),
            "Guten Tag, ich übernehme.".to_string(),
        )]
        .into(),
    );
    let c = build_context(&state, &turn, &decision, &p);
    assert_eq!(c.summary.suggested_opening, "Guten Tag, ich übernehme.");
}

#[test]
fn reference_numbers_are_found_by_the_words_that_name_them() {
    check(
        "Meine Buchungsnummer ist QXRTZP, die Rechnungsnummer RE-2024-0815",
        &[
            ("booking_reference", "QXRTZP"),
            ("invoice_number", "RE-2024-0815"),
        ],
    );
    check(
        "booking reference k7xq2m, invoice no. 88412, account number 12345678",
        &[
            ("booking_reference", "k7xq2m"),
            ("invoice_number", "88412"),
            ("account_number", "12345678"),
        ],
    );
    check(
        "Police Nr. HV-7781-22 und Vertrag 55-12345, Sendungsnummer 00340434161234567890",
        &[
            ("policy_number", "HV-7781-22"),
            ("contract_number", "55-12345"),
            ("tracking_number", "00340434161234567890"),
        ],
    );
    check(
        "ticket #CS-44821 and case 99812; Vorgang 2024/1187, Kundennummer 0301234567",
        &[
            ("ticket_number", "CS-44821"),
            ("ticket_number", "99812"),
            ("ticket_number", "2024/1187"),
            ("customer_id", "0301234567"),
        ],
    );
    check(
        "my order from 2024 and the invoice for $1200",
        &[("amount", "$1200")],
    );
    check(
        "about my booking reference QXRTZP please",
        &[("booking_reference", "QXRTZP")],
    );
}

#[test]
fn names_are_found_where_the_customer_states_them_and_after_salutations() {
    check(
        "Hallo, mein Name ist Jürgen Müller-Lüdenscheidt und ich habe ein Problem",
        &[("name", "Jürgen Müller-Lüdenscheidt")],
    );
    check(
        "hi, my name is anna schmidt and my card is gone",
        &[("name", "anna schmidt")],
    );
    check("Ich heiße Petra.", &[("name", "Petra")]);
    check(
        "Frau Krause hat mir das versprochen.\nViele Grüße\nKlaus Becker",
        &[("person", "Krause"), ("name", "Klaus Becker")],
    );
    check(
        "Thanks for nothing. Best regards, John O'Neill",
        &[("name", "John O'Neill")],
    );
    check("I spoke to Mr. Smith yesterday", &[("person", "Smith")]);
    check("my name is on the account and the name is wrong", &[]);
    check("Thanks a lot, this helped", &[]);
}

#[test]
fn postal_addresses_are_found_in_german_and_english() {
    check(
        "Bitte an Lindenstraße 12a, 10115 Berlin liefern",
        &[("address", "Lindenstraße 12a, 10115 Berlin")],
    );
    check(
        "neue Adresse: Berliner Str. 5",
        &[("address", "Berliner Str. 5")],
    );
    check(
        "ich wohne in 80331 München",
        &[("address", "80331 München")],
    );
    check(
        "send it to 221B Baker Street, London NW1 6XE",
        &[("address", "221B Baker Street"), ("address", "NW1 6XE")],
    );
    check("Ich habe 10000 Punkte und 3 Pakete", &[]);
}

#[test]
fn redaction_masks_names_and_addresses() {
    assert_eq!(
        redact::text(
            "Mein Name ist Anna Schmidt, Hauptstraße 5, 50667 Köln. Frau Krause weiß Bescheid."
        ),
        "Mein Name ist [name], [address]. Frau [name] weiß Bescheid."
    );
    assert_eq!(redact::text("Cheers, Tom"), "Cheers, [name]");
}

#[test]
fn evidence_never_carries_the_digits_of_an_entity() {
    assert_eq!(
        redact::evidence("Bestellung 4711-2231"),
        "Bestellung [order_number]"
    );
    assert_eq!(redact::evidence("call 0170 1234567"), "call [phone]");
    assert_eq!(redact::evidence("zum 3. Mal"), "zum 3. Mal");
    assert_eq!(redact::evidence("Code 998877"), "Code ######");
    assert_eq!(redact::evidence("Mitarbeiter"), "Mitarbeiter");
}

/// Texts that exercise every pattern, and the characters the ASCII cues cannot see: a non-ASCII
/// digit, the Kelvin sign and the long s (which `(?i)` folds to `k` and `s`), `ẞ`, `Ü`.
const CUE_TEXTS: &[&str] = &[
    "Meine Bestellnummer ist 4711-2233, Mail: Anna.Muster@Example.de",
    "order #SR-5528830 arrived smashed, and so did XY-12345 and AB-1234",
    "IBAN DE89 3704 0044 0532 0130 00 bitte, nicht de89370400440532013001",
    "my card 4111 1111 1111 1111 was charged 49,90 € and 12 EUR and 3 dollars, CHF 5",
    "call me on +49 170 1234567 or 030 12345678 or 0049 30 1234567",
    "Kundennummer: K-889911, Vertragsnummer 55-12345, KD 123456",
    "delivered on 12.03.2025, or was it March 3rd? 2024-01-02, 3/4/24, 5 of may 2020, Mär 4",
    "Meine Buchungsnummer ist QXRTZP, die Rechnungsnummer RE-2024-0815",
    "BESTÄTIGUNG 44512 und Bestaetigungsnummer 99812, PNR ABC123",
    "Police Nr. HV-7781-22 und Vertrag 55-12345, Sendungsnummer 00340434161234567890",
    "ticket #CS-44821 and case 99812; Vorgang 2024/1187, Aktenzeichen 12-3456",
    "Hallo, mein Name ist Jürgen Müller-Lüdenscheidt und ich habe ein Problem",
    "ICH HEIẞE Petra, i am called Tom, Name: Eva Maria Braun",
    "Frau Krause hat mir das versprochen.\nViele Grüße\nKlaus Becker",
    "Thanks for nothing. Best regards, John O'Neill",
    "VIELE GRÜSSE, Anna",
    "I spoke to Mr. Smith and Mrs Jones and Dr. Who, Prof. Lang, Hr. Maier, Herrn Koch",
    "Bitte an Lindenstraße 12a, 10115 Berlin liefern; neue Adresse: Berliner Str. 5",
    "ich wohne in 80331 München, am Ring 7, Uferweg 3",
    "send it to 221B Baker Street, London NW1 6XE",
    "Order number ٤٨٣٢١-٥٥ and my customer number is ٩٩٨١٢٣",
    "booKing 12345 (Kelvin sign), my name iſ Anna (long s), ſendung 4711",
    "my parcel 12345 and the kd 998877 and the bill 4455",
    "no digits, no cues at all here",
    "",
];

#[test]
fn cues_skip_only_patterns_that_cannot_match() {
    use super::cues::{Cues, scan};
    for text in CUE_TEXTS {
        let every = Cues {
            name_cue: scan(text).name_cue,
            ..Cues::ALL
        };
        assert_eq!(
            entities::find_with(text, &scan(text)),
            entities::find_with(text, &every),
            "in {text:?}"
        );
    }
    // The cues do skip work: a text with nothing in it runs nothing.
    let none = scan("no digits, no cues at all here");
    assert!(!none.name_cue && !none.phone && !none.date && none.references == [false; 9]);
    // A literal in two cases ("mr" for any name, "Mr" for a salutation) counts in both.
    for (text, saluted) in [
        ("mr smith", false),
        ("Mr Smith", true),
        ("hr. x", false),
        ("Hr. X", true),
    ] {
        assert!(scan(text).name_cue, "{text}");
        assert_eq!(scan(text).saluted, saluted, "{text}");
    }
    assert_eq!(scan("Order ٤٨٣ mr"), Cues::ALL);
    assert!(!scan("Order ٤٨٣").name_cue);
}
