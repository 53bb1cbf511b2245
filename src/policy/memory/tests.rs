//! Table-driven tests of the emotional memory: `check(conversation, expect)` runs the detector and
//! `assess` over a written conversation; `expect` has one letter per customer turn: `.` none,
//! `o` offer, `H` handoff, and the alerts are checked with `!` (alert) and ` ` (no alert).

use super::{assess, reset_after_handoff};
use crate::detect::Detector;
use crate::detect::model::Learned;
use crate::domain::{BotFacts, Escalation, Memory, Role, Turn, TurnRecord};

/// `"c: text"` customer, `"b: text"` bot, `"b!: text"` bot with a failed action, `"b?: text"` bot
/// fallback.
fn turns(conversation: &[&str]) -> Vec<Turn> {
    conversation
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let (who, text) = line.split_once(": ").expect("prefix");
            let bot = match who {
                "b!" => Some(BotFacts {
                    action_failed: true,
                    ..Default::default()
                }),
                "b?" => Some(BotFacts {
                    fallback: true,
                    ..Default::default()
                }),
                _ => None,
            };
            Turn {
                turn_id: i.to_string(),
                role: if who.starts_with('b') {
                    Role::Bot
                } else {
                    Role::Customer
                },
                text: text.to_string(),
                time_ms: i as i64 * 1000,
                bot,
                ..Default::default()
            }
        })
        .collect()
}

/// Levels and alerts per customer turn, e.g. `".oH"` and `" !!"`.
fn levels(conversation: &[&str]) -> (String, String, Memory) {
    let detector = Detector::new();
    let mut memory = Memory::default();
    let mut history: Vec<std::sync::Arc<TurnRecord>> = Vec::new();
    let (mut levels, mut alerts) = (String::new(), String::new());
    for turn in turns(conversation) {
        let signals = detector.detect(&turn, &history);
        let a = assess(&mut memory, &turn, &signals);
        if turn.role == Role::Customer {
            levels.push(match a.escalation {
                Escalation::None => '.',
                Escalation::Offer => 'o',
                Escalation::Handoff => 'H',
            });
            alerts.push(if a.alert { '!' } else { ' ' });
            if a.escalation == Escalation::Handoff {
                assert!(!a.reasons.is_empty(), "a handoff names its reasons");
                assert!(a.reasons.iter().all(|r| !r.turn_ids.is_empty()));
            }
        }
        history.push(std::sync::Arc::new(TurnRecord {
            turn_id: turn.turn_id.clone(),
            role: turn.role,
            text: turn.text.clone(),
            signals: signals.labels(),
            ..Default::default()
        }));
    }
    (levels, alerts, memory)
}

#[track_caller]
fn check(conversation: &[&str], expect: &str) {
    let (got, alerts, _) = levels(conversation);
    assert_eq!(got, expect, "{conversation:?} (alerts: {alerts:?})");
}

#[test]
fn explicit_request_hands_off_at_once() {
    check(&["c: agent"], "H");
    check(
        &[
            "c: Hallo",
            "b: Hallo! Wie kann ich helfen?",
            "c: Echter Mensch bitte",
        ],
        ".H",
    );
}

#[test]
fn negated_request_and_a_routine_task_stay_with_the_bot() {
    check(
        &[
            "c: I want to update my address",
            "b: Sure, what's the new address?",
            "c: 22 Baker Street, London",
            "b: Done! Anything else?",
            "c: No, I don't need a human, this was easy. Thanks!",
        ],
        "...",
    );
    check(
        &[
            "c: Ich möchte meine Adresse ändern",
            "b: Gerne, wie lautet die neue Adresse?",
            "c: Hauptstraße 5, 80331 München",
            "b: Erledigt!",
            "c: nein, ich brauche keinen Mitarbeiter, danke!",
        ],
        "...",
    );
}

#[test]
fn a_one_off_misunderstanding_that_is_repaired_does_not_hand_off() {
    check(
        &[
            "c: book a table for two tonight",
            "b: I booked a table for four tonight.",
            "c: no, I said two people",
            "b: Sorry! Changed to two people at 8 pm.",
            "c: perfect, thanks",
        ],
        "...",
    );
    check(
        &[
            "c: Ich brauche ein Ticket nach Köln",
            "b: Hier ist Ihr Ticket nach Kiel.",
            "c: Nein, ich meinte Köln",
            "b: Entschuldigung! Hier ist Ihr Ticket nach Köln.",
            "c: super, danke",
        ],
        "...",
    );
}

