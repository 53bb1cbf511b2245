//! Table-driven tests: `check(conversation, expect)` runs every turn through the detector with the
//! history so far and checks the labels of the last turn. `"label"` must be present, `"!label"`
//! absent. Conversations are written for these tests, in German and English.

use super::Detector;
use crate::domain::{BotFacts, Lang, Nlu, Role, Signals, Turn, TurnRecord};

/// One line of a test conversation: `"c: text"` (customer) or `"b: text"` (bot).
fn turns(conversation: &[&str]) -> Vec<Turn> {
    conversation
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let (who, text) = line.split_once(": ").expect("c: or b: prefix");
            Turn {
                turn_id: i.to_string(),
                role: if who == "b" {
                    Role::Bot
                } else {
                    Role::Customer
                },
                text: text.to_string(),
                time_ms: i as i64 * 1000,
                ..Default::default()
            }
        })
        .collect()
}

fn run(detector: &Detector, conversation: Vec<Turn>) -> Signals {
    let mut history: Vec<std::sync::Arc<TurnRecord>> = Vec::new();
    let mut last = Signals::default();
    for turn in conversation {
        last = detector.detect(&turn, &history);
        history.push(std::sync::Arc::new(TurnRecord {
            turn_id: turn.turn_id.clone(),
            role: turn.role,
            text: turn.text.clone(),
            signals: last.labels(),
            ..Default::default()
        }));
    }
    last
}

#[track_caller]
fn check(conversation: &[&str], expect: &[&str]) {
    let detector = Detector::new();
    let signals = run(&detector, turns(conversation));
    let labels = signals.labels();
    for e in expect {
        match e.strip_prefix('!') {
            Some(absent) => assert!(
                !labels.iter().any(|l| l == absent),
                "{conversation:?}: did not expect {absent}, got {labels:?} ({:?})",
                signals.hits
            ),
            None => assert!(
                labels.iter().any(|l| l == e),
                "{conversation:?}: expected {e}, got {labels:?}"
            ),
        }
    }
}

#[test]
fn explicit_requests_for_a_human_in_both_languages() {
    check(&["c: agent"], &["explicit_request"]);
    check(&["c: AGENT!!"], &["explicit_request"]);
    check(
        &["c: let me talk to a real person please"],
        &["explicit_request"],
    );
    check(
        &["c: Can I speak with a representative?"],
        &["explicit_request"],
    );
    check(&["c: is anyone there?"], &["explicit_request"]);
    check(&["c: operator"], &["explicit_request"]);
    check(
        &["c: Ich möchte bitte mit einem Mitarbeiter sprechen"],
        &["explicit_request"],
    );
    check(&["c: Echter Mensch bitte."], &["explicit_request"]);
    check(
        &["c: Kann ich bei euch irgendwo jemanden anrufen?"],
        &["explicit_request"],
    );
    check(&["c: ist da jemand?"], &["explicit_request"]);
    check(
        &["c: Verbinden Sie mich mit einem Berater"],
        &["explicit_request"],
    );
    check(
        &["c: gib mir jemanden der sich auskennt"],
        &["explicit_request"],
    );
    check(
        &["c: why can't I just talk to a human"],
        &["explicit_request"],
    );
    check(&["c: get me a human"], &["explicit_request"]);
    check(&["c: human please"], &["explicit_request"]);
    check(&["c: I need a human agent now"], &["explicit_request"]);
    check(&["c: holen Sie mir einen Menschen"], &["explicit_request"]);
}

#[test]
fn negated_requests_are_not_requests() {
    check(&["c: I don't need a human, thanks"], &["!explicit_request"]);
    check(
        &["c: no need for an agent, it worked"],
        &["!explicit_request"],
    );
    check(
        &["c: nein, ich brauche keinen Mitarbeiter"],
        &["!explicit_request"],
    );
    check(
        &["c: kein Mitarbeiter nötig, danke"],
        &["!explicit_request"],
    );
    check(
        &["c: Ihre Mitarbeiterin im Laden war sehr freundlich und hat mir gut geholfen"],
        &["!explicit_request", "positive"],
    );
}

#[test]
fn negative_emotion_with_negation_and_intensity() {
    check(&["c: I am really frustrated with this"], &["frustration"]);
    check(&["c: this is absolutely unacceptable"], &["anger"]);
    check(
        &["c: I'm not happy with the answer"],
        &["frustration", "!positive"],
    );
    check(&["c: ich bin nicht zufrieden"], &["frustration"]);
    check(&["c: das ist eine Frechheit"], &["anger"]);
    check(
        &["c: not bad at all, thanks"],
        &["!frustration", "positive"],
    );
    check(&["c: das war gar nicht schlecht"], &["!frustration"]);
    check(&["c: I'm worried my card was used"], &["anxiety"]);
    check(&["c: Ich hab echt Panik"], &["anxiety"]);
    check(&["c: es ist dringend, bitte schnell"], &["urgency"]);
    check(&["c: I'm so sad about this"], &["sadness"]);
}

