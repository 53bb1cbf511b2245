use super::*;
use crate::domain::{Reason, Route};

fn decision(action: Action, reasons: &[ReasonCode], priority: Priority, queue: &str) -> Decision {
    Decision {
        action,
        reasons: reasons
            .iter()
            .map(|&code| Reason {
                code,
                detail: String::new(),
                weight: 1.0,
                turn_ids: vec![],
                matched: vec![],
            })
            .collect(),
        priority,
        route: Route {
            queue: queue.into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn expect(json: &str) -> Expect {
    serde_json::from_str(json).unwrap()
}

#[test]
fn expectations_name_what_came_instead() {
    let d = decision(
        Action::OfferHandoff,
        &[ReasonCode::NegativeEmotion],
        Priority::Normal,
        "support",
    );
    let cases: &[(&str, &[&str])] = &[
        (r#"{}"#, &[]),
        (r#"{"action": "offer_handoff"}"#, &[]),
        (
            r#"{"action": "handoff"}"#,
            &["action: expected handoff, got offer_handoff (reasons: negative_emotion)"],
        ),
        (r#"{"reasons": ["negative_emotion"]}"#, &[]),
        (
            r#"{"reasons": ["explicit_request", "negative_emotion"]}"#,
            &["reasons: expected explicit_request, got [negative_emotion]"],
        ),
        (
            r#"{"priority": "high", "queue": "vip"}"#,
            &[
                "priority: expected high, got normal",
                "queue: expected \"vip\", got \"support\"",
            ],
        ),
        (r#"{"alert": true}"#, &["alert: expected true, got false"]),
        (
            r#"{"bot_should_respond": true}"#,
            &["bot_should_respond: expected true, got false"],
        ),
    ];
    for (json, want) in cases {
        assert_eq!(check(&expect(json), &d), *want, "{json}");
    }
}

#[test]
fn an_unknown_expectation_or_value_is_refused_by_name() {
    let e = serde_json::from_str::<Expect>(r#"{"acton": "handoff"}"#).unwrap_err();
    assert!(e.to_string().contains("acton"), "{e}");
    let e = serde_json::from_str::<Expect>(r#"{"action": "handof"}"#).unwrap_err();
    assert!(e.to_string().contains("handof"), "{e}");
    let e = serde_json::from_str::<Expect>(r#"{"reasons": ["explicit"]}"#).unwrap_err();
    assert!(e.to_string().contains("explicit"), "{e}");
}

#[test]
fn now_is_an_rfc3339_time() {
    assert_eq!(
        parse_now(Some("2026-12-01T09:30:00+01:00")).unwrap(),
        1_796_113_800_000
    );
    let e = parse_now(Some("tomorrow")).unwrap_err();
    assert!(format!("{e:#}").contains("tomorrow"), "{e:#}");
}

#[test]
fn junit_escapes_and_counts_failures() {
    let cases = vec![
        Case {
            file: "a&b.jsonl".into(),
            line: 1,
            conversation_id: "c<1>".into(),
            idx: 2,
            failures: vec!["queue: expected \"vip\", got \"support\"".into()],
        },
        Case {
            file: "a&b.jsonl".into(),
            line: 2,
            conversation_id: "c2".into(),
            idx: 0,
            failures: vec![],
        },
    ];
    let xml = junit::xml(&cases);
    assert!(xml.contains(r#"<testsuites name="escalation-router test" tests="2" failures="1">"#));
    assert!(xml.contains(r#"<testsuite name="a&amp;b.jsonl" tests="2" failures="1">"#));
    assert!(xml.contains(r#"name="c&lt;1&gt; turn 2">"#), "{xml}");
    assert!(xml.contains(r#"<failure message="queue: expected &quot;vip&quot;, got &quot;support&quot;">a&amp;b.jsonl:1: "#), "{xml}");
    assert!(xml.contains(r#"<testcase classname="a&amp;b.jsonl" name="c2 turn 0"/>"#));
}
