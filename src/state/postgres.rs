//! The PostgreSQL store: any number of `serve` replicas share one database.
//!
//! Races are settled by the database: a commit's version check (`UPDATE ... WHERE version = $old`,
//! or an insert that must not find the row) and its receipt insert (unique per turn id) run in one
//! transaction with the event insert, so two replicas taking the same conversation's turns at once
//! end as one process would (the loser gets `Conflict` or `Duplicate` and the engine retries).
//! Events are claimed with leases (`FOR UPDATE SKIP LOCKED` plus a guarded upsert of the delivery
//! row); lease deadlines use the database clock, so replicas' clocks do not matter. Appends are
//! announced with `NOTIFY`, so subscribers on every replica wake without waiting for a poll.

mod pool;
mod schema;
mod sql;

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
use futures_util::StreamExt;
use pool::Pool;
pub use pool::{PgUrl, Tls};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;
use tracing::{debug, warn};

/// Connections per store (per replica).
const POOL_SIZE: usize = 32;
/// The `LISTEN`/`NOTIFY` channel on which commits announce new events.
const CHANNEL: &str = "escalation_events";
/// The channel on which queue status changes are announced (payload: the tenant).
const QUEUES: &str = "escalation_queues";

pub struct PostgresStore {
    pool: Pool,
    notify: Arc<Notify>,
    /// Forwards other replicas' (and our own) event notifications to `notify` and keeps this
    /// process's owner lock; aborted on drop.
    listener: JoinHandle<()>,
    receipt_window: i64,
    /// This process's owner epoch: recorded in every lease it takes, and alive while the
    /// listener's session holds the advisory lock on it. When the process dies its session ends,
    /// and every replica's next claim treats its leases as free.
    owner: i32,
    /// Consumer groups known to be registered in the database.
    consumers: std::sync::Mutex<std::collections::HashSet<String>>,
    queues: Arc<QueueCache>,
    /// Encodes and (with a key) seals every record.
    codec: Codec,
}

/// How long one store operation may take before it is `Unavailable` (a frozen database must not
/// hang a turn past the request timeout).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs one operation with `OPERATION_TIMEOUT`.
async fn timed<T>(
    operation: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(OPERATION_TIMEOUT, operation)
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!(
                "postgres did not answer within {} s",
                OPERATION_TIMEOUT.as_secs()
            ))
        })?
}

/// Any PostgreSQL failure: the store is unavailable (messages name keys, never customer text).
/// The server's message (never its `detail`, which may quote values) or the cause (a TLS or
/// network error) is kept.
fn pg(e: tokio_postgres::Error) -> StoreError {
    let cause = match (e.as_db_error(), std::error::Error::source(&e)) {
        (Some(db), _) => format!(": {} ({})", db.message(), db.code().code()),
        (None, Some(source)) => format!(": {source}"),
        (None, None) => String::new(),
    };
    StoreError::Unavailable(format!("postgres: {e}{cause}"))
}

impl PostgresStore {
    /// Connects, migrates the schema (once across replicas) and starts listening for new events.
    pub async fn open(url: &PgUrl, receipt_window: usize) -> Result<Self, StoreError> {
        Self::open_with(url, receipt_window, Codec::plain()).await
    }

    /// `open`, with records written (and read) by `codec`: sealed when it has a key. A database
    /// that holds sealed records refuses to open without its key or with another one.
    pub async fn open_with(
        url: &PgUrl,
        receipt_window: usize,
        codec: Codec,
    ) -> Result<Self, StoreError> {
        let mut client = pool::connect(url).await?;
        schema::migrate(&mut client).await?;
        schema::check_key(&client, &codec).await?;
        let epoch: i64 = client
            .query_one("SELECT nextval('owner_epochs')", &[])
            .await
            .map_err(pg)?
            .get(0);
        drop(client);
        let owner = (epoch % i64::from(i32::MAX)) as i32;
        let notify = Arc::new(Notify::new());
        let queues = Arc::new(QueueCache::default());
        let first = Listener::connect(url, owner, &notify, &queues).await?;
        let listener = tokio::spawn(listen(
            url.clone(),
            owner,
            first,
            notify.clone(),
            queues.clone(),
        ));
        Ok(PostgresStore {
            pool: Pool::new(url, POOL_SIZE)?,
            notify,
            listener,
            receipt_window: receipt_window.max(1) as i64,
            owner,
            consumers: Default::default(),
            queues,
            codec,
        })
    }

