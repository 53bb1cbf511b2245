//! The in-memory store's conversations: one shard of the map, its entries, and which states are
//! kept decoded.
//!
//! A decoded state costs about two and a half times its encoding (every string and vector its own
//! allocation), and most live conversations are idle between turns. So a shard keeps only its
//! most recently committed states decoded (CLOCK order: a state committed again since it was
//! queued gets a second chance); the others are packed into positional MessagePack and decoded
//! again by the turn that loads them. The history records stay as they are (shared, immutable):
//! decoding and encoding ten of them on every turn cost more than their packing saved. What the
//! store reads without the state (its version, idleness, customer) stays beside it.

use super::outbox::Outbox;
use super::packed;
use super::receipts::{Receipts, hash};
use crate::domain::{ConversationState, TurnRecord};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

pub(super) type Key = (String, String);

/// One shard of the conversation map.
#[derive(Default)]
pub(super) struct Shard {
    pub(super) map: HashMap<Key, Box<Entry>>,
    /// Keys of the entries whose state is decoded, in the order they became so.
    hot: VecDeque<Key>,
    /// How many entries have their state decoded.
    decoded: usize,
}

/// A conversation with its recent receipts. Kept boxed in the map.
pub(super) struct Entry {
    state: Slot,
    /// The state's version, for the commit's check without decoding.
    pub(super) version: u64,
    /// `ConversationState::idle_since_ms`, for retention.
    pub(super) idle_since_ms: i64,
    /// A hash of the customer id (`forget` by customer), if the conversation names one.
    customer: Option<u64>,
    /// Committed again since it was queued as decoded: spared once when states are packed.
    recent: bool,
    /// Receipts of the last `receipt_window` turns.
    pub(super) receipts: Receipts,
    /// The outbox place of the conversation's latest event: the next one supersedes its context.
    pub(super) last_event: Option<u64>,
}

enum Slot {
    /// Handed out shared by `load`; replaced whole by a commit.
    Decoded(Arc<ConversationState>),
    /// The state without its history and its open handoff's context; that context, packed
    /// apart so the conversation's latest event shares it; the history records, shared as they
    /// were (decoding and encoding them on every turn would cost more than packing saves).
    Packed {
        state: Box<[u8]>,
        context: Option<packed::Context>,
        history: Box<[Arc<TurnRecord>]>,
    },
}

impl Slot {
    fn packed_empty() -> Slot {
        Slot::Packed {
            state: Box::default(),
            context: None,
            history: Box::default(),
        }
    }
}

impl Entry {
    /// The state, shared when decoded, decoded afresh when packed.
    pub(super) fn state(&self) -> Arc<ConversationState> {
        match &self.state {
            Slot::Decoded(state) => Arc::clone(state),
            Slot::Packed {
                state: bytes,
                context,
                history,
            } => {
                let mut state: ConversationState = packed::decode(bytes);
                state.recent = history.iter().cloned().collect();
                if let (Some(open), Some(context)) = (&mut state.open_handoff, context) {
                    open.context = Some(packed::unpack_context(context));
                }
                Arc::new(state)
            }
        }
    }

    /// Whether the conversation's customer is `customer_id`.
    pub(super) fn has_customer(&self, customer_id: &str) -> bool {
        self.customer == Some(hash(customer_id))
            && self
                .state()
                .customer
                .as_ref()
                .is_some_and(|p| p.customer_id == customer_id)
    }
}

impl Shard {
    /// Stores a committed state (creating the entry); returns the entry for its receipt and event.
    pub(super) fn put(&mut self, state: ConversationState) -> &mut Entry {
        let k = (state.tenant_id.clone(), state.conversation_id.clone());
        if !self.map.contains_key(&k) {
            let entry = Entry {
                state: Slot::packed_empty(),
                version: 0,
                idle_since_ms: 0,
                customer: None,
                recent: false,
                receipts: Receipts::default(),
                last_event: None,
            };
            self.map.insert(k.clone(), Box::new(entry));
        }
        let entry = self.map.get_mut(&k).expect("just stored");
        entry.version = state.version;
        entry.idle_since_ms = state.idle_since_ms();
        entry.customer = state.customer.as_ref().map(|p| hash(&p.customer_id));
        // The state before is dropped here, so the previous event's context is its own.
        match std::mem::replace(&mut entry.state, Slot::Decoded(Arc::new(state))) {
            Slot::Packed { .. } => {
                self.decoded += 1;
                self.hot.push_back(k);
            }
            Slot::Decoded(_) => entry.recent = true,
        }
        entry
    }

