use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_listen_on_loopback_with_sqlite() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:50051");
    assert_eq!(c.store.url, "sqlite://./data/escalation.db");
    assert_eq!(c.limits.max_text_bytes, 16 * 1024);
}

#[test]
fn environment_overrides_file_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "[limits]\nmax_text_bytes = 100\n[store]\nurl = \"memory\"\n",
    )
    .unwrap();
    let c = Config::load(
        Some(&path),
        env(&[
            ("ESCALATION__LIMITS__MAX_TEXT_BYTES", "200"),
            ("ESCALATION__SERVER__LISTEN", "0.0.0.0:6000"),
            ("OTHER", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(c.limits.max_text_bytes, 200);
    assert_eq!(c.store.url, "memory");
    assert_eq!(c.server.listen.port(), 6000);
}

#[test]
fn unknown_key_is_named() {
    let err = Config::load(None, env(&[("ESCALATION__LIMITS__MAX_TXT", "1")])).unwrap_err();
    assert!(err.to_string().contains("max_txt"), "{err}");
}

#[test]
fn bad_value_is_named() {
    let err = Config::load(None, env(&[("ESCALATION__LIMITS__MAX_TEXT_BYTES", "0")])).unwrap_err();
    assert!(err.to_string().contains("limits.max_text_bytes"), "{err}");
    let err = Config::load(None, env(&[("ESCALATION__STORE__URL", "mysql://x")])).unwrap_err();
    assert!(err.to_string().contains("store.url"), "{err}");
    let err = Config::load(None, env(&[("ESCALATION__SERVER__LISTEN", "nowhere")])).unwrap_err();
    assert!(err.to_string().contains("listen"), "{err}");
}
