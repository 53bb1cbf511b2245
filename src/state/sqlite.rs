//! The SQLite store: the default for `serve`, one process, nothing to install.
//!
//! One file in WAL mode with `synchronous=FULL`. Every write goes to one writer thread that
//! group-commits (`writer`): the commits that queued up while the previous transaction was being
//! made durable share one transaction and one fsync, and each is answered only after that
//! transaction is durable. Reads use a small pool of separate connections on blocking threads (WAL
//! lets them read while the writer writes). Nothing here blocks the tokio runtime.

mod commit;
mod schema;
#[cfg(test)]
mod tests;
mod writer;
mod writes;

use super::codec::{self, Codec};
use super::quality;
use super::queues::QueueCache;
use super::{
    Commit, CommitResult, FeedFilter, OutcomeRecord, QualityRow, QueueSnapshot, Store, StoreError,
    memory::add_outcome,
};
use crate::domain::{ConversationState, HandoffEvent, TurnReceipt};
use crate::policy::QueueStatus;
use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, params};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};
use writer::{Answer, Durability, Job};

/// Idle read connections kept open.
const READERS: usize = 8;
/// Conversations whose last committed state is kept decoded in memory. Past this many the cache
/// starts over (cheap, and a miss only costs one read).
const CACHED: usize = 20_000;

/// The last committed state of recently active conversations, so a turn neither reads nor decodes
/// its conversation from the file (no trip to a read thread at all). Only committed states enter
/// it. Another process writing the same file makes an entry stale; the writer's version check
/// then answers `Conflict`, which evicts the entry, and the retry reads the file.
///
/// Erasure must win over a racing commit: `forget` and `expire` bump `epoch` before and after their
/// write and then clear; a commit puts its state only if the epoch is still the one it started in.
#[derive(Default)]
struct StateCache {
    map: Mutex<std::collections::HashMap<(String, String), Arc<ConversationState>>>,
    epoch: std::sync::atomic::AtomicU64,
}

impl StateCache {
    fn get(&self, tenant_id: &str, conversation_id: &str) -> Option<Arc<ConversationState>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(tenant_id.to_string(), conversation_id.to_string()))
            .cloned()
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    fn put(&self, state: Arc<ConversationState>, started: u64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if self.epoch() != started {
            return;
        }
        if map.len() >= CACHED {
            map.clear();
        }
        map.insert(
            (state.tenant_id.clone(), state.conversation_id.clone()),
            state,
        );
    }

    fn evict(&self, tenant_id: &str, conversation_id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&(tenant_id.to_string(), conversation_id.to_string()));
    }

    /// Runs an erasing write with the cache kept out of its way (see the type's comment).
    async fn erasing<T>(&self, write: impl std::future::Future<Output = T>) -> T {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let out = write.await;
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.map.lock().unwrap_or_else(|e| e.into_inner()).clear();
        out
    }
}

pub struct SqliteStore {
    /// Jobs for the writer thread; the thread ends when the store (the last sender) is dropped.
    jobs: mpsc::Sender<Job>,
    /// Idle read connections, reused across blocking reads.
    readers: Arc<Mutex<Vec<Connection>>>,
    path: PathBuf,
    notify: Arc<Notify>,
    /// Turn receipts kept per conversation (as the memory store keeps them).
    receipt_window: u64,
    /// Counted by the writer thread: how many writes shared each transaction.
    stats: Arc<writer::Stats>,
    cache: StateCache,
    /// Consumer groups known to be registered in the file (`writes::register`).
    consumers: Mutex<std::collections::HashSet<String>>,
    queues: QueueCache,
    /// Encodes and (with a key) seals every record.
    codec: Codec,
}

impl SqliteStore {
    /// Opens (creating the file and its directory if needed) and migrates the database at `path`.
    pub async fn open(path: impl AsRef<Path>, receipt_window: usize) -> Result<Self, StoreError> {
        Self::open_with(path, receipt_window, Codec::plain()).await
    }