#[test]
fn abuse_and_profanity() {
    check(&["c: you stupid bot"], &["abuse"]);
    check(&["c: what the fuck is this"], &["abuse"]);
    check(&["c: du blöde Blechbüchse"], &["abuse"]);
    check(&["c: so ein Scheiß"], &["abuse"]);
}

#[test]
fn sarcasm_but_not_happy_praise() {
    check(&["c: great, thanks for nothing"], &["sarcasm"]);
    check(&["c: oh great, it failed again"], &["sarcasm", "!positive"]);
    check(&["c: toll, echt hilfreich 🙄"], &["sarcasm"]);
    check(&["c: na super, schon wieder kaputt"], &["sarcasm"]);
    check(&["c: great, thank you so much!"], &["positive", "!sarcasm"]);
    check(
        &["c: SUPER, danke!!! 😍"],
        &["positive", "!frustration", "!sarcasm"],
    );
}

#[test]
fn shouting_but_not_acronyms_or_product_names() {
    check(&["c: WHY IS THIS STILL NOT WORKING"], &["frustration"]);
    check(
        &["c: Habt ihr die PLAYSTATION 5 PRO noch da?"],
        &["!frustration"],
    );
    check(
        &["c: Is my ICE to Berlin on time? My PIN for the DB app is fine"],
        &["!frustration"],
    );
    check(&["c: MEGA 🔥 danke euch"], &["positive", "!frustration"]);
}

#[test]
fn repair_and_correction() {
    check(
        &["b: Booking a table for 4.", "c: no, I said two people"],
        &["repair"],
    );
    check(&["c: that's not what I asked"], &["repair"]);
    check(&["c: Nein, ich meinte die andere Rechnung"], &["repair"]);
    check(&["c: Sie verstehen mich nicht"], &["repair"]);
    check(&["c: no that's all, thanks"], &["!repair"]);
    check(&["c: nein danke, das wars"], &["!repair"]);
}

#[test]
fn failures_from_metadata_repeats_and_loops() {
    let detector = Detector::new();
    let mut t = turns(&["c: where is my parcel"]);
    t[0].nlu = Some(Nlu {
        fallback: true,
        ..Default::default()
    });
    assert!(run(&detector, t).has(crate::domain::SignalKind::BotFallback));
    let mut t = turns(&["b: Payment failed."]);
    t[0].bot = Some(BotFacts {
        action_failed: true,
        ..Default::default()
    });
    assert!(run(&detector, t).has(crate::domain::SignalKind::ActionFailed));
    check(
        &[
            "c: router keeps dropping",
            "b: Please unplug your router for 30 seconds and plug it back in.",
            "c: done, still dropping",
            "b: Please unplug your router for 30 seconds and plug it back in.",
        ],
        &["bot_loop"],
    );
    check(
        &[
            "c: I want to change my delivery address",
            "b: What can I help you with?",
            "c: I want to change my delivery address please",
        ],
        &["customer_repeat"],
    );
    check(&["c: das ist jetzt zum dritten Mal"], &["repeat_complaint"]);
    check(&["c: again?"], &["repeat_complaint"]);
    check(
        &["c: ich habe schon zweimal angerufen"],
        &["repeat_complaint"],
    );
}

#[test]
fn high_stakes_moments() {
    check(&["c: I want to cancel my contract"], &["cancellation"]);
    check(&["c: Ich will kündigen"], &["cancellation"]);
    check(&["c: my lawyer will hear about this"], &["legal"]);
    check(&["c: Ich schalte meinen Anwalt ein"], &["legal"]);
    check(
        &["c: there are payments on my card that are not from me"],
        &["fraud"],
    );
    check(
        &["c: Mein Mann ist verstorben, ich muss seine Verträge klären"],
        &["bereavement"],
    );
    check(
        &["c: we want to buy a house for 450.000 €"],
        &["large_purchase"],
    );
    check(&["c: I'd not want to cancel anything"], &["!cancellation"]);
}

#[test]
fn positive_signals() {
    check(
        &["c: thanks, that solved it"],
        &["positive", "!frustration"],
    );
    check(&["c: Merci vielmal, das ging schnell 👍"], &["positive"]);
    check(&["c: Passt, danke! Baba"], &["positive", "!repair"]);
}

#[test]
fn language_detection_and_spellings() {
    let detector = Detector::new();
    let lang = |text: &str| run(&detector, turns(&[&format!("c: {text}")])).language;
    assert_eq!(lang("Ich habe eine Frage zu meiner Rechnung"), Lang::De);
    assert_eq!(lang("I have a question about my bill"), Lang::En);
    assert_eq!(lang("Grüezi, wie kann ich das Abo ändern?"), Lang::De);
    check(
        &["c: ich bin unzufrieden mit der Verspaetung"],
        &["frustration"],
    );
    check(&["c: Ich bin echt aergerlich"], &["frustration"]);
    check(&["c: Die Zugverspätung nervt"], &["frustration"]);
    check(
        &["c: Des is a Schmarrn, i hob koa Geld mehr, Hilfe"],
        &["anxiety"],
    );
    check(
        &["c: Sorry for my German, ich brauche einen Mitarbeiter please"],
        &["explicit_request"],
    );
}

