//! Two `serve` replicas sharing one PostgreSQL database (see `support/pg.rs`), each conversation's
//! turns alternating between them, some turns sent to both at once: the decisions equal those of
//! one process on the in-memory store, every turn is applied once, and every handoff reaches a
//! subscriber of either replica exactly under one event id.

#[path = "support/pg.rs"]
mod pg;

use escalation_router::config::Config;
use escalation_router::pb::{
    self, escalation_router_client::EscalationRouterClient, handoff_feed_client::HandoffFeedClient,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::Channel;

const TENANT: &str = "replicas";
const CONVERSATIONS: usize = 12;
const TURNS: u64 = 10;

/// A server running in this process until the sender is dropped.
async fn serve(url: &str) -> (Channel, oneshot::Sender<()>) {
    let mut config = Config::default();
    config.store.url = url.to_string();
    config.feed.lease_seconds = 2;
    config.feed.poll_ms = 50;
    // The turns carry recorded times from 2023.
    config.limits.max_clock_skew_seconds = 0;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(e) = escalation_router::server::run(config, listener, shutdown).await {
            panic!("server failed: {e:#}");
        }
    });
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10));
    for _ in 0..100 {
        if let Ok(c) = channel.connect().await {
            return (c, stop);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server at {addr} did not come up");
}

fn turn(conversation: usize, n: u64) -> pb::ProcessTurnRequest {
    let customer = n % 2 == 1;
    let text = match (conversation % 3, n) {
        (_, 5) | (0, 9) => {
            if conversation.is_multiple_of(2) {
                "Ich möchte mit einem Mitarbeiter sprechen"
            } else {
                "I want to talk to a human agent"
            }
        }
        (1, 7) => "This is useless, you never understand anything!",
        _ if customer => "Where is my parcel? It should have arrived yesterday.",
        _ => "Let me check the tracking for you.",
    };
    pb::ProcessTurnRequest {
        turn: Some(pb::Turn {
            tenant_id: TENANT.into(),
            conversation_id: format!("conv-{conversation}"),
            turn_id: format!("conv-{conversation}-{n}"),
            sequence: Some(n),
            role: if customer || n == 5 || n == 9 {
                pb::Role::Customer as i32
            } else {
                pb::Role::Bot as i32
            },
            text: text.into(),
            time: Some(prost_types::Timestamp {
                seconds: 1_700_000_000 + (conversation as i64) * 1000 + (n as i64) * 20,
                nanos: 0,
            }),
            ..Default::default()
        }),
    }
}

/// The decision without what differs between runs by design: handoff ids (random) and the
/// duplicate flag.
fn normalised(mut d: pb::Decision) -> pb::Decision {
    if let Some(h) = &mut d.handoff {
        h.handoff_id.clear();
    }
    d.duplicate = false;
    d
}

async fn process(
    client: &mut EscalationRouterClient<Channel>,
    r: pb::ProcessTurnRequest,
) -> pb::Decision {
    client
        .process_turn(r)
        .await
        .unwrap_or_else(|s| panic!("ProcessTurn failed: {s:?}"))
        .into_inner()
        .decision
        .expect("a decision")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_database_decide_as_one_process() {
    let url = pg::database("replicas").await;
    let (a, _stop_a) = serve(&url).await;
    let (b, _stop_b) = serve(&url).await;
    let (reference, _stop_ref) = serve("memory").await;

    // One process, one turn after another: what every decision must be.
    let mut one = EscalationRouterClient::new(reference);
    let mut want: HashMap<(usize, u64), pb::Decision> = HashMap::new();
    for c in 0..CONVERSATIONS {
        for n in 1..=TURNS {
            want.insert((c, n), normalised(process(&mut one, turn(c, n)).await));
        }
    }

    // Two replicas, all conversations at once; turn n goes to replica n % 2, and every third turn
    // to both at the same moment.
    let mut tasks = Vec::new();
    for c in 0..CONVERSATIONS {
        let replicas = [
            EscalationRouterClient::new(a.clone()),
            EscalationRouterClient::new(b.clone()),
        ];
        tasks.push(tokio::spawn(async move {
            let [mut ca, mut cb] = replicas;
            let mut got = Vec::new();
            for n in 1..=TURNS {
                if n.is_multiple_of(3) {
                    let (x, y) =
                        tokio::join!(process(&mut ca, turn(c, n)), process(&mut cb, turn(c, n)));
                    assert_eq!(
                        [x.duplicate, y.duplicate].iter().filter(|d| !**d).count(),
                        1,
                        "conv-{c} turn {n}: exactly one replica applies a turn sent to both"
                    );
                    assert_eq!(normalised(x.clone()), normalised(y), "conv-{c} turn {n}");
                    got.push((n, x));
                } else if n.is_multiple_of(2) {
                    got.push((n, process(&mut ca, turn(c, n)).await));
                } else {
                    got.push((n, process(&mut cb, turn(c, n)).await));
                }
            }
            (c, got)
        }));
    }
    let mut handoffs = HashSet::new();
    for t in tasks {
        let (c, got) = t.await.unwrap();
        for (n, d) in got {
            if let Some(h) = &d.handoff
                && !h.handoff_id.is_empty()
            {
                handoffs.insert(h.handoff_id.clone());
            }
            assert_eq!(normalised(d), want[&(c, n)], "conv-{c} turn {n}");
        }
    }
    assert!(
        !handoffs.is_empty(),
        "no handoff happened: the test proves nothing"
    );

    // Every turn applied once, whichever replica is asked.
    let mut ca = EscalationRouterClient::new(a.clone());
    let mut cb = EscalationRouterClient::new(b.clone());
    for c in 0..CONVERSATIONS {
        let req = pb::GetConversationRequest {
            tenant_id: TENANT.into(),
            conversation_id: format!("conv-{c}"),
            recent_turns: 1,
        };
        let ta = ca.get_conversation(req.clone()).await.unwrap().into_inner();
        let tb = cb.get_conversation(req).await.unwrap().into_inner();
        assert_eq!((ta.turn_count, tb.turn_count), (TURNS, TURNS), "conv-{c}");
    }

    // One subscriber per replica in one consumer group: together they get every handoff once.
    let mut delivered: HashMap<String, HashSet<String>> = HashMap::new();
    let mut streams = Vec::new();
    for ch in [&a, &b] {
        let mut feed = HandoffFeedClient::new(ch.clone());
        let stream = feed
            .subscribe(pb::SubscribeRequest {
                consumer: "router".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        streams.push((feed, stream));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while delivered.len() < handoffs.len() && tokio::time::Instant::now() < deadline {
        for (feed, stream) in &mut streams {
            if let Ok(Ok(Some(ev))) =
                tokio::time::timeout(Duration::from_millis(50), stream.message()).await
            {
                // What the customer wrote while waiting comes as updates of the same handoff.
                if ev.kind == pb::HandoffEventKind::Opened as i32 {
                    delivered
                        .entry(ev.handoff_id.clone())
                        .or_default()
                        .insert(ev.event_id.clone());
                }
                feed.ack(pb::AckRequest {
                    consumer: "router".into(),
                    event_ids: vec![ev.event_id],
                })
                .await
                .unwrap();
            }
        }
    }
    let ids: HashSet<String> = delivered.keys().cloned().collect();
    assert_eq!(ids, handoffs, "every handoff delivered, and only those");
    assert!(
        delivered.values().all(|events| events.len() == 1),
        "one opening event per handoff"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_migrate_the_schema_once() {
    let url = pg::database("migrate").await;
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { escalation_router::state::open(&url, 16).await })
        })
        .collect();
    for o in opens {
        o.await.unwrap().expect("every replica opens the store");
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let versions: Vec<i32> = client
        .query("SELECT version FROM schema_version ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Every migration recorded once, in order.
    assert!(versions.len() >= 2, "{versions:?}");
    assert_eq!(versions, (1..=versions.len() as i32).collect::<Vec<_>>());
}

/// A client on a test database.
async fn sql_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// A conversation whose history holds its last three of seven turns.
fn seven_turns(text: &str) -> escalation_router::domain::ConversationState {
    use escalation_router::domain::{ConversationState, TurnRecord};
    let mut state = ConversationState::new("acme", "c1", 1);
    state.version = 7;
    state.turn_count = 7;
    for seq in 5..=7 {
        state.recent.push_back(std::sync::Arc::new(TurnRecord {
            turn_id: format!("t{seq}"),
            text: format!("{text} {seq}"),
            signals: vec!["anger".into()],
            negative: 0.3,
            ..Default::default()
        }));
    }
    state
}

/// A database as schema version 3 left it (the whole state as JSON, history inside) opens with
/// the history moved to rows and reads back the same conversation.
#[tokio::test]
async fn a_version_3_database_is_upgraded_with_its_history_as_rows() {
    let url = pg::database("upgrade4").await;
    drop(escalation_router::state::open(&url, 16).await.unwrap());
    let client = sql_client(&url).await;
    // Back to version 3 (this build's migration 4 undone), with a version-3 row.
    client
        .batch_execute(
            "DROP TABLE turns; DROP TABLE store_meta; DELETE FROM schema_version WHERE version >= 4;",
        )
        .await
        .unwrap();
    let old = seven_turns("hello");
    client
        .execute(
            "INSERT INTO conversations VALUES ('acme', 'c1', 7, NULL, 1, $1)",
            &[&serde_json::to_vec(&old).unwrap()],
        )
        .await
        .unwrap();
    let store = escalation_router::state::open(&url, 16).await.unwrap();
    assert_eq!(
        store.load("acme", "c1").await.unwrap().as_deref(),
        Some(&old)
    );
    let seqs: Vec<i64> = client
        .query("SELECT seq FROM turns ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(seqs, [5, 6, 7]);
}

/// With a key, turn text is in no column of the database; another key is refused at open.
#[tokio::test]
async fn encrypted_records_keep_turn_text_out_of_the_database() {
    use escalation_router::state::{Codec, Commit, CommitResult};
    const CANARY: &str = "Canary-Pg-Quixote-4711";
    let url = pg::database("sealed").await;
    let key = Codec::with_key(&[9; 32]);
    let store = escalation_router::state::open_with(&url, 16, key.clone())
        .await
        .unwrap();
    let mut state = seven_turns(CANARY);
    state.version = 1;
    state.turn_count = 1;
    state.recent.drain(..2);
    let commit = Commit {
        state: state.clone(),
        expected_version: 0,
        receipt: Some(escalation_router::domain::TurnReceipt {
            turn_id: "t1".into(),
            fingerprint: 1,
            decision: escalation_router::domain::Decision {
                sequence: 1,
                ..Default::default()
            },
        }),
        event: None,
    };
    assert_eq!(store.commit(commit).await.unwrap(), CommitResult::Committed);
    assert_eq!(
        store.load("acme", "c1").await.unwrap().as_deref(),
        Some(&state)
    );
    let client = sql_client(&url).await;
    let blobs: Vec<Vec<u8>> = client
        .query(
            "SELECT state FROM conversations UNION ALL SELECT record FROM turns
             UNION ALL SELECT receipt FROM receipts",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(blobs.len(), 3);
    assert!(
        !blobs
            .iter()
            .any(|b| b.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()))
    );
    let err = escalation_router::state::open_with(&url, 16, Codec::with_key(&[1; 32]))
        .await
        .err()
        .expect("another key is refused");
    assert!(
        err.to_string()
            .contains("not the key this store was encrypted with"),
        "{err}"
    );
}
