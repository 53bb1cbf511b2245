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
            ("ESCALATION__SERVER__LISTEN", "127.0.0.1:6000"),
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

#[test]
fn an_otlp_endpoint_must_be_a_plain_http_address() {
    assert_eq!(
        Config::load(None, env(&[])).unwrap().tracing.otlp_endpoint,
        None
    );
    let c = Config::load(
        None,
        env(&[(
            "ESCALATION__TRACING__OTLP_ENDPOINT",
            "http://127.0.0.1:4317",
        )]),
    )
    .unwrap();
    let endpoint = c.tracing.otlp_endpoint.expect("set");
    assert_eq!(endpoint.as_str(), "http://127.0.0.1:4317/");
    for bad in ["127.0.0.1:4317", "https://collector:4317", "http://"] {
        let err = Config::load(None, env(&[("ESCALATION__TRACING__OTLP_ENDPOINT", bad)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("tracing.otlp_endpoint"), "{bad}: {err}");
    }
}

fn auth(text: &str) -> Result<Config, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(Some(&path), env(&[])).map_err(|e| e.to_string())
}

const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

#[test]
fn auth_sections_that_cannot_work_are_refused_naming_the_key() {
    let principal = |name: &str, key: &str, tenants: &str, roles: &str| {
        format!(
            "[[auth.principals]]\nname = \"{name}\"\nkey_sha256 = \"{key}\"\ntenants = {tenants}\nroles = {roles}\n"
        )
    };
    let check = |body: String, key: &str| {
        let err = auth(&format!("[auth]\nmode = \"keys\"\n{body}")).unwrap_err();
        assert!(err.contains(key), "{key}: {err}");
    };
    check(String::new(), "auth.principals");
    check(
        principal("a", "9f86", "[\"x\"]", "[\"bot\"]"),
        "auth.principals[0].key_sha256",
    );
    check(
        principal("a/b", DIGEST, "[\"x\"]", "[\"bot\"]"),
        "auth.principals[0].name",
    );
    check(
        principal("a", DIGEST, "[]", "[\"bot\"]"),
        "auth.principals[0].tenants",
    );
    check(
        principal("a", DIGEST, "[\"*\", \"x\"]", "[\"bot\"]"),
        "auth.principals[0].tenants",
    );
    check(
        principal("a", DIGEST, "[\"x\"]", "[]"),
        "auth.principals[0].roles",
    );
    check(principal("a", DIGEST, "[\"x\"]", "[\"root\"]"), "root");
    check(
        principal("a", DIGEST, "[\"x\"]", "[\"bot\"]")
            + &principal("b", DIGEST, "[\"x\"]", "[\"bot\"]"),
        "auth.principals[1].key_sha256",
    );
    check(
        "[[auth.principals]]\nname = \"a\"\ntenants = [\"x\"]\nroles = [\"bot\"]\n".into(),
        "auth.principals[0].key_sha256",
    );
}

#[test]
fn a_keyring_compiles_tenants_roles_and_digests() {
    let c = auth(&format!(
        "[auth]\n[[auth.principals]]\nname = \"ops\"\nkey_sha256 = \"{}\"\ntenants = [\"*\"]\nroles = [\"admin\", \"router\"]\n",
        DIGEST.to_uppercase()
    ))
    .unwrap();
    let ring = c.keyring().unwrap();
    assert_eq!(ring.mode, AuthMode::Keys);
    let p = &ring.principals[0];
    assert_eq!(p.tenants, auth::Tenants::All);
    assert_eq!(p.roles, [auth::Role::Router, auth::Role::Admin].into());
    assert_eq!(p.key_sha256.unwrap()[..2], [0x9f, 0x86]);
    assert_eq!(p.consumer_group("cc"), "ops/cc");
    assert_eq!(auth::Principal::anonymous().consumer_group("cc"), "cc");
}