#[test]
fn routine_turns_stay_quiet() {
    for text in [
        "c: I'd like to pay my bill",
        "c: Wie sind eure Öffnungszeiten am Samstag?",
        "c: yes please",
        "c: Ja, gerne ab dem 3. Juli",
        "c: Flat 3, 22 Marlborough Road",
        "c: Der Streik der Lokführer ist seit gestern beendet",
    ] {
        let detector = Detector::new();
        let s = run(&detector, turns(&[text]));
        assert!(s.emotion.negative() < 0.3, "{text}: {:?}", s.hits);
        assert!(s.failure < 0.3, "{text}: {:?}", s.hits);
    }
}

#[test]
fn german_complaints_about_travel() {
    check(
        &["c: Der Wagen war verdreckt und rappelvoll"],
        &["frustration"],
    );
    check(&["c: Die Schaffnerin war total pampig zu mir"], &["anger"]);
    check(&["c: Die Fahrkarten sind völlig überteuert"], &["anger"]);
    check(
        &["c: Was für ein Debakel heute am Bahnhof"],
        &["frustration"],
    );
    check(
        &["c: Wir hängen fest, die Heizung ausgefallen, saukalt"],
        &["frustration"],
    );
}

#[test]
fn rejections_doubt_and_impatience_in_english() {
    check(
        &[
            "b: The Grand Lodge has a room for you.",
            "c: Actually I wanted something near the airport",
        ],
        &["repair"],
    );
    check(
        &[
            "b: There are no flights that day.",
            "c: Are you sure? Please check again",
        ],
        &["repair"],
    );
    check(
        &[
            "b: I found Luigi's, an Italian place.",
            "c: none of those, that's too expensive",
        ],
        &["repair"],
    );
    check(&["c: this is taking forever, hurry up"], &["frustration"]);
}

#[test]
fn the_learned_model_reads_the_heads_it_was_trained_for() {
    let with = Detector::new();
    let without = Detector::with_model(None);
    let english = turns(&[
        "b: Which day would you like to travel?",
        "c: Tuesday morning, two people please",
    ]);
    let german = turns(&["c: Ich möchte meine Adresse ändern, bitte"]);
    let de_bot = turns(&[
        "c: Hallo",
        "b: Gerne helfe ich Ihnen bei Ihrer Bestellung weiter",
    ]);
    for (conversation, expect) in [(english, true), (german, true), (de_bot, false)] {
        let learned = run(&with, conversation.clone()).learned;
        assert_eq!(learned.is_some(), expect, "{conversation:?}: {learned:?}");
        if let Some(l) = learned {
            assert!((0.0..=1.0).contains(&l.p));
        }
        assert!(run(&without, conversation).learned.is_none());
    }
}

#[test]
fn a_bot_reply_that_ignores_the_question_reads_worse_than_one_that_answers_it() {
    let detector = Detector::new();
    let p = |reply: &str| {
        run(
            &detector,
            turns(&[
                "c: What time does the museum open on Sundays?",
                &format!("b: {reply}"),
            ]),
        )
        .learned
        .expect("English bot turns have a head")
        .p
    };
    let answers = p("The museum opens at ten on Sundays.");
    let ignores = p("I like pizza. Do you have a dog?");
    assert!(ignores > answers, "ignores {ignores} answers {answers}");
}

#[test]
fn someone_in_a_sentence_is_not_a_request_for_a_human() {
    check(
        &["c: I like stories about someone who is totally alone"],
        &["!explicit_request"],
    );
    check(
        &["c: I need someone who can fix this, not a bot"],
        &["explicit_request"],
    );
}

#[test]
fn someone_is_a_request_only_when_asked_for() {
    for asked in [
        "c: I need someone to look at this",
        "c: can someone call me back",
        "c: anyone?",
        "c: Ich brauche jemanden, der mir hilft",
        "c: Kann mich jemand anrufen?",
        "c: Ist da jemand?",
    ] {
        check(&[asked], &["explicit_request"]);
    }
    for mentioned in [
        "c: anyone famous in that film?",
        "c: a story about somebody who gets lost",
        "c: Ich kenne jemanden, der das auch hatte",
        "c: just one person, a table for one",
    ] {
        check(&[mentioned], &["!explicit_request"]);
    }
}

#[test]
fn a_learned_alert_quotes_the_words_that_weighed_most() {
    let detector = Detector::new();
    let conversation = turns(&[
        "b: Have you seen that one?",
        "c: no, that's not what I asked for, this is useless and wrong",
    ]);
    let text = conversation[1].text.clone();
    let learned = run(&detector, conversation)
        .learned
        .expect("English customer turns have a head");
    assert!(learned.alert, "{learned:?}");
    let words: Vec<&str> = learned
        .evidence
        .iter()
        .flatten()
        .map(|&(s, e)| &text[s as usize..e as usize])
        .collect();
    assert!(!words.is_empty(), "{learned:?}");
    for w in &words {
        assert!(w.chars().all(|c| c.is_alphanumeric() || c == '\''), "{w:?}");
    }
}