    async fn receipt_where(
        &self,
        sql: &'static str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<TurnReceipt>, StoreError> {
        let mut conn = self.pool.get().await?;
        let conn = &mut *conn;
        let st = conn.prepare_cached(sql).await.map_err(pg)?;
        let row = conn.query_opt(&st, params).await.map_err(pg)?;
        row.map(|r| self.codec.decode(r.get::<_, &[u8]>(0), "receipts"))
            .transpose()
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// The session that holds this process's owner lock and `LISTEN`s: its client, and the task
/// that forwards its notifications (ending when the session fails).
struct Listener {
    client: tokio_postgres::Client,
    forward: JoinHandle<()>,
}

impl Listener {
    /// Connects, takes the owner lock and listens; returns once all three are done.
    async fn connect(
        url: &PgUrl,
        owner: i32,
        notify: &Arc<Notify>,
        queues: &Arc<QueueCache>,
    ) -> Result<Self, StoreError> {
        let (client, mut connection) = url.config.connect(url.connector()?).await.map_err(pg)?;
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        let (notify, queues) = (notify.clone(), queues.clone());
        let forward = tokio::spawn(async move {
            while let Some(m) = messages.next().await {
                match m {
                    Ok(AsyncMessage::Notification(n)) if n.channel() == QUEUES => {
                        queues.invalidate(Some(n.payload()));
                    }
                    Ok(AsyncMessage::Notification(_)) => notify.notify_waiters(),
                    Ok(_) => {}
                    Err(e) => {
                        warn!(error = %e, "postgres listener connection failed");
                        break;
                    }
                }
            }
        });
        let setup = format!(
            "SELECT pg_advisory_lock({}, {owner}); LISTEN {CHANNEL}; LISTEN {QUEUES}",
            sql::OWNER_LOCK_CLASS
        );
        if let Err(e) = client.batch_execute(&setup).await {
            forward.abort();
            return Err(pg(e));
        }
        Ok(Listener { client, forward })
    }
}

/// Keeps the listening session alive: after a failure it reconnects (retaking the owner lock),
/// wakes subscribers and drops the whole queue cache, in case a notification was missed.
async fn listen(
    url: PgUrl,
    owner: i32,
    first: Listener,
    notify: Arc<Notify>,
    queues: Arc<QueueCache>,
) {
    let mut session = Some(first);
    loop {
        if let Some(Listener { client, forward }) = session.take() {
            let _ = forward.await;
            drop(client);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        match Listener::connect(&url, owner, &notify, &queues).await {
            Ok(l) => {
                queues.invalidate(None);
                notify.notify_waiters();
                session = Some(l);
            }
            Err(e) => debug!(error = %e, "postgres listener cannot connect"),
        }
    }
}

impl PostgresStore {
    /// Makes the consumer a known group in the database (once per process and group).
    async fn register(&self, consumer: &str) -> Result<(), StoreError> {
        if lock(&self.consumers).contains(consumer) {
            return Ok(());
        }
        let mut conn = self.pool.get().await?;
        let tx = conn.transaction().await.map_err(pg)?;
        tx.execute(sql::REGISTER_LOCK, &[]).await.map_err(pg)?;
        if tx
            .query_opt(sql::REGISTER, &[&consumer])
            .await
            .map_err(pg)?
            .is_some()
        {
            tx.execute(sql::BACKFILL, &[&consumer]).await.map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        lock(&self.consumers).insert(consumer.to_string());
        Ok(())
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[async_trait]
impl Store for PostgresStore {
    async fn load(
        &self,
        tenant_id: &str,
        conversation_id: &str,
    ) -> Result<Option<Arc<ConversationState>>, StoreError> {
        timed(async {
            let mut conn = self.pool.get().await?;
            let conn = &mut *conn;
            let st = conn.prepare_cached(sql::LOAD).await.map_err(pg)?;
            let row = conn
                .query_opt(&st, &[&tenant_id, &conversation_id])
                .await
                .map_err(pg)?;
            row.map(|r| {
                let seqs: Vec<i64> = r.get(1);
                let records: Vec<Vec<u8>> = r.get(2);
                codec::conversation(
                    &self.codec,
                    r.get::<_, &[u8]>(0),
                    seqs.into_iter().zip(records).collect(),
                )
                .map(Arc::new)
            })
            .transpose()
        })
        .await
    }

    async fn receipt(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        turn_id: &str,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        timed(async {
            self.receipt_where(sql::RECEIPT, &[&tenant_id, &conversation_id, &turn_id])
                .await
        })
        .await
    }

    async fn receipt_at(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        sequence: u64,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        timed(async {
            let sequence = sequence as i64;
            self.receipt_where(sql::RECEIPT_AT, &[&tenant_id, &conversation_id, &sequence])
                .await
        })
        .await
    }

    async fn commit(&self, mut commit: Commit) -> Result<CommitResult, StoreError> {
        timed(async {
            let row = codec::CommitRow::encode(&mut commit, &self.codec)?;
            let mut conn = self.pool.get().await?;
            let result = sql::commit(&mut conn, &self.codec, &row, self.receipt_window).await?;
            if row.event.is_some() && result == CommitResult::Committed {
                self.notify.notify_waiters();
            }
            Ok(result)
        })
        .await
    }

    async fn claim(
        &self,
        filter: &FeedFilter,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<HandoffEvent>, StoreError> {
        timed(async {
            self.register(&filter.consumer).await?;
            let mut conn = self.pool.get().await?;
            let conn = &mut *conn;
            let st = conn.prepare_cached(sql::CLAIM).await.map_err(pg)?;
            let mut rows = conn
                .query(
                    &st,
                    &[
                        &filter.consumer,
                        &filter.tenant_id,
                        &filter.queues,
                        &(limit as i64),
                        &(lease.as_millis() as i64),
                        &i64::from(self.owner),
                    ],
                )
                .await
                .map_err(pg)?;
            rows.sort_by_key(|r| r.get::<_, i64>(0));
            rows.iter()
                .map(|r| {
                    let mut ev: HandoffEvent = self.codec.decode(r.get::<_, &[u8]>(2), "events")?;
                    ev.redeliveries = (r.get::<_, i32>(1) - 1).max(0) as u32;
                    Ok(ev)
                })
                .collect()
        })
        .await
    }

    async fn release(&self, consumer: &str, event_ids: &[String]) -> Result<(), StoreError> {
        timed(async {
            if event_ids.is_empty() {
                return Ok(());
            }
            let mut conn = self.pool.get().await?;
            let conn = &mut *conn;
            let st = conn.prepare_cached(sql::RELEASE).await.map_err(pg)?;
            conn.execute(&st, &[&consumer, &event_ids])
                .await
                .map_err(pg)?;
            self.notify.notify_waiters();
            Ok(())
        })
        .await
    }

    async fn backlog(&self, filter: &FeedFilter) -> Result<u64, StoreError> {
        timed(async {
            let mut conn = self.pool.get().await?;
            let conn = &mut *conn;
            let st = conn.prepare_cached(sql::BACKLOG).await.map_err(pg)?;
            let row = conn
                .query_one(&st, &[&filter.consumer, &filter.tenant_id, &filter.queues])
                .await
                .map_err(pg)?;
            Ok(row.get::<_, i64>(0) as u64)
        })
        .await
    }

    async fn ack(&self, consumer: &str, event_ids: &[String]) -> Result<u32, StoreError> {
        timed(async {
            let mut conn = self.pool.get().await?;
            let conn = &mut *conn;
            let st = conn.prepare_cached(sql::ACK).await.map_err(pg)?;
            let n = conn
                .execute(&st, &[&consumer, &event_ids])
                .await
                .map_err(pg)?;
            if n > 0 {
                // A conversation's next event may be waiting for this acknowledgement.
                self.notify.notify_waiters();
            }
            Ok(n as u32)
        })
        .await
    }

    async fn forget(
        &self,
        tenant_id: &str,
        conversation_id: Option<&str>,
        customer_id: Option<&str>,
    ) -> Result<u64, StoreError> {
        timed(async {
            let mut conn = self.pool.get().await?;
            sql::forget(&mut conn, tenant_id, conversation_id, customer_id).await
        })
        .await
    }

    async fn expire(
        &self,
        idle_before_ms: i64,
        delivered_before_ms: i64,
    ) -> Result<(u64, u64), StoreError> {
        timed(async {
            let mut conn = self.pool.get().await?;
            sql::expire(&mut conn, idle_before_ms, delivered_before_ms).await
        })
        .await
    }

    async fn record_outcome(&self, o: OutcomeRecord) -> Result<bool, StoreError> {
        timed(async {
            let mut conn = self.pool.get().await?;
            let tx = conn.transaction().await.map_err(pg)?;
            // The handoff's row, locked: concurrent reports for one handoff replace in turn.
            let known = tx.prepare_cached(sql::OUTCOME_HANDOFF).await.map_err(pg)?;
            if tx
                .query_opt(&known, &[&o.handoff_id, &o.tenant_id])
                .await
                .map_err(pg)?
                .is_none()
            {
                return Ok(false);
            }
            let replace = tx.prepare_cached(sql::OUTCOME_REPLACE).await.map_err(pg)?;
            tx.execute(&replace, &[&o.handoff_id, &o.tenant_id])
                .await
                .map_err(pg)?;
            let st = tx.prepare_cached(sql::OUTCOME).await.map_err(pg)?;
            tx.execute(
                &st,
                &[
                    &o.tenant_id,
                    &o.conversation_id,
                    &o.handoff_id,
                    &o.resolved,
                    &(o.satisfaction as i32),
                    &codec::verdict_text(o.verdict),
                ],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(true)
        })
        .await
    }

    async fn quality(&self, tenant_id: Option<&str>) -> Result<Vec<QualityRow>, StoreError> {
        timed(async {
            let mut conn = self.pool.get().await?;
            let conn = &mut *conn;
            let mut rows: BTreeMap<quality::Key, QualityRow> = BTreeMap::new();
            let key = |r: &tokio_postgres::Row| -> quality::Key {
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
            };
            let st = conn
                .prepare_cached(sql::QUALITY_HANDOFFS)
                .await
                .map_err(pg)?;
            for r in conn.query(&st, &[&tenant_id]).await.map_err(pg)? {
                let k = key(&r);
                let row = quality::row(k.clone(), r.get::<_, i64>(5) as u64, r.get(6));
                rows.insert(k, row);
            }
            let st = conn
                .prepare_cached(sql::QUALITY_OUTCOMES)
                .await
                .map_err(pg)?;
            for r in conn.query(&st, &[&tenant_id]).await.map_err(pg)? {
                let key = key(&r);
                let o = OutcomeRecord {
                    tenant_id: key.0.clone(),
                    conversation_id: String::new(),
                    handoff_id: String::new(),
                    resolved: r.get(5),
                    satisfaction: r.get::<_, i32>(6) as u32,
                    verdict: codec::verdict_from(r.get(7)),
                };
                if let Some(row) = rows.get_mut(&key) {
                    add_outcome(row, &o);
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
        timed(async {
            let mut conn = self.pool.get().await?;
            let tx = conn.transaction().await.map_err(pg)?;
            for (queue, q) in &queues {
                tx.execute(
                    sql::UPDATE_QUEUE,
                    &[
                        &tenant_id,
                        queue,
                        &i64::from(q.agents_available),
                        &i64::from(q.expected_wait_seconds),
                        &q.open,
                        &q.updated_ms,
                    ],
                )
                .await
                .map_err(pg)?;
            }
            tx.execute(sql::ANNOUNCE_QUEUES, &[&tenant_id])
                .await
                .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            self.queues.invalidate(Some(tenant_id));
            Ok(())
        })
        .await
    }

    async fn queues(&self, tenant_id: &str) -> Result<QueueSnapshot, StoreError> {
        timed(async {
            let generation = match self.queues.get(tenant_id) {
                Ok(snapshot) => return Ok(snapshot),
                Err(generation) => generation,
            };
            let mut conn = self.pool.get().await?;
            let conn = &mut *conn;
            let st = conn.prepare_cached(sql::QUEUES).await.map_err(pg)?;
            let rows = conn.query(&st, &[&tenant_id]).await.map_err(pg)?;
            let snapshot: QueueSnapshot = Arc::new(
                rows.iter()
                    .map(|r| {
                        (
                            r.get::<_, String>(0),
                            QueueStatus {
                                agents_available: r.get::<_, i64>(1).clamp(0, u32::MAX.into())
                                    as u32,
                                expected_wait_seconds: r.get::<_, i64>(2).clamp(0, u32::MAX.into())
                                    as u32,
                                open: r.get(3),
                                updated_ms: r.get(4),
                            },
                        )
                    })
                    .collect(),
            );
            self.queues.fill(tenant_id, snapshot.clone(), generation);
            Ok(snapshot)
        })
        .await
    }

    fn event_notify(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    fn shared(&self) -> bool {
        true
    }
}