#[test]
fn repeated_bot_failures_hand_off_on_the_customers_turn() {
    check(
        &[
            "c: pay my bill",
            "b!: Something went wrong, please try again.",
            "c: ok try again",
            "b!: Sorry, the payment could not be processed.",
            "c: what now",
        ],
        ".oH",
    );
    check(
        &[
            "c: Meine alte Nummer soll auf die neue Karte",
            "b?: Das habe ich leider nicht verstanden.",
            "c: alte Nummer, neue SIM",
            "b?: Das habe ich immer noch nicht verstanden.",
            "c: Rufnummer mitnehmen",
        ],
        "..H",
    );
}

#[test]
fn anger_abuse_and_grave_stakes_hand_off() {
    check(&["c: ARE YOU KIDDING ME, this is a joke"], "H");
    check(&["c: du dumme Blechbüchse, ihr verarscht mich doch"], "H");
    check(
        &["c: there are two payments on my card that are not from me"],
        "H",
    );
    check(&["c: Ich schalte jetzt meinen Anwalt ein"], "H");
}

#[test]
fn rising_frustration_offers_then_hands_off_before_the_peak_sets() {
    check(
        &[
            "c: where is my order",
            "b: It is on its way.",
            "c: it was due last week, this is annoying",
            "b: It is on its way.",
            "c: seriously? I'm really fed up, this is ridiculous",
        ],
        ".oH",
    );
}

#[test]
fn happy_shouting_is_not_escalation() {
    let (levels, alerts, _) = levels(&["c: SUPER, danke!!! 😍", "b: Gern!", "c: MEGA 🔥🔥 thx"]);
    assert_eq!((levels.as_str(), alerts.as_str()), ("..", "  "));
}

#[test]
fn offers_do_not_flip_flop() {
    // One calm turn after an offer keeps the offer (hysteresis) instead of dropping at once.
    check(
        &[
            "c: this is frustrating",
            "b: I'm sorry. Let me check.",
            "c: ok",
            "b: Here is the status.",
            "c: fine, thanks",
        ],
        "oo.",
    );
}

#[test]
fn reset_after_handoff_calms_the_memory_but_keeps_the_peak() {
    let (_, _, mut memory) = levels(&["c: this is a joke, I'm furious"]);
    assert!(memory.peak_negative > 0.5);
    reset_after_handoff(&mut memory);
    assert_eq!(memory.escalation, 0.0);
    assert_eq!(memory.level, Escalation::None);
    assert!(memory.peak_negative > 0.5);
}

/// A customer turn with the given learned reading and no rule evidence beyond `text`.
fn with_learned(text: &str, learned: Option<Learned>) -> (bool, Escalation) {
    let detector = Detector::with_model(None);
    let turn = turns(&[&format!("c: {text}")]).remove(0);
    let mut signals = detector.detect(&turn, &[]);
    signals.learned = learned;
    let a = assess(&mut Memory::default(), &turn, &signals);
    (a.alert, a.escalation)
}

#[test]
fn the_learned_reading_decides_the_alert_but_not_the_level() {
    let yes = Some(Learned {
        p: 0.6,
        alert: true,
        evidence: [None; 3],
    });
    let no = Some(Learned {
        p: 0.05,
        alert: false,
        evidence: [None; 3],
    });
    // A calm turn the model flags is a problem turn; the level still comes from the evidence.
    assert_eq!(with_learned("ok", yes), (true, Escalation::None));
    assert_eq!(with_learned("ok", no), (false, Escalation::None));
    // Without a reading the rules' heat decides: an angry turn alerts, a calm one does not.
    assert!(with_learned("this is ridiculous, I am furious", None).0);
    assert!(!with_learned("ok", None).0);
    // Strong rule evidence alerts even when the model reads the turn as fine.
    assert!(with_learned("This is the third time nothing works, I am furious!", no).0);
    // A request for a human alerts and hands off whatever the model says.
    assert_eq!(
        with_learned("I want to speak to a human", no),
        (true, Escalation::Handoff)
    );
}

#[test]
fn a_death_hands_off_when_it_is_the_customers_loss_not_a_story() {
    check(
        &["c: My father died last week and I need to close his account"],
        "H",
    );
    check(
        &["c: Meine Mutter ist gestorben, was passiert mit dem Vertrag?"],
        "H",
    );
    check(
        &["c: The film is about a soldier who died in the war, I loved it"],
        ".",
    );
}
