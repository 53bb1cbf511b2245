//! Runs `replay` and `eval` end to end on a small conversation file written here.

use super::{EvalArgs, ReplayArgs, eval, evaluate_file, metrics, replay};
use crate::config::Config;
use std::io::Write;

const CONVERSATIONS: &str = r#"{"conversation_id": "t-1", "source": "test", "language": "en", "channel": "webchat", "customer": {"tier": "standard"}, "turns": [{"idx": 0, "role": "user", "text": "hi, where is my parcel?", "nlu": {"intent": "track", "confidence": 0.9, "fallback": false}, "escalate": false}, {"idx": 1, "role": "bot", "text": "It arrives tomorrow between 9 and 12.", "bot": {"fallback": false, "action": "track", "action_failed": false}, "escalate": null}, {"idx": 2, "role": "user", "text": "great, thanks!", "escalate": false}], "gold_handoff_turn": null}
{"conversation_id": "t-2", "source": "test", "language": "de", "turns": [{"idx": 0, "role": "user", "text": "Meine Rechnung ist zu hoch", "escalate": false}, {"idx": 1, "role": "bot", "text": "Das habe ich leider nicht verstanden.", "bot": {"fallback": true, "action": "", "action_failed": false}, "escalate": null}, {"idx": 2, "role": "user", "text": "Ich will sofort mit einem Mitarbeiter sprechen!", "escalate": true}, {"idx": 3, "role": "bot", "text": "Ich verbinde Sie.", "escalate": null}], "gold_handoff_turn": 2}
"#;

fn file() -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(CONVERSATIONS.as_bytes()).expect("write");
    f
}

#[test]
fn replay_writes_one_decision_line_per_turn() {
    let input = file();
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("decisions.jsonl");
    replay(ReplayArgs {
        input: vec![input.path().to_path_buf()],
        output: output.clone(),
        config: None,
    })
    .expect("replay runs");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&output)
        .expect("output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 7);
    let action = |c: &str, idx: i64| {
        lines
            .iter()
            .find(|l| l["conversation_id"] == c && l["idx"] == idx)
            .map(|l| l["action"].as_str().unwrap_or("").to_string())
            .expect("line exists")
    };
    assert_eq!(action("t-1", 2), "continue");
    assert_eq!(action("t-2", 2), "handoff");
    let reasons = lines
        .iter()
        .find(|l| l["conversation_id"] == "t-2" && l["idx"] == 2)
        .map(|l| l["reasons"].to_string())
        .unwrap_or_default();
    assert!(reasons.contains("explicit_request") && reasons.contains("Mitarbeiter"));
}

#[test]
fn eval_scores_the_file_against_its_labels() {
    let input = file();
    let runs = evaluate_file(&Config::default(), input.path()).expect("eval runs");
    let gold_and_outcomes: Vec<_> = runs.into_iter().map(|(_, g, o)| (g, o)).collect();
    let figures = metrics::figures("test", &gold_and_outcomes);
    assert_eq!(figures.conversations, 2);
    assert_eq!(figures.dialogue_hits, 1);
    assert_eq!(figures.handoffs_without_gold, 0);
    assert_eq!(figures.turn.fn_, 0);
    assert_eq!(figures.latency_median, Some(0.0));

    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("report.html");
    let json = dir.path().join("figures.json");
    eval(EvalArgs {
        input: vec![input.path().to_path_buf()],
        checklist: None,
        config: None,
        html: Some(html.clone()),
        json: Some(json.clone()),
    })
    .expect("eval command runs");
    assert!(std::fs::read_to_string(html).expect("html").contains("t-2"));
    assert!(
        std::fs::read_to_string(json)
            .expect("json")
            .contains("\"f1\"")
    );
}

#[test]
fn latency_counts_user_turns_from_gold_to_handoff() {
    let gold = super::gold::Gold {
        conversation_id: "x".into(),
        handoff_turn: Some(2),
        turns: vec![
            (0, true, None),
            (1, false, None),
            (2, true, None),
            (3, false, None),
            (4, true, None),
        ],
    };
    assert_eq!(metrics::latency(&gold, 2, 2), 0);
    assert_eq!(metrics::latency(&gold, 2, 4), 1);
    assert_eq!(metrics::latency(&gold, 2, 0), -1);
}

/// The HTML report of the test file, named `mine.jsonl`.
fn report_of_the_file() -> String {
    let input = file();
    let runs = evaluate_file(&Config::default(), input.path()).expect("eval runs");
    let gold_and_outcomes: Vec<_> = runs
        .iter()
        .map(|(_, g, o)| (g.clone(), o.clone()))
        .collect();
    let figures = metrics::figures("mine.jsonl", &gold_and_outcomes);
    super::report::html(&[super::report::FileRun {
        figures: &figures,
        runs: &runs,
    }])
}

#[test]
fn the_report_has_a_legend_an_index_emotion_charts_and_says_how_many_it_shows() {
    let html = report_of_the_file();
    assert!(html.contains("<b>Legend:</b>"), "{html}");
    assert!(html.contains("<li><a href='#f0'>mine.jsonl</a>: 2 of 2 conversations shown"));
    assert!(html.contains("<h2 id='f0'>mine.jsonl <small>2 of 2 conversations shown"));
    // One chart per conversation, one line per emotion.
    assert_eq!(html.matches("<svg").count(), 2);
    assert_eq!(
        html.matches("<polyline").count(),
        2 * metrics::EMOTIONS.len()
    );
}

#[test]
fn each_handoff_has_an_agent_card_as_the_agent_would_see_it() {
    let html = report_of_the_file();
    assert_eq!(
        html.matches("<div class=card>").count(),
        1,
        "t-2 hands off, t-1 does not"
    );
    let card = &html[html.find("<div class=card>").unwrap()..];
    let card = &card[..card.find("</div>").unwrap()];
    for part in [
        "handoff at turn 2 · de · unspecified · queue default",
        "<dt>Goal<dd>Meine Rechnung ist zu hoch",
        "<dt>Tried<dd><ul><li>Ausweichantwort des Bots</ul>",
        "<dt>Reason<dd>Ausdrücklicher Wunsch nach einem Menschen",
        "<dt>Opening<dd><i>Ich sehe, dass unser Assistent das nicht für Sie erledigen konnte",
        "<li>explicit_request <small>human",
    ] {
        assert!(card.contains(part), "{part} missing from {card}");
    }
}
