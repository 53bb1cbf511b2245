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
