//! Detection speed on realistic ~200-character turns with both languages loaded, and the
//! start-up cost of compiling the lexicons. Run: `cargo bench --bench detect`.

use criterion::{Criterion, criterion_group, criterion_main};
use escalation_router::detect::Detector;
use escalation_router::domain::{Role, Turn, TurnRecord};
use std::hint::black_box;

/// Written for this benchmark (about 200 characters each), German and English, calm and upset.
const TURNS: &[&str] = &[
    "Hi, I ordered a pair of running shoes last Tuesday and the tracking page still says the parcel is at the depot. Could you tell me when it will actually arrive? I need them for a race on Sunday.",
    "This is the third time I am explaining this. I do NOT want a refund, I want the same jacket in a size M. Your bot keeps sending me the refund policy, it's ridiculous. Let me talk to a real person!",
    "Hallo, ich wollte fragen, ob ich meinen Handytarif zum nächsten Monat wechseln kann. Ich brauche mehr Datenvolumen, weil ich viel unterwegs bin. Bleibt meine Vertragslaufzeit dabei gleich?",
    "Das ist jetzt schon das dritte Mal, dass die Abbuchung doppelt passiert. Ich habe zweimal angerufen und es ist nichts passiert. So eine Frechheit, ich will sofort mit einem Mitarbeiter sprechen!!",
    "Grüezi, mini Rächnig isch dä Monet vil z höch, 89 Franke statt 39. Wieso isch das so? Ich ha nüt gänderet am Abo und ha au kei Roaming brucht. Chönd Sie mir das bitte erkläre? Merci vielmal.",
    "ok thanks, that worked perfectly!! 😍 the new card arrived this morning and the app already shows it. Really quick and easy, I was expecting this to take ages. Have a nice day and thanks again 🙏",
];

fn turn(text: &str) -> Turn {
    Turn {
        turn_id: "t".into(),
        role: Role::Customer,
        text: text.to_string(),
        ..Default::default()
    }
}

fn history() -> Vec<std::sync::Arc<TurnRecord>> {
    [
        (
            Role::Customer,
            "I need to change the delivery address of my order",
        ),
        (
            Role::Bot,
            "Sure! What is your order number? It starts with SR-.",
        ),
        (
            Role::Customer,
            "SR-4471902, and the new address is 22 Baker Street",
        ),
        (
            Role::Bot,
            "Thanks. I can't change the address of an order that has shipped.",
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (role, text))| {
        std::sync::Arc::new(TurnRecord {
            turn_id: i.to_string(),
            role,
            text: text.to_string(),
            ..Default::default()
        })
    })
    .collect()
}

fn bench(c: &mut Criterion) {
    c.bench_function("detector_new", |b| b.iter(|| black_box(Detector::new())));
    let detector = Detector::new();
    eprintln!(
        "detector: {} patterns, {} KiB of compiled lexicons",
        detector.pattern_count(),
        detector.memory_usage() / 1024
    );
    let turns: Vec<Turn> = TURNS.iter().map(|t| turn(t)).collect();
    c.bench_function("detect_200_chars_no_history", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % turns.len();
            black_box(detector.detect(black_box(&turns[i]), &[]))
        })
    });
    let rules_only = Detector::with_model(None);
    c.bench_function("detect_200_chars_rules_only", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % turns.len();
            black_box(rules_only.detect(black_box(&turns[i]), &[]))
        })
    });
    let bot_turns: Vec<Turn> = turns
        .iter()
        .map(|t| Turn {
            role: Role::Bot,
            ..t.clone()
        })
        .collect();
    c.bench_function("detect_200_chars_bot_turn", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % bot_turns.len();
            black_box(detector.detect(black_box(&bot_turns[i]), &[]))
        })
    });
    let history = history();
    c.bench_function("detect_200_chars_4_turn_history", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % turns.len();
            black_box(detector.detect(black_box(&turns[i]), &history))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
