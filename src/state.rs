//! Where conversations, turn receipts and handoff events live.
//!
//! One trait, `Store`, with one write for turns: `commit` applies a conversation's new state, its turn
//! receipt (the dedupe record) and any handoff event atomically, guarded by the state's version
//! (optimistic concurrency: a stale writer gets `Conflict` and retries with fresh state).
//! Implementations: `memory` (tests, benchmarks, `replay`), SQLite (the default for `serve`) and
//! PostgreSQL (many replicas).

mod codec;
pub use codec::Codec;
pub mod memory;
pub mod postgres;
pub mod quality;
mod queues;
pub mod sqlite;

use crate::domain::{ConversationState, HandoffEvent, TurnReceipt};
use crate::policy::QueueStatus;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// What a store can fail with. Messages never contain customer text.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
}

/// One atomic write.
#[derive(Debug, Clone)]
pub struct Commit {
    /// The conversation after the turn; `state.version` must be `expected_version + 1`.
    pub state: ConversationState,
    /// The version the writer read; 0 for a conversation that did not exist.
    pub expected_version: u64,
    /// The dedupe record of the turn, if this commit applies a turn.
    pub receipt: Option<TurnReceipt>,
    /// A handoff event to append to the outbox.
    pub event: Option<HandoffEvent>,
}

/// How a commit ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CommitResult {
    Committed,
    /// The stored version is not `expected_version`: reload and retry.
    Conflict,
    /// The receipt's turn id was already committed (by a racing writer); here is its receipt.
    Duplicate(Box<TurnReceipt>),
}

/// Which events a feed consumer wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedFilter {
    /// Consumers of one name share delivery state (a consumer group).
    pub consumer: String,
    /// `None`: every tenant.
    pub tenant_id: Option<String>,
    /// Empty: every queue.
    pub queues: Vec<String>,
}

impl FeedFilter {
    pub fn matches(&self, event: &HandoffEvent) -> bool {
        self.admits(&event.tenant_id, &event.route.queue)
    }

    /// Whether an event of this tenant routed to this queue matches.
    pub fn admits(&self, tenant_id: &str, queue: &str) -> bool {
        self.tenant_id.as_deref().is_none_or(|t| t == tenant_id)
            && (self.queues.is_empty() || self.queues.iter().any(|q| q == queue))
    }
}

/// The router's verdict on a handoff, reported after the agent is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Unknown,
    Needed,
    NotNeeded,
    TooLate,
}

/// A reported outcome of one handoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    pub tenant_id: String,
    pub conversation_id: String,
    pub handoff_id: String,
    pub resolved: bool,
    /// 1..5, or 0 when unknown.
    pub satisfaction: u32,
    pub verdict: Verdict,
}

/// Decision quality per tenant, primary reason, language, channel and queue (the stores' grain;
/// `quality::regroup` sums it up by one of them).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityRow {
    pub tenant_id: String,
    /// The handoff's strongest reason code label.
    pub reason: String,
    /// The customer's language at the handoff (BCP 47); empty for handoffs stored before it was kept.
    #[serde(default)]
    pub language: String,
    /// The channel's label (`webchat`, `voice`, ...; `codec::channel_label`).
    #[serde(default)]
    pub channel: String,
    /// The queue the handoff was routed to.
    #[serde(default)]
    pub queue: String,
    pub handoffs: u64,
    pub outcomes: u64,
    pub resolved: u64,
    pub verdict_needed: u64,
    pub verdict_not_needed: u64,
    pub verdict_too_late: u64,
    pub satisfaction_sum: u64,
    pub satisfaction_count: u64,
    pub seconds_to_handoff_sum: f64,
}

/// One tenant's queues by name, shared without copying.
pub type QueueSnapshot = Arc<std::collections::BTreeMap<String, QueueStatus>>;

