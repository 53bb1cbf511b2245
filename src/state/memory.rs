//! The in-memory store: one process, no durability. Used by tests, benchmarks and `replay`.
//!
//! Conversations live in a sharded map of sync mutexes; no lock is held across an `.await` (no
//! method awaits while holding one).

use super::{
    Commit, CommitResult, FeedFilter, OutcomeRecord, QualityRow, Store, StoreError, Verdict,
};
use crate::domain::{ConversationState, HandoffEvent, TurnReceipt};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque, hash_map};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

const SHARDS: usize = 64;

/// A conversation with its recent receipts. Kept boxed in the map, and its receipts boxed in the
/// deque, so the spare capacity of both costs a pointer a slot rather than a whole record.
struct Entry {
    state: ConversationState,
    /// Receipts of the last `receipt_window` turns, oldest first.
    receipts: VecDeque<Box<TurnReceipt>>,
}

type Key = (String, String);

/// Delivery state of one event for one consumer group.
#[derive(Default)]
struct Delivery {
    leased_until: Option<Instant>,
    deliveries: u32,
    acked: bool,
}

#[derive(Default)]
struct Outbox {
    next: u64,
    /// Events by append order.
    events: BTreeMap<u64, HandoffEvent>,
    /// (consumer, event id) -> delivery state.
    deliveries: HashMap<(String, String), Delivery>,
    outcomes: Vec<OutcomeRecord>,
    /// Every handoff ever committed (tenant, reason, seconds to handoff, handoff id), for quality.
    handoffs: Vec<(String, String, f64, String)>,
}

pub struct MemoryStore {
    shards: Vec<Mutex<HashMap<Key, Box<Entry>>>>,
    hasher: RandomState,
    outbox: Mutex<Outbox>,
    notify: Arc<Notify>,
    receipt_window: usize,
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

