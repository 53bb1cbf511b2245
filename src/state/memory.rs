//! The in-memory store: one process, no durability. Used by tests, benchmarks and `replay`.
//!
//! Conversations live in a sharded map of sync mutexes; no lock is held across an `.await` (no
//! method awaits while holding one).

use super::quality;
use super::{
    Commit, CommitResult, FeedFilter, OutcomeRecord, QualityRow, QueueSnapshot, Store, StoreError,
    Verdict,
};
use crate::domain::{ConversationState, HandoffEvent, TurnReceipt};
use crate::policy::{Availability, QueueStatus};
use async_trait::async_trait;
use conversations::{Key, Shard};
use outbox::Outbox;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

mod conversations;
mod outbox;
mod packed;
mod receipts;
mod retained;

const SHARDS: usize = 64;

/// Conversation states kept decoded (the most recently committed, over all shards) unless
/// `with_decoded` says otherwise; the rest are packed until their next turn.
pub const DECODED_STATES: usize = 4096;

pub struct MemoryStore {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    outbox: Mutex<Outbox>,
    notify: Arc<Notify>,
    receipt_window: usize,
    /// States each shard keeps decoded.
    decoded_per_shard: usize,
    /// Queue status pushed by routers.
    queues: Availability,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(256)
    }
}

impl MemoryStore {
    /// `receipt_window`: how many recent turn receipts per conversation are kept for dedupe.
    pub fn new(receipt_window: usize) -> Self {
        Self::with_decoded(receipt_window, DECODED_STATES)
    }

    /// A store keeping about `decoded` conversation states decoded (0: each is packed as soon as
    /// it is committed).
    pub fn with_decoded(receipt_window: usize, decoded: usize) -> Self {
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            decoded_per_shard: decoded.div_ceil(SHARDS),
            hasher: RandomState::new(),
            outbox: Mutex::new(Outbox::default()),
            notify: Arc::new(Notify::new()),
            receipt_window: receipt_window.max(1),
            queues: Availability::default(),
        }
    }

    fn shard(&self, tenant_id: &str, conversation_id: &str) -> &Mutex<Shard> {
        let h = self.hasher.hash_one((tenant_id, conversation_id));
        &self.shards[(h as usize) % SHARDS]
    }

    /// Number of live conversations (for memory measurements).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a half-applied commit (commits are
    // single assignments), so a poisoned lock is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn key(tenant_id: &str, conversation_id: &str) -> Key {
    (tenant_id.to_string(), conversation_id.to_string())
}

#[async_trait]
impl Store for MemoryStore {
    async fn load(
        &self,
        tenant_id: &str,
        conversation_id: &str,
    ) -> Result<Option<Arc<ConversationState>>, StoreError> {
        let shard = lock(self.shard(tenant_id, conversation_id));
        Ok(shard
            .map
            .get(&key(tenant_id, conversation_id))
            .map(|e| e.state()))
    }

    async fn receipt(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        turn_id: &str,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        let shard = lock(self.shard(tenant_id, conversation_id));
        Ok(shard
            .map
            .get(&key(tenant_id, conversation_id))
            .and_then(|e| e.receipts.by_turn(turn_id)))
    }

    async fn receipt_at(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        sequence: u64,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        let shard = lock(self.shard(tenant_id, conversation_id));
        Ok(shard
            .map
            .get(&key(tenant_id, conversation_id))
            .and_then(|e| e.receipts.at(sequence)))
    }

    async fn commit(&self, commit: Commit) -> Result<CommitResult, StoreError> {
        let Commit {
            state,
            expected_version,
            receipt,
            event,
        } = commit;
        let mut shard = lock(self.shard(&state.tenant_id, &state.conversation_id));
        let stored = shard
            .map
            .get(&key(&state.tenant_id, &state.conversation_id));
        if let (Some(r), Some(entry)) = (&receipt, stored)
            && let Some(seen) = entry.receipts.by_turn(&r.turn_id)
        {
            return Ok(CommitResult::Duplicate(Box::new(seen)));
        }
        if stored.map_or(0, |e| e.version) != expected_version {
            return Ok(CommitResult::Conflict);
        }
        let entry = shard.put(state);
        if let Some(r) = receipt {
            entry.receipts.push(&r, self.receipt_window);
        }
        let appended = event.is_some();
        if let Some(ev) = event {
            // Appended under the conversation's lock, so its events enter the outbox in commit
            // order.
            let mut outbox = lock(&self.outbox);
            entry.last_event = Some(outbox.append(ev, entry.last_event));
        }
        shard.cool(self.decoded_per_shard, &self.outbox);
        drop(shard);
        if appended {
            self.notify.notify_waiters();
        }
        Ok(CommitResult::Committed)
    }