/// Shared handle to a store.
pub type SharedStore = Arc<dyn Store>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The conversation's current state, if it exists. Shared, not copied: a turn copies it (its
    /// history records are shared pointers) only to build the next state.
    async fn load(
        &self,
        tenant_id: &str,
        conversation_id: &str,
    ) -> Result<Option<Arc<ConversationState>>, StoreError>;

    /// The receipt of a turn id seen before in this conversation.
    async fn receipt(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        turn_id: &str,
    ) -> Result<Option<TurnReceipt>, StoreError>;

    /// The receipt of the turn applied at this sequence number (1-based).
    async fn receipt_at(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        sequence: u64,
    ) -> Result<Option<TurnReceipt>, StoreError>;

    /// The one write: state + receipt + event, atomically, if the version matches.
    async fn commit(&self, commit: Commit) -> Result<CommitResult, StoreError>;

    /// Leases up to `limit` unacknowledged events matching the filter to the consumer group, oldest
    /// first, skipping events leased to the group and not yet expired. A conversation's events go
    /// to the group one at a time, in order: an event waits until the group acknowledged every
    /// older matching event of its conversation. Sets `redeliveries` to the number of earlier
    /// hand-outs of the event.
    async fn claim(
        &self,
        filter: &FeedFilter,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<HandoffEvent>, StoreError>;

    /// Ends the group's leases on these events (a subscriber went away) so they go out again now.
    async fn release(&self, consumer: &str, event_ids: &[String]) -> Result<(), StoreError>;

    /// How many events matching the filter its consumer group has not acknowledged (the
    /// `escalation_feed_backlog` metric).
    async fn backlog(&self, filter: &FeedFilter) -> Result<u64, StoreError>;

    /// Marks events delivered for the group; returns how many were outstanding.
    async fn ack(&self, consumer: &str, event_ids: &[String]) -> Result<u32, StoreError>;

    /// Erases a conversation, or every conversation of a customer, with receipts and events.
    async fn forget(
        &self,
        tenant_id: &str,
        conversation_id: Option<&str>,
        customer_id: Option<&str>,
    ) -> Result<u64, StoreError>;

    /// Deletes conversations idle since before `idle_before_ms` and acknowledged events created before
    /// `delivered_before_ms`. Returns (conversations, events) removed.
    async fn expire(
        &self,
        idle_before_ms: i64,
        delivered_before_ms: i64,
    ) -> Result<(u64, u64), StoreError>;

    /// Records a handoff's outcome; a later report for the same handoff replaces it (one outcome
    /// per handoff). `false`, and nothing written, when the tenant has no such handoff.
    async fn record_outcome(&self, outcome: OutcomeRecord) -> Result<bool, StoreError>;

    /// Decision quality per tenant and reason (`None`: every tenant).
    async fn quality(&self, tenant_id: Option<&str>) -> Result<Vec<QualityRow>, StoreError>;

    /// Merges routers' reports into a tenant's queue status (queues not named keep theirs), so
    /// every replica on the store decides with what any replica was told.
    async fn update_queues(
        &self,
        tenant_id: &str,
        queues: Vec<(String, QueueStatus)>,
    ) -> Result<(), StoreError>;

    /// A tenant's queues as last reported (empty when never reported). Called on every turn:
    /// durable stores answer from a cache they keep current.
    async fn queues(&self, tenant_id: &str) -> Result<QueueSnapshot, StoreError>;

    /// Notified whenever this process appends an event, so subscribers wake without polling.
    fn event_notify(&self) -> Arc<Notify>;

    /// Whether other processes write to this store too (PostgreSQL replicas): their releases and
    /// acknowledgements announce nothing here, so idle subscribers also look now and then.
    fn shared(&self) -> bool {
        false
    }
}

/// Where the store lives, as `store.url` says: parsed once, at start-up.
#[derive(Debug, Clone)]
pub enum StoreUrl {
    /// `memory`
    Memory,
    /// `sqlite://PATH`: `sqlite://./data/escalation.db` is a relative path, `sqlite:///var/lib/x.db`
    /// an absolute one.
    Sqlite(std::path::PathBuf),
    /// `postgres://...` or `postgresql://...`, with `sslmode` and `sslrootcert`.
    Postgres(Box<postgres::PgUrl>),
}

impl std::str::FromStr for StoreUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        if url == "memory" {
            return Ok(StoreUrl::Memory);
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// names no file".into());
            }
            return Ok(StoreUrl::Sqlite(path.into()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return postgres::PgUrl::parse(url).map(|pg| StoreUrl::Postgres(Box::new(pg)));
        }
        Err("must be `memory`, `sqlite://PATH` or `postgres://...`".into())
    }
}

/// Opens the store a `store.url` names: `memory`, `sqlite://PATH` or `postgres://...`.
pub async fn open(url: &str, receipt_window: usize) -> Result<SharedStore, StoreError> {
    open_with(url, receipt_window, Codec::plain()).await
}

/// `open`, with the durable stores' records written by `codec` (sealed when it has a key; the
/// memory store keeps nothing at rest).
pub async fn open_with(
    url: &str,
    receipt_window: usize,
    codec: Codec,
) -> Result<SharedStore, StoreError> {
    let url: StoreUrl = url
        .parse()
        .map_err(|e: String| StoreError::Unavailable(format!("store.url: {e}")))?;
    open_url_with(&url, receipt_window, codec).await
}

/// Opens the store of a parsed `store.url` with a codec (see `open_with`).
pub async fn open_url_with(
    url: &StoreUrl,
    receipt_window: usize,
    codec: Codec,
) -> Result<SharedStore, StoreError> {
    Ok(match url {
        StoreUrl::Memory => Arc::new(memory::MemoryStore::new(receipt_window)),
        StoreUrl::Sqlite(path) => {
            Arc::new(sqlite::SqliteStore::open_with(path, receipt_window, codec).await?)
        }
        StoreUrl::Postgres(pg) => {
            Arc::new(postgres::PostgresStore::open_with(pg, receipt_window, codec).await?)
        }
    })
}
