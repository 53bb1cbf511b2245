//! PII canaries through the release binary: a name, a street address, an IBAN, an e-mail, a phone
//! and a card in a conversation that hands off over real gRPC (SQLite file, logs at `debug` for
//! every crate, which includes everything logged at `info`), then `ForgetConversation`. None of the
//! canaries may appear in the log, nor in the SQLite files after a checkpoint; each redaction mode
//! shows in the context what it promises.

use escalation_router::pb::{self, escalation_router_client::EscalationRouterClient};
use std::io::BufRead;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pii_canaries_never_reach_the_log_and_each_redaction_mode_shows_what_it_promises() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .env("ESCALATION__SERVER__LISTEN", "127.0.0.1:0")
        .env(
            "ESCALATION__STORE__URL",
            format!("sqlite://{}/canary.db", dir.path().display()),
        )
        .env("RUST_LOG", "debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut log: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("the server never said `serving`:\n{}", log.join("\n")));
        log.push(line.clone());
        if line.contains("serving") && line.contains("addr=") {
            let at = line.find("addr=").unwrap() + 5;
            break line[at..].split_whitespace().next().unwrap().to_string();
        }
    };
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut router = EscalationRouterClient::new(channel);

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
    let db = dir.path().join("canary.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let path = file.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for k in CANARIES {
            assert!(!text.contains(k), "canary {k} in {}", path.display());
        }
    }
}
