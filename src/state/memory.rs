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
use outbox::Outbox;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

mod outbox;

const SHARDS: usize = 64;

/// A conversation with its recent receipts. Kept boxed in the map.
struct Entry {
    /// Handed out shared by `load`; replaced whole by a commit.
    state: Arc<ConversationState>,
    /// Receipts of the last `receipt_window` turns, oldest first.
    receipts: VecDeque<Receipt>,
    /// The outbox place of the conversation's latest event: the next one supersedes its context.
    last_event: Option<u64>,
}

/// A turn receipt kept compact: what dedupe compares (a hash of the turn id, the sequence number)
/// in the open, the whole receipt (turn id, fingerprint, decision) encoded in a few hundred bytes,
/// decoded only when a turn comes again.
struct Receipt {
    turn_hash: u64,
    sequence: u64,
    encoded: Box<[u8]>,
}

impl Receipt {
    fn of(r: &TurnReceipt) -> Receipt {
        Receipt {
            turn_hash: turn_hash(&r.turn_id),
            sequence: r.decision.sequence,
            // Positional MessagePack: never stored beyond this process, so no field names needed.
            encoded: rmp_serde::to_vec(r)
                .expect("a receipt encodes")
                .into_boxed_slice(),
        }
    }

    fn decode(&self) -> TurnReceipt {
        rmp_serde::from_slice(&self.encoded).expect("a receipt this process encoded decodes")
    }

    /// The receipt of `turn_id`, if this is it (the hash narrows, the decoded id decides).
    fn of_turn(&self, turn_id: &str) -> Option<TurnReceipt> {
        if self.turn_hash != turn_hash(turn_id) {
            return None;
        }
        Some(self.decode()).filter(|r| r.turn_id == turn_id)
    }
}

/// A fixed hash of a turn id (FNV-1a, 64 bits).
fn turn_hash(turn_id: &str) -> u64 {
    turn_id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

type Key = (String, String);

pub struct MemoryStore {
    shards: Vec<Mutex<HashMap<Key, Box<Entry>>>>,
    hasher: RandomState,
    outbox: Mutex<Outbox>,
    notify: Arc<Notify>,
    receipt_window: usize,
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
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            outbox: Mutex::new(Outbox::default()),
            notify: Arc::new(Notify::new()),
            receipt_window: receipt_window.max(1),
            queues: Availability::default(),
        }
    }

    fn shard(&self, tenant_id: &str, conversation_id: &str) -> &Mutex<HashMap<Key, Box<Entry>>> {
        let h = self.hasher.hash_one((tenant_id, conversation_id));
        &self.shards[(h as usize) % SHARDS]
    }

    /// Number of live conversations (for memory measurements).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
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
            .get(&key(tenant_id, conversation_id))
            .map(|e| Arc::clone(&e.state)))
    }

    async fn receipt(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        turn_id: &str,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        let shard = lock(self.shard(tenant_id, conversation_id));
        Ok(shard
            .get(&key(tenant_id, conversation_id))
            .and_then(|e| e.receipts.iter().rev().find_map(|r| r.of_turn(turn_id))))
    }

    async fn receipt_at(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        sequence: u64,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        let shard = lock(self.shard(tenant_id, conversation_id));
        Ok(shard
            .get(&key(tenant_id, conversation_id))
            .and_then(|e| e.receipts.iter().rev().find(|r| r.sequence == sequence))
            .map(Receipt::decode))
    }

    async fn commit(&self, commit: Commit) -> Result<CommitResult, StoreError> {
        let Commit {
            state,
            expected_version,
            receipt,
            event,
        } = commit;
        let mut shard = lock(self.shard(&state.tenant_id, &state.conversation_id));
        let k = key(&state.tenant_id, &state.conversation_id);
        let current = shard.get(&k).map(|e| e.state.version).unwrap_or(0);
        if let (Some(r), Some(entry)) = (&receipt, shard.get(&k))
            && let Some(seen) = entry.receipts.iter().find_map(|s| s.of_turn(&r.turn_id))
        {
            return Ok(CommitResult::Duplicate(Box::new(seen)));
        }
        if current != expected_version {
            return Ok(CommitResult::Conflict);
        }
        let entry = shard.entry(k).or_insert_with(|| {
            Box::new(Entry {
                state: Arc::default(),
                receipts: VecDeque::new(),
                last_event: None,
            })
        });
        // The state before is dropped here, so the previous event's context is its own.
        entry.state = Arc::new(state);
        if let Some(r) = receipt {
            if entry.receipts.len() >= self.receipt_window {
                entry.receipts.pop_front();
            }
            entry.receipts.push_back(Receipt::of(&r));
        }
        if let Some(ev) = event {
            // Appended under the conversation's lock, so its events enter the outbox in commit
            // order.
            let mut outbox = lock(&self.outbox);
            entry.last_event = Some(outbox.append(ev, entry.last_event));
            drop(outbox);
            drop(shard);
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
            let mut shard = lock(shard);
            shard.retain(|k, e| {
                let hit = k.0 == tenant_id
                    && (conversation_id.is_some_and(|c| c == k.1)
                        || customer_id.is_some_and(|c| {
                            e.state
                                .customer
                                .as_ref()
                                .is_some_and(|p| p.customer_id == c)
                        }));
                if hit {
                    removed.push(k.clone());
                }
                !hit
            });
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
            let mut shard = lock(shard);
            let before = shard.len();
            shard.retain(|_, e| e.state.idle_since_ms() >= idle_before_ms);
            conversations += (before - shard.len()) as u64;
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
