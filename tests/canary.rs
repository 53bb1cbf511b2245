//! PII canaries through the release binary: a name, a street address, an IBAN, an e-mail, a phone
//! and a card in a conversation that hands off over real gRPC (SQLite file, logs at `debug` for
//! every crate, which includes everything logged at `info`), then `ForgetConversation`. None of the
//! canaries may appear in the log, nor in the SQLite files after a checkpoint; each redaction mode
//! shows in the context what it promises.

#[path = "support/child.rs"]
mod child;
use escalation_router::pb::{self, escalation_router_client::EscalationRouterClient};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_escalation-router");

const TEXT: &str = "Hi, my name is Quirinus Zabelstein and I live at Quittenweg 47, 99423 Weimar. \
Please refund to DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111 was charged twice. \
Mail quirinus.zabelstein@example.org or call +49 171 9876543.";

/// Pieces of each canary as they could appear anywhere (spaced, unspaced, lower-case).
const CANARIES: [&str; 12] = [
    "Quirinus",
    "Zabelstein",
    "Quittenweg",
    "99423",
    "Weimar",
    "0532 0130",
    "0532013000",
    "zabelstein@",
    "9876543",
    "4111 1111",
    "4111111111111111",
    "quirinus",
];

const CONFIG: &str = r#"
[policy.tenants.plain]
redaction = "none"
[policy.tenants.masked]
redaction = "all"
"#;