    /// Runs `f` on one conversation's slot under its shard lock: one lookup per turn and no copy of
    /// the state. `f` must not block; any event it commits is appended after the lock is released.
    pub fn update<R>(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        f: impl FnOnce(&mut Slot<'_>) -> R,
    ) -> R {
        let (result, event) = {
            let mut shard = lock(self.shard(tenant_id, conversation_id));
            let (entry, vacant) = match shard.entry(key(tenant_id, conversation_id)) {
                hash_map::Entry::Occupied(o) => (Some(&mut **o.into_mut()), None),
                hash_map::Entry::Vacant(v) => (None, Some(v)),
            };
            let mut slot = Slot {
                entry,
                vacant,
                receipt_window: self.receipt_window,
                event: None,
                kept: None,
            };
            let result = f(&mut slot);
            (result, slot.event.take())
        };
        if let Some(ev) = event {
            self.publish(ev);
        }
        result
    }

    /// Appends a committed handoff event to the outbox and wakes the feed.
    fn publish(&self, ev: HandoffEvent) {
        let mut outbox = lock(&self.outbox);
        // An update of an open handoff is the same handoff for quality.
        if ev.kind == crate::domain::HandoffEventKind::Opened {
            let reason = super::codec::primary_reason(&ev);
            outbox.handoffs.push((
                ev.tenant_id.clone(),
                reason,
                ev.context.seconds_since_first_problem,
                ev.handoff_id.clone(),
            ));
        }
        let seq = outbox.next;
        outbox.next += 1;
        outbox.events.insert(seq, ev);
        drop(outbox);
        self.notify.notify_waiters();
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

/// One conversation's slot, borrowed under its shard lock by `MemoryStore::update`: the engine reads
/// and replaces the state in place instead of copying it out (`load`) and back (`commit`).
pub struct Slot<'a> {
    entry: Option<&'a mut Entry>,
    vacant: Option<hash_map::VacantEntry<'a, Key, Box<Entry>>>,
    receipt_window: usize,
    /// A handoff event to append once the shard lock is released.
    event: Option<HandoffEvent>,
    /// What survives a panic between `take_state` and `commit`.
    kept: Option<ConversationState>,
}

impl Slot<'_> {
    /// The conversation's current state, if it exists.
    pub fn state(&self) -> Option<&ConversationState> {
        self.entry.as_ref().map(|e| &e.state)
    }

    /// The receipt of a turn id seen before in this conversation.
    pub fn receipt(&self, turn_id: &str) -> Option<&TurnReceipt> {
        let e = self.entry.as_ref()?;
        e.receipts
            .iter()
            .rev()
            .find(|r| r.turn_id == turn_id)
            .map(|r| &**r)
    }

    /// The receipt of the turn applied at this sequence number.
    pub fn receipt_at(&self, sequence: u64) -> Option<&TurnReceipt> {
        let e = self.entry.as_ref()?;
        e.receipts
            .iter()
            .rev()
            .find(|r| r.decision.sequence == sequence)
            .map(|r| &**r)
    }

    /// Moves the state out to be changed (no copy); `commit` puts the new one back. Should the
    /// caller panic in between, the conversation keeps its ids, version, turn count, ownership and
    /// open handoff, and loses its history and emotional memory (see `Drop`).
    pub fn take_state(&mut self) -> Option<ConversationState> {
        let e = self.entry.as_mut()?;
        let state = std::mem::take(&mut e.state);
        self.kept = Some(ConversationState {
            tenant_id: state.tenant_id.clone(),
            conversation_id: state.conversation_id.clone(),
            version: state.version,
            ownership: state.ownership,
            turn_count: state.turn_count,
            open_handoff: state.open_handoff.clone(),
            created_ms: state.created_ms,
            updated_ms: state.updated_ms,
            ..Default::default()
        });
        Some(state)
    }

    /// Stores the new state, its receipt and any event, as `Store::commit` does.
    pub fn commit(
        &mut self,
        state: ConversationState,
        receipt: TurnReceipt,
        event: Option<HandoffEvent>,
    ) {
        let entry = match (self.entry.as_deref_mut(), self.vacant.take()) {
            (Some(entry), _) => entry,
            (None, Some(vacant)) => vacant.insert(Box::new(Entry {
                state: ConversationState::default(),
                receipts: VecDeque::new(),
            })),
            (None, None) => unreachable!("a slot is either occupied or vacant"),
        };
        entry.state = state;
        if entry.receipts.len() >= self.receipt_window {
            entry.receipts.pop_front();
        }
        entry.receipts.push_back(Box::new(receipt));
        self.event = event;
        self.kept = None;
    }
}

impl Drop for Slot<'_> {
    /// Only after a panic between `take_state` and `commit`: the entry gets the kept skeleton
    /// instead of the empty state `take_state` left behind.
    fn drop(&mut self) {
        if let (Some(kept), Some(e)) = (self.kept.take(), self.entry.as_deref_mut()) {
            e.state = kept;
        }
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn load(
        &self,
        tenant_id: &str,
        conversation_id: &str,
    ) -> Result<Option<ConversationState>, StoreError> {
        let shard = lock(self.shard(tenant_id, conversation_id));
        Ok(shard
            .get(&key(tenant_id, conversation_id))
            .map(|e| e.state.clone()))
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
            .and_then(|e| e.receipts.iter().rev().find(|r| r.turn_id == turn_id))
            .map(|r| (**r).clone()))
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
            .and_then(|e| {
                e.receipts
                    .iter()
                    .rev()
                    .find(|r| r.decision.sequence == sequence)
            })
            .map(|r| (**r).clone()))
    }

    async fn commit(&self, commit: Commit) -> Result<CommitResult, StoreError> {
        let Commit {
            state,
            expected_version,
            receipt,
            event,
        } = commit;
        {
            let mut shard = lock(self.shard(&state.tenant_id, &state.conversation_id));
            let k = key(&state.tenant_id, &state.conversation_id);
            let current = shard.get(&k).map(|e| e.state.version).unwrap_or(0);
            if let (Some(r), Some(entry)) = (&receipt, shard.get(&k))
                && let Some(seen) = entry.receipts.iter().find(|s| s.turn_id == r.turn_id)
            {
                return Ok(CommitResult::Duplicate(seen.clone()));
            }
            if current != expected_version {
                return Ok(CommitResult::Conflict);
            }
            let entry = shard.entry(k).or_insert_with(|| {
                Box::new(Entry {
                    state: ConversationState::default(),
                    receipts: VecDeque::new(),
                })
            });
            entry.state = state;
            if let Some(r) = receipt {
                if entry.receipts.len() >= self.receipt_window {
                    entry.receipts.pop_front();
                }
                entry.receipts.push_back(Box::new(r));
            }
        }
        if let Some(ev) = event {
            self.publish(ev);
        }
        Ok(CommitResult::Committed)
    }

    async fn claim(
        &self,
        filter: &FeedFilter,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<HandoffEvent>, StoreError> {
        let now = Instant::now();
        let mut outbox = lock(&self.outbox);
        let Outbox {
            events, deliveries, ..
        } = &mut *outbox;
        let mut out = Vec::new();
        // Conversations with an older event the group has not acknowledged: their later events
        // wait, so each conversation's events reach the group one at a time, in order.
        let mut waiting: HashSet<(&str, &str)> = HashSet::new();
        for ev in events.values() {
            if out.len() >= limit {
                break;
            }
            if !filter.matches(ev) {
                continue;
            }
            let d = deliveries
                .entry((filter.consumer.clone(), ev.event_id.clone()))
                .or_default();
            if d.acked || !waiting.insert((&ev.tenant_id, &ev.conversation_id)) {
                continue;
            }
            if d.leased_until.is_some_and(|t| t > now) {
                continue;
            }
            d.leased_until = Some(now + lease);
            let mut ev = ev.clone();
            ev.redeliveries = d.deliveries;
            d.deliveries += 1;
            out.push(ev);
        }
        Ok(out)
    }

    async fn release(&self, consumer: &str, event_ids: &[String]) -> Result<(), StoreError> {
        let mut outbox = lock(&self.outbox);
        for id in event_ids {
            if let Some(d) = outbox
                .deliveries
                .get_mut(&(consumer.to_string(), id.clone()))
            {
                d.leased_until = None;
            }
        }
        drop(outbox);
        self.notify.notify_waiters();
        Ok(())
    }

    async fn backlog(&self, filter: &FeedFilter) -> Result<u64, StoreError> {
        let outbox = lock(&self.outbox);
        let key = |ev: &HandoffEvent| (filter.consumer.clone(), ev.event_id.clone());
        Ok(outbox
            .events
            .values()
            .filter(|ev| filter.matches(ev))
            .filter(|ev| !outbox.deliveries.get(&key(ev)).is_some_and(|d| d.acked))
            .count() as u64)
    }

    async fn ack(&self, consumer: &str, event_ids: &[String]) -> Result<u32, StoreError> {
        let mut outbox = lock(&self.outbox);
        let mut n = 0;
        for id in event_ids {
            if let Some(d) = outbox
                .deliveries
                .get_mut(&(consumer.to_string(), id.clone()))
                && !d.acked
            {
                d.acked = true;
                n += 1;
            }
        }
        drop(outbox);
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
        let gone: Vec<String> = outbox
            .events
            .values()
            .filter(|e| {
                removed
                    .iter()
                    .any(|k| k.0 == e.tenant_id && k.1 == e.conversation_id)
            })
            .map(|e| e.event_id.clone())
            .collect();
        outbox.events.retain(|_, e| !gone.contains(&e.event_id));
        outbox.deliveries.retain(|(_, id), _| !gone.contains(id));
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
            shard.retain(|_, e| e.state.updated_ms >= idle_before_ms);
            conversations += (before - shard.len()) as u64;
        }
        let mut outbox = lock(&self.outbox);
        let Outbox {
            events, deliveries, ..
        } = &mut *outbox;
        let before = events.len();
        events.retain(|_, e| {
            let acked = deliveries
                .iter()
                .any(|((_, id), d)| *id == e.event_id && d.acked);
            !(acked && e.created_ms < delivered_before_ms)
        });
        let removed = (before - events.len()) as u64;
        deliveries.retain(|(_, id), _| events.values().any(|e| e.event_id == *id));
        Ok((conversations, removed))
    }

    async fn record_outcome(&self, outcome: OutcomeRecord) -> Result<(), StoreError> {
        lock(&self.outbox).outcomes.push(outcome);
        Ok(())
    }

    async fn quality(&self, tenant_id: Option<&str>) -> Result<Vec<QualityRow>, StoreError> {
        let outbox = lock(&self.outbox);
        let mut rows: BTreeMap<(String, String), QualityRow> = BTreeMap::new();
        for (tenant, reason, secs, handoff_id) in &outbox.handoffs {
            if tenant_id.is_some_and(|t| t != tenant) {
                continue;
            }
            let row = rows
                .entry((tenant.clone(), reason.clone()))
                .or_insert_with(|| QualityRow {
                    tenant_id: tenant.clone(),
                    reason: reason.clone(),
                    ..Default::default()
                });
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

    fn event_notify(&self) -> Arc<Notify> {
        self.notify.clone()
    }

    fn as_memory(&self) -> Option<&MemoryStore> {
        Some(self)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(turn_id: &str) -> TurnReceipt {
        TurnReceipt {
            turn_id: turn_id.into(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn a_state_committed_in_place_is_what_load_and_receipt_see() {
        let store = MemoryStore::default();
        store.update("t", "c", |slot| {
            assert!(slot.state().is_none());
            let mut state = ConversationState::new("t", "c", 1);
            state.version = 1;
            slot.commit(state, receipt("turn-1"), None);
        });
        let state = store.load("t", "c").await.unwrap().unwrap();
        assert_eq!((state.conversation_id.as_str(), state.version), ("c", 1));
        assert!(store.receipt("t", "c", "turn-1").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_panic_between_take_and_commit_keeps_the_ids_version_and_ownership() {
        let store = MemoryStore::default();
        store.update("t", "c", |slot| {
            let mut state = ConversationState::new("t", "c", 1);
            state.version = 3;
            state.turn_count = 3;
            state.ownership = crate::domain::Ownership::Agent;
            slot.commit(state, receipt("turn-3"), None);
        });
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.update("t", "c", |slot| {
                let _state = slot.take_state();
                panic!("a bug while applying a turn");
            })
        }));
        assert!(panicked.is_err());
        let state = store.load("t", "c").await.unwrap().unwrap();
        assert_eq!(
            (
                state.tenant_id.as_str(),
                state.version,
                state.turn_count,
                state.ownership
            ),
            ("t", 3, 3, crate::domain::Ownership::Agent)
        );
    }
}
