//! SQLite-only behaviour; what every store does is in `tests/store_conformance.rs`.

use super::SqliteStore;
use crate::domain::ConversationState;
use crate::state::{Commit, CommitResult, Store};
use std::sync::Arc;

fn first_turn(id: usize) -> Commit {
    let mut state = ConversationState::new("acme", &format!("c{id}"), 1);
    state.version = 1;
    Commit {
        state,
        expected_version: 0,
        receipt: None,
        event: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_share_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(dir.path().join("db.sqlite"), 8)
            .await
            .unwrap(),
    );
    let before = store.group_commit();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.commit(first_turn(i)).await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), CommitResult::Committed);
    }
    let (transactions, writes) = store.group_commit();
    let (transactions, writes) = (transactions - before.0, writes - before.1);
    assert_eq!(writes, 200);
    assert!(
        transactions < writes,
        "200 concurrent commits took {transactions} transactions"
    );
}

#[tokio::test]
async fn a_file_from_a_newer_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    drop(SqliteStore::open(&path, 8).await.unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, 8).await.err().expect("refused");
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

#[tokio::test]
async fn reopening_migrates_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/db.sqlite");
    let store = SqliteStore::open(&path, 8).await.unwrap();
    assert_eq!(
        store.commit(first_turn(1)).await.unwrap(),
        CommitResult::Committed
    );
    drop(store);
    let store = SqliteStore::open(&path, 8).await.unwrap();
    assert!(store.load("acme", "c1").await.unwrap().is_some());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, super::schema::VERSION);
}

/// A file as schema version 1 left it (JSON records, one delivery row per hand-out) is upgraded
/// at open: what a group acknowledged stays delivered, the rest is pending for it, a new group
/// gets every event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_file_is_upgraded_with_its_feed_state() {
    use crate::domain::HandoffEvent;
    use crate::state::FeedFilter;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        super::schema::migrate_to(&mut conn, 1).unwrap();
        for (seq, c) in [(1, "c1"), (2, "c2"), (3, "c3")] {
            let ev = HandoffEvent {
                event_id: format!("ev-{c}"),
                tenant_id: "acme".into(),
                conversation_id: c.into(),
                ..Default::default()
            };
            conn.execute(
                "INSERT INTO events (seq, event_id, tenant_id, conversation_id, queue, created_ms, event)
                 VALUES (?1, ?2, 'acme', ?3, '', 1, ?4)",
                rusqlite::params![seq, ev.event_id, c, serde_json::to_vec(&ev).unwrap()],
            )
            .unwrap();
        }
        // Group g acknowledged ev-c1 and holds a live lease on ev-c2 (its process then died).
        conn.execute_batch(
            "INSERT INTO deliveries VALUES ('g', 'ev-c1', NULL, 1, 1);
             INSERT INTO deliveries VALUES ('g', 'ev-c2', 99999999999999, 1, 0);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path, 8).await.unwrap();
    let group = |name: &str| FeedFilter {
        consumer: name.into(),
        ..Default::default()
    };
    let lease = std::time::Duration::from_secs(60);
    let ids = |evs: Vec<HandoffEvent>| -> Vec<(String, u32)> {
        evs.into_iter()
            .map(|e| (e.event_id, e.redeliveries))
            .collect()
    };
    assert_eq!(
        ids(store.claim(&group("g"), 10, lease).await.unwrap()),
        [("ev-c2".to_string(), 1), ("ev-c3".to_string(), 0)]
    );
    assert_eq!(
        ids(store.claim(&group("h"), 10, lease).await.unwrap()).len(),
        3
    );
}

/// A conversation of `turns` turns as the engine leaves it: its history holds the last `kept`.
fn conversation_with(turns: u64, kept: u64, text: &str) -> ConversationState {
    use crate::domain::TurnRecord;
    let mut state = ConversationState::new("acme", "c1", 1);
    state.version = turns;
    state.turn_count = turns;
    for seq in turns + 1 - kept..=turns {
        state.recent.push_back(Arc::new(TurnRecord {
            turn_id: format!("t{seq}"),
            text: format!("{text} {seq}"),
            time_ms: seq as i64,
            signals: vec!["anger".into()],
            negative: 0.25,
            ..Default::default()
        }));
    }
    state
}