    /// `open`, with records written (and read) by `codec`: sealed when it has a key. A file that
    /// holds sealed records refuses to open without its key or with another one.
    pub async fn open_with(
        path: impl AsRef<Path>,
        receipt_window: usize,
        codec: Codec,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let p = path.clone();
        let c = codec.clone();
        let conn = tokio::task::spawn_blocking(move || open_writer(&p, &c))
            .await
            .map_err(|e| StoreError::Unavailable(format!("sqlite open task: {e}")))??;
        let (tx, rx) = mpsc::channel();
        let stats = Arc::new(writer::Stats::default());
        let counted = stats.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer::run(conn, rx, counted))
            .map_err(|e| StoreError::Unavailable(format!("starting the sqlite writer: {e}")))?;
        Ok(SqliteStore {
            jobs: tx,
            readers: Arc::new(Mutex::new(Vec::new())),
            path,
            notify: Arc::new(Notify::new()),
            receipt_window: receipt_window.max(1) as u64,
            stats,
            cache: StateCache::default(),
            consumers: Mutex::new(Default::default()),
            queues: QueueCache::default(),
            codec,
        })
    }

    /// (transactions, writes) committed so far: writes per transaction is the group-commit factor.
    pub fn group_commit(&self) -> (u64, u64) {
        (
            self.stats.transactions.load(Ordering::Relaxed),
            self.stats.jobs.load(Ordering::Relaxed),
        )
    }

    /// Runs `f` on the writer thread inside the current batch's transaction; resolves once that
    /// transaction is durable. `f` returning `Err` undoes only its own writes.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.write_as(Durability::Synced, f).await
    }

    /// `write` for what a crash may lose: leases (a restart releases them anyway). A transaction
    /// of only such writes is committed without waiting for an fsync.
    async fn write_lease<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.write_as(Durability::Lease, f).await
    }

    async fn write_as<T: Send + 'static>(
        &self,
        durability: Durability,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        let run = Box::new(move |conn: &Connection| {
            let result = f(conn);
            let keep = result.is_ok();
            let answer: Answer = Box::new(move |committed: Result<(), StoreError>| {
                let _ = tx.send(committed.and(result));
            });
            (keep, answer)
        });
        self.jobs
            .send(Job { durability, run })
            .map_err(|_| StoreError::Unavailable("sqlite writer stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("sqlite write was not completed".into()))?
    }

    /// Checkpoints the log into the file and truncates it, so what was just erased (overwritten
    /// with zeros in the file, `secure_delete`) is not left in the log's older pages.
    async fn checkpoint(&self) -> Result<(), StoreError> {
        self.write_as(Durability::Checkpoint, |_| Ok(())).await
    }

    /// Runs `f` on a blocking thread with a read connection.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let idle = readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match idle {
                Some(c) => c,
                None => open_reader(&path)?,
            };
            let result = f(&conn);
            let mut idle = readers.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < READERS {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("sqlite read task: {e}")))?
    }
}

fn open_writer(path: &Path, codec: &Codec) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("creating directory {}: {e}", dir.display()))
        })?;
    }
    let mut conn = Connection::open(path).map_err(|e| {
        StoreError::Unavailable(format!("opening sqlite file {}: {e}", path.display()))
    })?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!(
            "sqlite file {} cannot use WAL (journal_mode={mode})",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sql)?;
    // Deleted rows are overwritten in the file, so forgotten conversations do not linger in it.
    conn.pragma_update(None, "secure_delete", "ON")
        .map_err(sql)?;
    // The writer's page cache (the default is 2 MB): pages it keeps need no read from the log.
    conn.pragma_update(None, "cache_size", -16_384)
        .map_err(sql)?;
    // The undo record of each write's savepoint stays in memory; on disk (past 64 KB, which a
    // batch reaches) it cost a temporary file and its writes on every batch.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(sql)?;
    conn.pragma_update(None, "wal_autocheckpoint", writer::CHECKPOINT_PAGES)
        .map_err(sql)?;
    schema::migrate(&mut conn).map_err(StoreError::Unavailable)?;
    writes::check_key(&conn, codec)?;
    writes::release_dead_leases(&conn)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql)?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(sql)?;
    conn.pragma_update(None, "query_only", true).map_err(sql)?;
    Ok(conn)
}

/// Any SQLite failure: the store is unavailable (the message never contains customer text).
fn sql(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("sqlite: {e}"))
}

