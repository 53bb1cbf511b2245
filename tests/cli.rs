//! The binary itself: configuration errors before binding, graceful exit on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_escalation-router");

#[test]
fn an_invalid_config_value_fails_before_binding_and_names_the_key() {
    let out = Command::new(BIN)
        .args(["serve"])
        .env("ESCALATION__LIMITS__MAX_TEXT_BYTES", "0")
        .env("ESCALATION__SERVER__LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("limits.max_text_bytes"), "{stderr}");
}

#[test]
fn a_missing_config_file_is_named_once_with_the_reason_once() {
    let out = Command::new(BIN)
        .args(["serve", "--config", "/nonexistent/escalation.toml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/escalation.toml"), "{stderr}");
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
}

#[test]
fn an_unknown_key_in_the_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[server]\nlisten = \"127.0.0.1:0\"\ncolour = \"blue\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("colour"), "{stderr}");
}

#[test]
fn serve_help_names_the_configuration_sources_and_its_examples_are_valid_keys() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for source in [
        "--config",
        "ESCALATION__SECTION__KEY",
        "defaults",
        "RUST_LOG",
    ] {
        assert!(help.contains(source), "{source} missing from:\n{help}");
    }
    // Every example variable is one the configuration takes (on loopback: all addresses need keys).
    let examples: Vec<(String, String)> = help
        .split([' ', ',', '\n'])
        .filter(|w| w.starts_with("ESCALATION__") && w.contains('='))
        .map(|w| {
            let (k, v) = w.split_once('=').unwrap();
            (k.to_string(), v.replace("0.0.0.0", "127.0.0.1"))
        })
        .collect();
    assert!(examples.len() >= 3, "{help}");
    escalation_router::config::Config::load(None, examples.clone())
        .unwrap_or_else(|e| panic!("{examples:?}: {e}"));
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve"])
        .env("ESCALATION__SERVER__LISTEN", "127.0.0.1:0")
        .env("ESCALATION__STORE__URL", "memory")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it serves (it logs "serving" once bound and the signal handlers are installed).
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("server logs `serving` within 30 s");
        if line.contains("serving") {
            break;
        }
    }
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = reader.join().unwrap();
    assert!(status.success(), "exit status {status:?}, log: {log}");
    assert!(log.contains("shutting down"), "{log}");
}

/// Labelled conversations in the eval format, written for this test: calm requests are fine,
/// complaints about the bot are problems.
fn labelled_conversations(n: usize) -> String {
    let calm = [
        "I would like to book a table for two",
        "Can you send me the invoice please",
        "What time do you open tomorrow",
        "Please change my delivery address",
    ];
    let upset = [
        "You keep getting this wrong, useless",
        "That is not what I asked, again wrong",
        "This bot understands nothing at all",
        "Still wrong, I already told you twice",
    ];
    (0..n)
        .map(|i| {
            let bad = i % 3 == 0;
            let text = if bad { upset[i % 4] } else { calm[i % 4] };
            serde_json::json!({
                "conversation_id": format!("t-{i}"),
                "language": "en",
                "turns": [
                    {"idx": 0, "role": "bot", "text": "How can I help you today?", "escalate": null},
                    {"idx": 1, "role": "user", "text": text, "escalate": bad},
                ],
                "gold_handoff_turn": null,
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn train_writes_a_model_that_eval_loads() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("labelled.jsonl");
    std::fs::write(&data, labelled_conversations(120)).unwrap();
    let model = dir.path().join("model.bin");
    let out = Command::new(BIN)
        .args(["train", "--folds", "3", "--bits", "14", "--input"])
        .arg(&data)
        .arg("--output")
        .arg(&model)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("3-fold cross-validated"), "{stdout}");
    assert!(stdout.contains("customer/en"), "{stdout}");
    assert!(model.metadata().unwrap().len() > 32);

    let out = Command::new(BIN)
        .args(["eval", "--input"])
        .arg(&data)
        .env("ESCALATION__DETECTION__MODEL", &model)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("labelled.jsonl"), "{stdout}");
}

#[test]
fn a_missing_model_file_fails_before_binding_and_names_the_key() {
    let out = Command::new(BIN)
        .args(["serve"])
        .env("ESCALATION__DETECTION__MODEL", "/nonexistent/model.bin")
        .env("ESCALATION__SERVER__LISTEN", "127.0.0.1:0")
        .env("ESCALATION__STORE__URL", "memory")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("detection.model"), "{stderr}");
}