/// The receipt a turn's commit carries (a turn commit appends its history row).
fn receipt(seq: u64) -> Option<crate::domain::TurnReceipt> {
    Some(crate::domain::TurnReceipt {
        turn_id: format!("t{seq}"),
        fingerprint: seq,
        decision: crate::domain::Decision {
            sequence: seq,
            ..Default::default()
        },
    })
}

/// Commits `state` as the next turn (its receipt included), then opens the file again (no cache)
/// and checks the conversation reads back as committed.
async fn commit_turn_and_reopen(
    store: SqliteStore,
    path: &std::path::Path,
    window: usize,
    state: &ConversationState,
) -> SqliteStore {
    let commit = Commit {
        state: state.clone(),
        expected_version: state.version - 1,
        receipt: receipt(state.turn_count),
        event: None,
    };
    assert_eq!(store.commit(commit).await.unwrap(), CommitResult::Committed);
    drop(store);
    let store = SqliteStore::open(path, window).await.unwrap();
    assert_eq!(
        store.load("acme", "c1").await.unwrap().as_deref(),
        Some(state)
    );
    store
}

/// One number from the file (a fresh connection).
fn count(path: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A file as schema version 3 left it (the whole state, history included, as JSON in one column)
/// opens with the history moved to rows; the next turn writes one row, and the conversation reads
/// back whole.
#[tokio::test]
async fn a_version_3_file_is_upgraded_with_its_history_as_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    let old = conversation_with(7, 3, "hello");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        super::schema::migrate_to(&mut conn, 3).unwrap();
        conn.execute(
            "INSERT INTO conversations VALUES ('acme', 'c1', 7, NULL, 1, ?1)",
            rusqlite::params![serde_json::to_vec(&old).unwrap()],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path, 8).await.unwrap();
    assert_eq!(
        store.load("acme", "c1").await.unwrap().as_deref(),
        Some(&old)
    );
    assert_eq!(count(&path, "SELECT count(*) FROM turns"), 3);
    let mut next = old.clone();
    next.version = 8;
    next.turn_count = 8;
    next.recent.pop_front();
    next.recent
        .push_back(conversation_with(8, 1, "hello").recent[0].clone());
    commit_turn_and_reopen(store, &path, 8, &next).await;
    assert_eq!(count(&path, "SELECT count(*) FROM turns"), 3);
    assert_eq!(count(&path, "SELECT min(seq) FROM turns"), 6);
}