#[async_trait]
impl Store for SqliteStore {
    async fn load(
        &self,
        tenant_id: &str,
        conversation_id: &str,
    ) -> Result<Option<Arc<ConversationState>>, StoreError> {
        // This process's committed states are kept decoded: a cached conversation is answered
        // without reading the file. Only this process writes the file in normal operation; should
        // another process write it too, a turn on a stale copy still fails its commit's version
        // check (`Conflict` evicts the copy, and the retry reads the file).
        if let Some(state) = self.cache.get(tenant_id, conversation_id) {
            return Ok(Some(state));
        }
        let (t, c) = (tenant_id.to_string(), conversation_id.to_string());
        let codec = self.codec.clone();
        let state = self
            .read(move |conn| match commit::conversation(conn, &t, &c)? {
                Some((state, turns)) => codec::conversation(&codec, &state, turns).map(Some),
                None => Ok(None),
            })
            .await?;
        Ok(state.map(Arc::new))
    }

    async fn receipt(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        turn_id: &str,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        let (t, c, id) = (
            tenant_id.to_string(),
            conversation_id.to_string(),
            turn_id.to_string(),
        );
        let codec = self.codec.clone();
        self.read(move |conn| commit::receipt_by_turn(conn, &codec, &t, &c, &id))
            .await
    }

    async fn receipt_at(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        sequence: u64,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        let (t, c) = (tenant_id.to_string(), conversation_id.to_string());
        let codec = self.codec.clone();
        self.read(move |conn| commit::receipt_at(conn, &codec, &t, &c, sequence as i64))
            .await
    }

    async fn commit(&self, mut commit: Commit) -> Result<CommitResult, StoreError> {
        let epoch = self.cache.epoch();
        // Encoding is CPU work: done here, on the caller's task, not on the one writer thread.
        let row = codec::CommitRow::encode(&mut commit, &self.codec)?;
        let state = Arc::new(commit.state);
        let window = self.receipt_window as i64;
        let has_event = row.event.is_some();
        let result = self
            .write({
                let codec = self.codec.clone();
                move |conn| commit::commit(conn, &codec, &row, window)
            })
            .await;
        match &result {
            Ok(CommitResult::Committed) => {
                self.cache.put(state, epoch);
                if has_event {
                    self.notify.notify_waiters();
                }
            }
            // Stale or unknown: the next load reads the file.
            _ => self.cache.evict(&state.tenant_id, &state.conversation_id),
        }
        result
    }

