//! Group commit: one thread owns the write connection and applies whatever jobs have queued up
//! while the previous transaction was being made durable, in one transaction with one fsync.
//!
//! Each job runs inside its own savepoint, so a failing job undoes only its own writes; every job
//! is answered only after the whole transaction has committed (or with the commit's error).

use crate::state::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use tracing::warn;

/// Called once the batch's transaction has ended: `Ok` when it is durable.
pub type Answer = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// Runs in the batch's transaction and says whether its savepoint is kept.
pub type Run = Box<dyn FnOnce(&Connection) -> (bool, Answer) + Send>;

/// A unit of writing.
pub struct Job {
    pub durability: Durability,
    pub run: Run,
}

/// Whether a write is answered only once it is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Turns, acknowledgements, erasure: fsynced before the answer (`synchronous=FULL`).
    Synced,
    /// Leases: a crash may lose them (the restarted process releases every lease anyway), so a
    /// batch of only these commits without an fsync (`synchronous=OFF`; WAL keeps the order, and
    /// the next synced commit makes them durable too).
    Lease,
    /// Synced, and once the batch is durable the log is checkpointed into the file and truncated
    /// before anyone is answered: sent after an erasure, so erased records leave the log at once
    /// (the log is otherwise checkpointed every `CHECKPOINT_PAGES` pages).
    Checkpoint,
}

/// Log pages between automatic checkpoints: SQLite's default. A longer interval copies a page
/// that many turns touch (a conversation's row, the end of `turns`) into the file fewer times,
/// but its checkpoint is longer too: at 10,000 the first turn after a 3x overload
/// (`scripts/overload_test.sh`) waited 1.4-2.3 s in half of the runs, at 1,000 8-34 ms.
pub const CHECKPOINT_PAGES: i64 = 1_000;

/// Most jobs in one transaction; bounds the latency one batch adds to the next.
const MAX_BATCH: usize = 512;

/// How much group commit happened: transactions and the jobs they carried.
#[derive(Default)]
pub struct Stats {
    pub transactions: AtomicU64,
    pub jobs: AtomicU64,
}

/// A batch's waiters and how its transaction ended, to be answered together.
pub struct Answers {
    answers: Vec<Answer>,
    outcome: Result<(), String>,
}

impl Answers {
    /// Answers every waiter of the batch.
    pub fn send(self) {
        for answer in self.answers {
            answer(
                self.outcome
                    .clone()
                    .map_err(|e| StoreError::Unavailable(format!("sqlite: {e}"))),
            );
        }
    }
}

/// Runs until every sender is gone (the store was dropped). A batch's answers go to `answered`
/// (a task on the runtime, so the batch costs one wake-up across threads, not one a waiter);
/// should that task be gone, they are answered from this thread.
pub fn run(
    mut conn: Connection,
    jobs: mpsc::Receiver<Job>,
    stats: Arc<Stats>,
    answered: tokio::sync::mpsc::UnboundedSender<Answers>,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        stats.transactions.fetch_add(1, Ordering::Relaxed);
        stats.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        crate::metrics::store_batch(batch.len());
        if let Some(answers) = commit_batch(&mut conn, batch)
            && let Err(unsent) = answered.send(answers)
        {
            unsent.0.send();
        }
    }
}

/// Commits the batch; `None` when its jobs were dropped unrun (their waiters see the reply channel
/// close, `Unavailable`).
fn commit_batch(conn: &mut Connection, batch: Vec<Job>) -> Option<Answers> {
    let synced = batch.iter().any(|j| j.durability != Durability::Lease);
    let checkpoint = batch.iter().any(|j| j.durability == Durability::Checkpoint);
    let level = if synced { "FULL" } else { "OFF" };
    if let Err(e) = conn.pragma_update(None, "synchronous", level) {
        warn!(error = %e, "sqlite: cannot set synchronous");
        // Never commit a synced write without FULL (its waiters see Unavailable); leases may
        // go out synced.
        if synced {
            return None;
        }
    }
    // A job that never runs is dropped: its waiter sees the reply channel close (Unavailable).
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            warn!(error = %e, "sqlite: cannot begin a write transaction");
            return None;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let mut sp = match tx.savepoint() {
            Ok(sp) => sp,
            Err(e) => {
                warn!(error = %e, "sqlite: cannot open a savepoint");
                continue;
            }
        };
        let (keep, answer) = (job.run)(&sp);
        let ended = if keep {
            sp.commit()
        } else {
            sp.rollback().and_then(|()| sp.commit())
        };
        if let Err(e) = ended {
            warn!(error = %e, "sqlite: ending a savepoint failed");
        }
        answers.push(answer);
    }
    let outcome = tx.commit().map_err(|e| {
        warn!(error = %e, "sqlite: commit failed");
        e.to_string()
    });
    if checkpoint && outcome.is_ok() {
        // (busy, log pages, pages copied): busy when a reader kept it from finishing.
        match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(0) => {}
            Ok(_) => warn!("sqlite: the log checkpoint after an erasure was kept busy by a reader"),
            Err(e) => warn!(error = %e, "sqlite: the log checkpoint after an erasure failed"),
        }
    }
    Some(Answers { answers, outcome })
}