/// A file as schema version 4 left it (history rows and receipts in tables of their own, the
/// receipts reaching further back than the history) opens with both in one row per turn; reads,
/// dedupe and the next turn's trimming work on it as on a new file.
#[tokio::test]
async fn a_version_4_file_is_upgraded_to_one_row_per_turn() {
    use crate::state::Codec;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    let old = conversation_with(7, 3, "hello");
    let codec = Codec::plain();
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        super::schema::migrate_to(&mut conn, 4).unwrap();
        let mut bare = old.clone();
        bare.recent.clear();
        conn.execute(
            "INSERT INTO conversations VALUES ('acme', 'c1', 7, NULL, 120000, ?1)",
            rusqlite::params![codec.encode(&bare).unwrap()],
        )
        .unwrap();
        for (i, record) in old.recent.iter().enumerate() {
            conn.execute(
                "INSERT INTO turns VALUES ('acme', 'c1', ?1, ?2)",
                rusqlite::params![5 + i as i64, codec.encode(&**record).unwrap()],
            )
            .unwrap();
        }
        for seq in 1..=7u64 {
            conn.execute(
                "INSERT INTO receipts VALUES ('acme', 'c1', ?1, ?2, ?3)",
                rusqlite::params![
                    format!("t{seq}"),
                    seq as i64,
                    codec.encode(&receipt(seq).unwrap()).unwrap()
                ],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path, 6).await.unwrap();
    assert_eq!(
        store.load("acme", "c1").await.unwrap().as_deref(),
        Some(&old)
    );
    assert_eq!(store.receipt("acme", "c1", "t2").await.unwrap(), receipt(2));
    assert_eq!(store.receipt_at("acme", "c1", 6).await.unwrap(), receipt(6));
    assert_eq!(count(&path, "SELECT count(*) FROM turns"), 7);
    assert_eq!(count(&path, "SELECT idle_minute FROM conversations"), 2);
    let mut repeat = old.clone();
    repeat.version = 8;
    let duplicate = Commit {
        state: repeat,
        expected_version: 7,
        receipt: receipt(3),
        event: None,
    };
    assert_eq!(
        store.commit(duplicate).await.unwrap(),
        CommitResult::Duplicate(Box::new(receipt(3).unwrap()))
    );
    // Turn 8: turn 5 leaves the history (its receipt stays), turns 1 and 2 leave the window of 6.
    let next = conversation_with(8, 3, "hello");
    let store = commit_turn_and_reopen(store, &path, 6, &next).await;
    assert_eq!(store.receipt("acme", "c1", "t2").await.unwrap(), None);
    assert_eq!(store.receipt_at("acme", "c1", 3).await.unwrap(), receipt(3));
    assert_eq!(count(&path, "SELECT min(seq) FROM turns"), 3);
    assert_eq!(
        count(&path, "SELECT count(*) FROM turns WHERE record IS NOT NULL"),
        3
    );
}

/// A turn's row keeps its history record while the turn is in the history and its receipt while
/// it is in the receipt window, whichever is longer, and goes when it is in neither.
#[tokio::test]
async fn a_turn_row_lives_as_long_as_its_history_record_or_its_receipt() {
    let dir = tempfile::tempdir().unwrap();
    for (window, history) in [(2u64, 4u64), (5, 2)] {
        let path = dir.path().join(format!("w{window}.db"));
        let mut store = SqliteStore::open(&path, window as usize).await.unwrap();
        for n in 1..=9u64 {
            let state = conversation_with(n, n.min(history), "text");
            store = commit_turn_and_reopen(store, &path, window as usize, &state).await;
        }
        for seq in 1..=9u64 {
            let kept = seq + window > 9;
            let expected = if kept { receipt(seq) } else { None };
            assert_eq!(store.receipt_at("acme", "c1", seq).await.unwrap(), expected);
            assert_eq!(
                store
                    .receipt("acme", "c1", &format!("t{seq}"))
                    .await
                    .unwrap(),
                expected,
                "window {window}, turn {seq}"
            );
        }
        let rows = count(&path, "SELECT count(*) FROM turns") as u64;
        assert_eq!(rows, window.max(history), "window {window}");
    }
}

/// The bytes of the database file and its write-ahead log.
fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    let wal = path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        bytes.extend(more);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// An erased conversation's text leaves the database file and its write-ahead log as soon as the
/// erasure is answered (the log keeps older pages until it is checkpointed, so the erasure
/// checkpoints it).
#[tokio::test]
async fn forgotten_text_leaves_the_file_and_its_log_when_forget_returns() {
    const CANARY: &str = "Canary-Forgotten-Vexillum-8812";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("forget.db");
    let store = SqliteStore::open(&path, 8).await.unwrap();
    let commit = Commit {
        state: conversation_with(1, 1, CANARY),
        expected_version: 0,
        receipt: receipt(1),
        event: None,
    };
    assert_eq!(store.commit(commit).await.unwrap(), CommitResult::Committed);
    assert!(contains(&file_bytes(&path), CANARY));
    assert_eq!(store.forget("acme", Some("c1"), None).await.unwrap(), 1);
    assert!(!contains(&file_bytes(&path), CANARY));
    assert_eq!(store.load("acme", "c1").await.unwrap(), None);
}

/// With `store.encryption_key_file` a turn's text is not in the file's bytes; without it, it is.
/// Another key, or none, refuses to open the encrypted file with a clear message.
#[tokio::test]
async fn encrypted_records_keep_turn_text_out_of_the_file() {
    use crate::state::Codec;
    const CANARY: &str = "Canary-Zebulon-Quixote-4711";
    let dir = tempfile::tempdir().unwrap();
    for (name, codec) in [
        ("clear.db", Codec::plain()),
        ("sealed.db", Codec::with_key(&[7; 32])),
    ] {
        let path = dir.path().join(name);
        let store = SqliteStore::open_with(&path, 8, codec.clone())
            .await
            .unwrap();
        let state = conversation_with(1, 1, CANARY);
        let commit = Commit {
            state: state.clone(),
            expected_version: 0,
            receipt: receipt(1),
            event: None,
        };
        assert_eq!(store.commit(commit).await.unwrap(), CommitResult::Committed);
        drop(store);
        // A fresh store (no cache) reads it back whole.
        let store = SqliteStore::open_with(&path, 8, codec.clone())
            .await
            .unwrap();
        assert_eq!(
            store.load("acme", "c1").await.unwrap().as_deref(),
            Some(&state)
        );
        drop(store);
        assert_eq!(
            contains(&file_bytes(&path), CANARY),
            !codec.encrypted(),
            "{name}"
        );
    }
    let sealed = dir.path().join("sealed.db");
    let err = SqliteStore::open_with(&sealed, 8, Codec::with_key(&[8; 32]))
        .await
        .err()
        .expect("another key is refused");
    assert!(
        err.to_string()
            .contains("not the key this store was encrypted with"),
        "{err}"
    );
    let err = SqliteStore::open(&sealed, 8)
        .await
        .err()
        .expect("no key is refused");
    assert!(
        err.to_string().contains("set store.encryption_key_file"),
        "{err}"
    );
}

/// Bytes a turn's commit writes, by conversation length: the whole state as JSON (schema 3)
/// against the state without its history plus the one new history row (schema 4).
/// `cargo test --lib bytes_written_per_turn -- --ignored --nocapture`
#[tokio::test]
#[ignore = "prints figures for the README"]
async fn bytes_written_per_turn_by_conversation_length() {
    use crate::detect::Detector;
    use crate::domain::{Role, Turn};
    use crate::engine::{Engine, EngineSettings};
    use crate::state::codec::{Codec, CommitRow};
    let store = crate::state::open("memory", 256).await.unwrap();
    let engine = Engine::new(Arc::new(Detector::new()), store, EngineSettings::default());
    let lines = [
        "Hi, my parcel SR-4471902 has not arrived and the tracking page says delivered.",
        "I'm sorry to hear that. Could you confirm the delivery address for me?",
        "It's 22 Baker Street, London. Nobody left anything here and I have been waiting all week.",
        "Thanks. I have opened a search with the carrier; it can take up to 48 hours.",
    ];
    println!(
        "turns  json_state  binary_state  turn_row  (bytes written by the next turn's commit)"
    );
    for n in 1..=200u64 {
        let turn = Turn {
            tenant_id: "acme".into(),
            conversation_id: "c".into(),
            turn_id: format!("t{n}"),
            sequence: Some(n),
            role: if n % 2 == 1 {
                Role::Customer
            } else {
                Role::Bot
            },
            text: lines[(n as usize - 1) % lines.len()].into(),
            time_ms: 1_750_000_000_000 + n as i64 * 1000,
            ..Default::default()
        };
        engine.process(turn).await.unwrap();
        if [2, 10, 50, 200].contains(&n) {
            let state = Arc::unwrap_or_clone(engine.conversation("acme", "c").await.unwrap());
            let json = serde_json::to_vec(&state).unwrap().len();
            let mut commit = Commit {
                state,
                expected_version: n - 1,
                receipt: receipt(n),
                event: None,
            };
            let row = CommitRow::encode(&mut commit, &Codec::plain()).unwrap();
            let turn_row = row.turn.as_ref().map_or(0, |t| t.1.len());
            println!("{n:>5}  {json:>10}  {:>12}  {turn_row:>8}", row.state.len());
        }
    }
}