    async fn claim(
        &self,
        filter: &FeedFilter,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<HandoffEvent>, StoreError> {
        let known = lock(&self.consumers).contains(&filter.consumer);
        if !known {
            let consumer = filter.consumer.clone();
            self.write(move |conn| writes::register(conn, &consumer))
                .await?;
            lock(&self.consumers).insert(filter.consumer.clone());
        }
        let f = filter.clone();
        let codec = self.codec.clone();
        let candidates = self
            .read(move |conn| writes::claimable(conn, &codec, &f, limit))
            .await?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let consumer = filter.consumer.clone();
        let lease_ms = lease.as_millis() as i64;
        self.write_lease(move |conn| writes::lease(conn, &consumer, candidates, lease_ms))
            .await
    }

    async fn release(&self, consumer: &str, event_ids: &[String]) -> Result<(), StoreError> {
        if event_ids.is_empty() {
            return Ok(());
        }
        let (consumer, ids) = (consumer.to_string(), event_ids.to_vec());
        self.write_lease(move |conn| writes::release(conn, &consumer, &ids))
            .await?;
        self.notify.notify_waiters();
        Ok(())
    }

    async fn backlog(&self, filter: &FeedFilter) -> Result<u64, StoreError> {
        let f = filter.clone();
        self.read(move |conn| writes::backlog(conn, &f)).await
    }

    async fn ack(&self, consumer: &str, event_ids: &[String]) -> Result<u32, StoreError> {
        let (consumer, ids) = (consumer.to_string(), event_ids.to_vec());
        let n = self
            .write(move |conn| writes::ack(conn, &consumer, &ids))
            .await?;
        if n > 0 {
            // A conversation's next event may be waiting for this acknowledgement.
            self.notify.notify_waiters();
        }
        Ok(n)
    }

    async fn forget(
        &self,
        tenant_id: &str,
        conversation_id: Option<&str>,
        customer_id: Option<&str>,
    ) -> Result<u64, StoreError> {
        let t = tenant_id.to_string();
        let c = conversation_id.map(str::to_string);
        let k = customer_id.map(str::to_string);
        let removed = self
            .cache
            .erasing(self.write(move |conn| writes::forget(conn, &t, c.as_deref(), k.as_deref())))
            .await?;
        self.checkpoint().await?;
        Ok(removed)
    }

    async fn expire(
        &self,
        idle_before_ms: i64,
        delivered_before_ms: i64,
    ) -> Result<(u64, u64), StoreError> {
        let expired = self
            .cache
            .erasing(
                self.write(move |conn| writes::expire(conn, idle_before_ms, delivered_before_ms)),
            )
            .await?;
        if expired != (0, 0) {
            self.checkpoint().await?;
        }
        Ok(expired)
    }

    async fn record_outcome(&self, outcome: OutcomeRecord) -> Result<bool, StoreError> {
        self.write(move |conn| writes::record_outcome(conn, &outcome))
            .await
    }

    async fn quality(&self, tenant_id: Option<&str>) -> Result<Vec<QualityRow>, StoreError> {
        let tenant = tenant_id.map(str::to_string);
        self.read(move |conn| {
            let key = |r: &rusqlite::Row| -> rusqlite::Result<quality::Key> {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            };
            let mut rows: BTreeMap<quality::Key, QualityRow> = BTreeMap::new();
            let mut s = conn
                .prepare_cached(
                    "SELECT tenant_id, reason, language, channel, queue, count(*), total(seconds)
                     FROM handoffs WHERE ?1 IS NULL OR tenant_id = ?1
                     GROUP BY tenant_id, reason, language, channel, queue",
                )
                .map_err(sql)?;
            let mut q = s.query(params![tenant]).map_err(sql)?;
            while let Some(r) = q.next().map_err(sql)? {
                let k = key(r).map_err(sql)?;
                let handoffs = r.get::<_, i64>(5).map_err(sql)? as u64;
                let row = quality::row(k.clone(), handoffs, r.get(6).map_err(sql)?);
                rows.insert(k, row);
            }
            let mut s = conn
                .prepare_cached(
                    "SELECT h.tenant_id, h.reason, h.language, h.channel, h.queue,
                            o.resolved, o.satisfaction, o.verdict
                     FROM outcomes o JOIN handoffs h ON h.handoff_id = o.handoff_id
                     WHERE ?1 IS NULL OR h.tenant_id = ?1",
                )
                .map_err(sql)?;
            let mut q = s.query(params![tenant]).map_err(sql)?;
            while let Some(r) = q.next().map_err(sql)? {
                let key = key(r).map_err(sql)?;
                let outcome = OutcomeRecord {
                    tenant_id: key.0.clone(),
                    conversation_id: String::new(),
                    handoff_id: String::new(),
                    resolved: r.get(5).map_err(sql)?,
                    satisfaction: r.get::<_, i64>(6).map_err(sql)? as u32,
                    verdict: codec::verdict_from(&r.get::<_, String>(7).map_err(sql)?),
                };
                if let Some(row) = rows.get_mut(&key) {
                    add_outcome(row, &outcome);
                }
            }
            Ok(rows.into_values().collect())
        })
        .await
    }

    async fn update_queues(
        &self,
        tenant_id: &str,
        queues: Vec<(String, QueueStatus)>,
    ) -> Result<(), StoreError> {
        let t = tenant_id.to_string();
        let result = self
            .write(move |conn| writes::update_queues(conn, &t, &queues))
            .await;
        self.queues.invalidate(Some(tenant_id));
        result
    }

    async fn queues(&self, tenant_id: &str) -> Result<QueueSnapshot, StoreError> {
        let generation = match self.queues.get(tenant_id) {
            Ok(snapshot) => return Ok(snapshot),
            Err(generation) => generation,
        };
        let t = tenant_id.to_string();
        let snapshot = Arc::new(self.read(move |conn| writes::queues(conn, &t)).await?);
        self.queues.fill(tenant_id, snapshot.clone(), generation);
        Ok(snapshot)
    }

    fn event_notify(&self) -> Arc<Notify> {
        self.notify.clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