    async fn claim(
        &self,
        filter: &FeedFilter,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<HandoffEvent>, StoreError> {
        Ok(lock(&self.outbox).claim(filter, limit, lease))
    }

    async fn release(&self, consumer: &str, event_ids: &[String]) -> Result<(), StoreError> {
        lock(&self.outbox).release(consumer, event_ids);
        self.notify.notify_waiters();
        Ok(())
    }

    async fn backlog(&self, filter: &FeedFilter) -> Result<u64, StoreError> {
        Ok(lock(&self.outbox).backlog(filter))
    }

    async fn ack(&self, consumer: &str, event_ids: &[String]) -> Result<u32, StoreError> {
        let n = lock(&self.outbox).ack(consumer, event_ids);
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
        let mut removed: Vec<Key> = Vec::new();
        for shard in &self.shards {
            removed.extend(lock(shard).retain(|k, e| {
                let hit = k.0 == tenant_id
                    && (conversation_id.is_some_and(|c| c == k.1)
                        || customer_id.is_some_and(|c| e.has_customer(c)));
                !hit
            }));
        }
        let mut outbox = lock(&self.outbox);
        outbox.forget(&removed);
        outbox.outcomes.retain(|o| {
            !removed
                .iter()
                .any(|k| k.0 == o.tenant_id && k.1 == o.conversation_id)
        });
        Ok(removed.len() as u64)
    }

    async fn expire(
        &self,
        idle_before_ms: i64,
        delivered_before_ms: i64,
    ) -> Result<(u64, u64), StoreError> {
        let mut conversations = 0;
        for shard in &self.shards {
            let gone = lock(shard).retain(|_, e| e.idle_since_ms >= idle_before_ms);
            conversations += gone.len() as u64;
        }
        let removed = lock(&self.outbox).expire(delivered_before_ms) as u64;
        Ok((conversations, removed))
    }

    async fn record_outcome(&self, outcome: OutcomeRecord) -> Result<bool, StoreError> {
        let mut outbox = lock(&self.outbox);
        let known = outbox
            .handoffs
            .iter()
            .any(|(key, _, id)| *id == outcome.handoff_id && key.0 == outcome.tenant_id);
        if !known {
            return Ok(false);
        }
        outbox
            .outcomes
            .retain(|o| !(o.handoff_id == outcome.handoff_id && o.tenant_id == outcome.tenant_id));
        outbox.outcomes.push(outcome);
        Ok(true)
    }

    async fn quality(&self, tenant_id: Option<&str>) -> Result<Vec<QualityRow>, StoreError> {
        let outbox = lock(&self.outbox);
        let mut rows: BTreeMap<quality::Key, QualityRow> = BTreeMap::new();
        for (key, secs, handoff_id) in &outbox.handoffs {
            if tenant_id.is_some_and(|t| *t != key.0) {
                continue;
            }
            let row = rows
                .entry(key.clone())
                .or_insert_with(|| quality::row(key.clone(), 0, 0.0));
            row.handoffs += 1;
            row.seconds_to_handoff_sum += secs;
            for o in outbox
                .outcomes
                .iter()
                .filter(|o| o.handoff_id == *handoff_id)
            {
                add_outcome(row, o);
            }
        }
        Ok(rows.into_values().collect())
    }

    async fn update_queues(
        &self,
        tenant_id: &str,
        queues: Vec<(String, QueueStatus)>,
    ) -> Result<(), StoreError> {
        self.queues.update(tenant_id, queues);
        Ok(())
    }

    async fn queues(&self, tenant_id: &str) -> Result<QueueSnapshot, StoreError> {
        Ok(self.queues.snapshot(tenant_id))
    }

    fn event_notify(&self) -> Arc<Notify> {
        self.notify.clone()
    }
}

/// Adds one outcome to a quality row (shared by every store's `quality`).
pub fn add_outcome(row: &mut QualityRow, o: &OutcomeRecord) {
    row.outcomes += 1;
    row.resolved += u64::from(o.resolved);
    match o.verdict {
        Verdict::Needed => row.verdict_needed += 1,
        Verdict::NotNeeded => row.verdict_not_needed += 1,
        Verdict::TooLate => row.verdict_too_late += 1,
        Verdict::Unknown => {}
    }
    if o.satisfaction > 0 {
        row.satisfaction_sum += u64::from(o.satisfaction);
        row.satisfaction_count += 1;
    }
}