    /// Packs decoded states, least recently committed first, until at most `hot` are left, and
    /// with each its conversation's events (`Events::settle`).
    pub(super) fn cool(&mut self, hot: usize, outbox: &std::sync::Mutex<Outbox>) {
        while self.decoded > hot {
            let Some(k) = self.hot.pop_front() else {
                break;
            };
            let Some(entry) = self.map.get_mut(&k) else {
                continue;
            };
            if !matches!(entry.state, Slot::Decoded(_)) {
                continue;
            }
            if entry.recent {
                entry.recent = false;
                self.hot.push_back(k);
                continue;
            }
            let Slot::Decoded(state) = std::mem::replace(&mut entry.state, Slot::packed_empty())
            else {
                unreachable!("checked above")
            };
            // The store holds the only reference unless a reader is still looking at it.
            let mut state = Arc::unwrap_or_clone(state);
            let open = state.open_handoff.as_mut().and_then(|o| o.context.take());
            let mut context = open.as_deref().map(packed::context);
            if let Some(seq) = entry.last_event {
                // The latest event shares the open context: both keep one packed copy (the
                // event's, when it was packed with the same context before).
                let shared = open.as_ref().zip(context.as_ref());
                if let Some(event_context) = super::lock(outbox).settle(seq, shared)
                    && context.as_deref() == Some(&*event_context)
                {
                    context = Some(event_context);
                }
            }
            let history = std::mem::take(&mut state.recent).into_iter().collect();
            entry.state = Slot::Packed {
                state: packed::encode(&state),
                context,
                history,
            };
            entry.receipts.settle();
            self.decoded -= 1;
        }
    }

    /// Keeps the entries `keep` says to keep; returns the keys of the others.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Key, &Entry) -> bool) -> Vec<Key> {
        let mut removed = Vec::new();
        let mut decoded_removed = 0;
        self.map.retain(|k, e| {
            let kept = keep(k, e);
            if !kept {
                decoded_removed += usize::from(matches!(e.state, Slot::Decoded(_)));
                removed.push(k.clone());
            }
            kept
        });
        if !removed.is_empty() {
            self.decoded -= decoded_removed;
            let map = &self.map;
            self.hot.retain(|k| {
                map.get(k)
                    .is_some_and(|e| matches!(e.state, Slot::Decoded(_)))
            });
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::{Shard, Slot};
    use crate::domain::{ConversationState, HandoffContext, OpenHandoff, TurnRecord};
    use std::sync::{Arc, Mutex};

    fn state(id: &str, version: u64) -> ConversationState {
        let mut s = ConversationState::new("acme", id, 1_000);
        s.version = version;
        s.recent.push_back(Arc::new(TurnRecord {
            turn_id: format!("{id}-t{version}"),
            text: "Wo ist mein Paket?".into(),
            signals: vec!["frustration".into()],
            ..Default::default()
        }));
        s.open_handoff = Some(OpenHandoff {
            handoff_id: format!("h-{id}"),
            context: Some(Arc::new(HandoffContext {
                language: "de".into(),
                waiting_turn_ids: vec!["t1".into()],
                ..Default::default()
            })),
            ..Default::default()
        });
        s
    }

    fn decoded(shard: &Shard) -> Vec<&str> {
        let mut ids: Vec<&str> = shard
            .map
            .iter()
            .filter(|(_, e)| matches!(e.state, Slot::Decoded(_)))
            .map(|(k, _)| k.1.as_str())
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn the_most_recently_committed_states_stay_decoded_and_the_others_load_as_committed() {
        let outbox = Mutex::default();
        let mut shard = Shard::default();
        for id in ["a", "b", "c"] {
            shard.put(state(id, 1));
            shard.cool(2, &outbox);
        }
        assert_eq!(decoded(&shard), ["b", "c"]);
        // `b` is committed again: when `d` comes, `c` is packed and `b` is spared.
        shard.put(state("b", 2));
        shard.put(state("d", 1));
        shard.cool(2, &outbox);
        assert_eq!(decoded(&shard), ["b", "d"]);
        // Loading a packed state decodes exactly what was committed; committing it decodes it.
        for (id, version) in [("a", 1), ("b", 2), ("c", 1), ("d", 1)] {
            let key = ("acme".to_string(), id.to_string());
            assert_eq!(*shard.map[&key].state(), state(id, version), "{id}");
        }
        shard.put(state("a", 2));
        shard.cool(2, &outbox);
        assert_eq!(decoded(&shard).len(), 2);
        assert!(decoded(&shard).contains(&"a"));
        assert_eq!(shard.decoded, 2);
    }

    #[test]
    fn removed_entries_leave_the_decoded_count_and_queue() {
        let outbox = Mutex::default();
        let mut shard = Shard::default();
        for id in ["a", "b", "c"] {
            shard.put(state(id, 1));
        }
        shard.cool(1, &outbox);
        let gone = shard.retain(|k, _| k.1 != "c");
        assert_eq!(gone, [("acme".to_string(), "c".to_string())]);
        assert_eq!((shard.decoded, shard.hot.len()), (0, 0));
        shard.put(state("a", 2));
        assert_eq!((shard.decoded, shard.hot.len()), (1, 1));
    }
}