fn turn(tenant: &str, id: &str, text: &str) -> pb::ProcessTurnRequest {
    pb::ProcessTurnRequest {
        turn: Some(pb::Turn {
            tenant_id: tenant.into(),
            conversation_id: "canary".into(),
            turn_id: id.into(),
            role: pb::Role::Customer as i32,
            text: text.into(),
            channel: pb::Channel::Webchat as i32,
            customer: Some(pb::CustomerProfile {
                customer_id: "cust-canary".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

/// The handoff context a tenant's agent gets for the canary conversation.
async fn handoff(
    router: &mut EscalationRouterClient<tonic::transport::Channel>,
    tenant: &str,
) -> pb::HandoffContext {
    router.process_turn(turn(tenant, "t1", TEXT)).await.unwrap();
    let d = router
        .process_turn(turn(tenant, "t2", "I want to talk to a human now."))
        .await
        .unwrap()
        .into_inner()
        .decision
        .unwrap();
    d.handoff
        .and_then(|h| h.context)
        .expect("the canary conversation hands off")
}

fn entity<'a>(c: &'a pb::HandoffContext, kind: &str) -> &'a str {
    c.entities
        .iter()
        .find(|e| e.kind == kind)
        .map(|e| e.value.as_str())
        .unwrap_or_else(|| panic!("no {kind} in {:?}", c.entities))
}

/// The personal entities of the canary conversation, in the order written.
fn personal(c: &pb::HandoffContext) -> [&str; 6] {
    ["name", "address", "iban", "card_number", "email", "phone"].map(|k| entity(c, k))
}

const MASKED: &str = "Hi, my name is [name] and I live at [address]. Please refund to [iban], card \
[card_number] was charged twice. Mail [email] or call [phone].";

/// A `serve` child process and what it logged so far.
struct Server {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
    addr: String,
}

/// Starts the binary on a SQLite file in `dir` with `config` and extra environment; waits until it
/// says `serving`. On exit before that, the log.
fn spawn(config: &Path, dir: &Path, env: &[(&str, String)]) -> Result<Server, String> {
    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(config)
        .env("ESCALATION__SERVER__LISTEN", "127.0.0.1:0")
        .env(
            "ESCALATION__STORE__URL",
            format!("sqlite://{}/canary.db", dir.display()),
        )
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = child::stderr_lines(&mut child);
    let mut log: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let Ok(line) = lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(log.join("\n"));
        };
        log.push(line.clone());
        if line.contains("serving") && line.contains("addr=") {
            let at = line.find("addr=").unwrap() + 5;
            let addr = line[at..].split_whitespace().next().unwrap().to_string();
            return Ok(Server {
                child,
                lines,
                log,
                addr,
            });
        }
    }
}

async fn connect(addr: &str) -> EscalationRouterClient<tonic::transport::Channel> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    EscalationRouterClient::new(channel)
}

/// Whether any canary is in any file of `dir` once the write-ahead log is checkpointed.
fn canary_in_files(dir: &Path) -> Option<String> {
    rusqlite::Connection::open(dir.join("canary.db"))
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    for file in std::fs::read_dir(dir).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for k in CANARIES {
            if text.contains(k) {
                return Some(format!("canary {k} in {}", path.display()));
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pii_canaries_never_reach_the_log_and_each_redaction_mode_shows_what_it_promises() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let Server {
        mut child,
        lines,
        mut log,
        addr,
    } = spawn(&config, dir.path(), &[]).unwrap_or_else(|log| panic!("no `serving`:\n{log}"));
    let mut router = connect(&addr).await;

    // `none`: the agent sees everything as written.
    let c = handoff(&mut router, "plain").await;
    assert_eq!(c.transcript[0].text, TEXT);
    assert_eq!(entity(&c, "name"), "Quirinus Zabelstein");
    assert_eq!(entity(&c, "address"), "Quittenweg 47, 99423 Weimar");

    // `transcript` (the default): the transcript and the goal are masked; the entities stay.
    let c = handoff(&mut router, "acme").await;
    assert_eq!(c.transcript[0].text, MASKED);
    let goal = c.summary.as_ref().unwrap().goal.clone();
    assert!(CANARIES.iter().all(|k| !goal.contains(k)), "{goal}");
    assert_eq!(
        personal(&c),
        [
            "Quirinus Zabelstein",
            "Quittenweg 47, 99423 Weimar",
            "DE89370400440532013000",
            "4111111111111111",
            "quirinus.zabelstein@example.org",
            "+49 171 9876543",
        ]
    );

    // `all`: masked everywhere; the agent can still match the last characters with the customer.
    let c = handoff(&mut router, "masked").await;
    assert_eq!(c.transcript[0].text, MASKED);
    assert_eq!(
        personal(&c),
        [
            "***",
            "***",
            "****3000",
            "****1111",
            "q***@example.org",
            "***43"
        ]
    );
    let everything = format!("{c:?}");
    for k in CANARIES {
        assert!(!everything.contains(k), "{k} in the `all` context");
    }

    // Erased, in every tenant.
    for tenant in ["plain", "acme", "masked"] {
        let erased = router
            .forget_conversation(pb::ForgetConversationRequest {
                tenant_id: tenant.into(),
                conversation_id: "canary".into(),
                customer_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(erased.conversations_erased, 1, "{tenant}");
        let gone = router
            .get_conversation(pb::GetConversationRequest {
                tenant_id: tenant.into(),
                conversation_id: "canary".into(),
                recent_turns: 0,
            })
            .await
            .unwrap_err();
        assert_eq!(gone.code(), tonic::Code::NotFound);
    }

    // Stop the server and read its whole log.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    log.extend(lines.try_iter());
    assert!(
        log.iter().any(|l| l.contains("DEBUG")),
        "the log was written at debug"
    );
    assert!(
        log.iter().any(|l| l.contains("handoff opened")),
        "handoffs are logged"
    );
    for line in &log {
        for k in CANARIES {
            assert!(!line.contains(k), "canary {k} in the log: {line}");
        }
    }

    // Nor in the SQLite file once the write-ahead log is checkpointed into it (`secure_delete`
    // overwrites what was erased).
    if let Some(found) = canary_in_files(dir.path()) {
        panic!("{found}");
    }
}

/// With `store.encryption_key_file`, a live (not erased) conversation's canaries are in no file of
/// the store, and the service still answers with them; started again without the key, the server
/// refuses to start and says which setting is missing.
#[tokio::test]
async fn with_an_encryption_key_a_live_conversation_is_in_no_file_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let key = dir.path().join("store.key");
    std::fs::write(&config, CONFIG).unwrap();
    std::fs::write(
        &key,
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
    )
    .unwrap();
    let store = dir.path().join("store");
    std::fs::create_dir(&store).unwrap();
    let keyed = [(
        "ESCALATION__STORE__ENCRYPTION_KEY_FILE",
        key.display().to_string(),
    )];
    let mut server = spawn(&config, &store, &keyed).unwrap_or_else(|log| panic!("{log}"));
    let mut router = connect(&server.addr).await;
    let c = handoff(&mut router, "plain").await;
    assert_eq!(c.transcript[0].text, TEXT);
    let _ = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status();
    let _ = server.child.wait();
    server.log.extend(server.lines.try_iter());
    assert!(
        server.log.iter().all(|l| !l.contains("0011223344")),
        "the key is never logged"
    );
    assert_eq!(canary_in_files(&store), None);
    let log = match spawn(&config, &store, &[]) {
        Ok(mut s) => {
            let _ = s.child.kill();
            panic!("started without the key")
        }
        Err(log) => log,
    };
    assert!(log.contains("store.encryption_key_file"), "{log}");
}
