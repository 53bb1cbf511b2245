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
