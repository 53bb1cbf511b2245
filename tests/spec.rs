//! `escalation-router test` on the example spec (the project's own handoff expectations), and the
//! eval reader's refusals of malformed user files, through the binary.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_escalation-router");
const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/test/handoffs.jsonl");
const POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/test/policy.toml");

fn run(args: &[&str]) -> (Output, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

#[test]
fn the_example_spec_passes_on_a_weekday_morning_and_writes_junit() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (out, stdout, stderr) = run(&[
        "test",
        SPEC,
        "--config",
        POLICY,
        "--now",
        "2026-12-01T09:30:00+01:00",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("5 expectations, 5 passed, 0 failed"),
        "{stdout}"
    );
    assert!(
        stderr.is_empty(),
        "offline commands log only warnings: {stderr}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"tests="5" failures="0""#), "{xml}");
    assert!(
        xml.contains(r#"name="en-nightshift-closed turn 0"/>"#),
        "{xml}"
    );
}

#[test]
fn on_a_saturday_the_closed_queue_fails_the_handoff_expectation_and_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (out, stdout, stderr) = run(&[
        "test",
        SPEC,
        "--config",
        POLICY,
        "--now",
        "2026-12-05T09:30:00+01:00",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "{stdout}{stderr}");
    let want = format!(
        "FAIL {SPEC}:1 conversation en-explicit-request turn 2: action: expected handoff, got offer_callback"
    );
    assert!(stdout.contains(&want), "{stdout}");
    assert!(stderr.contains("expectations failed"), "{stderr}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<failure message=\"action: expected handoff"),
        "{xml}"
    );
}

#[test]
fn a_spec_without_expectations_tests_nothing_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.jsonl");
    std::fs::write(
        &path,
        r#"{"conversation_id": "c", "turns": [{"idx": 0, "role": "user", "text": "hi"}]}"#,
    )
    .unwrap();
    let (out, _, stderr) = run(&["test", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr.contains("nothing was tested"), "{stderr}");
}

#[test]
fn eval_refuses_an_unknown_role_or_a_missing_field_naming_line_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"conversation_id": "ok", "turns": [{"idx": 0, "role": "user", "text": "hi", "escalate": false}]}"#,
            "\n",
            r#"{"conversation_id": "c2", "turns": [{"idx": 0, "role": "user", "text": "hi"}, {"idx": 1, "role": "assistant", "text": "hello"}]}"#,
            "\n"
        ),
    )
    .unwrap();
    let (out, _, stderr) = run(&["eval", "--input", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr.contains("mine.jsonl:2"), "{stderr}");
    assert!(stderr.contains("\"assistant\""), "{stderr}");

    std::fs::write(
        &path,
        r#"{"conversation_id": "c3", "turns": [{"idx": 0, "text": "hi"}]}"#,
    )
    .unwrap();
    let (out, _, stderr) = run(&["eval", "--input", path.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr.contains("mine.jsonl:1"), "{stderr}");
    assert!(stderr.contains("missing field `role`"), "{stderr}");
    assert_eq!(stderr.matches("missing field").count(), 1, "{stderr}");
}

#[test]
fn the_documented_sample_file_evaluates_and_reports_progress() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/eval/sample.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("figures.json");
    let (out, stdout, stderr) = run(&["eval", "--input", sample, "--json", json.to_str().unwrap()]);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("eval: sample.jsonl: 2 conversations, 6 turns in"),
        "{stderr}"
    );
    assert!(stdout.contains("sample.jsonl"), "{stdout}");
}
