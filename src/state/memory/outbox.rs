//! The in-memory store's outbox: retained handoff events (kept compact, `retained`) and each
//! consumer group's delivery state. Claims filter and order by fields kept in the open beside each
//! event, so they never decode the events they pass over.

use super::packed;
use super::retained::{Events, Retained};
use crate::domain::{HandoffContext, HandoffEvent, HandoffEventKind};
use crate::state::quality;
use crate::state::{FeedFilter, OutcomeRecord};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Delivery state of one unacknowledged event for one consumer group.
#[derive(Default)]
struct Delivery {
    leased_until: Option<Instant>,
    /// Hand-outs so far.
    deliveries: u32,
}

/// One consumer group: only its unacknowledged events, by append order, so a claim never walks
/// past what the group already acknowledged.
#[derive(Default)]
struct Group {
    pending: BTreeMap<u64, Delivery>,
}

impl Retained {
    fn admitted_by(&self, filter: &FeedFilter) -> bool {
        filter.admits(&self.tenant_id, &self.queue)
    }
}

#[derive(Default)]
pub(super) struct Outbox {
    next: u64,
    /// Events by append order.
    events: Events,
    /// Event id -> append order.
    seqs: HashMap<Box<str>, u64>,
    /// Consumer groups by name; a group starts with every retained event pending.
    groups: HashMap<String, Group>,
    /// Events some group acknowledged (retention purges only those).
    acked: HashSet<u64>,
    pub(super) outcomes: Vec<OutcomeRecord>,
    /// Every handoff ever committed (its quality key, seconds to handoff, handoff id).
    pub(super) handoffs: Vec<(quality::Key, f64, String)>,
}

impl Outbox {
    /// Appends a committed event; returns its place in append order. `previous`: the place of the
    /// conversation's event before it, whose context this one supersedes, so it is packed.
    pub(super) fn append(&mut self, ev: HandoffEvent, previous: Option<u64>) -> u64 {
        // An update of an open handoff is the same handoff for quality.
        if ev.kind == HandoffEventKind::Opened {
            let key = (
                ev.tenant_id.clone(),
                crate::state::codec::primary_reason(&ev),
                ev.context.language.clone(),
                crate::state::codec::channel_label(ev.context.channel),
                ev.route.queue.clone(),
            );
            self.handoffs.push((
                key,
                ev.context.seconds_since_first_problem,
                ev.handoff_id.clone(),
            ));
        }
        let seq = self.next;
        self.next += 1;
        self.seqs.insert(ev.event_id.as_str().into(), seq);
        self.events.append(seq, ev, previous);
        for g in self.groups.values_mut() {
            g.pending.insert(seq, Delivery::default());
        }
        seq
    }

    /// Packs the events of a conversation whose state is being packed (see `Events::settle`).
    pub(super) fn settle(
        &mut self,
        latest: u64,
        open: Option<(&Arc<HandoffContext>, &packed::Context)>,
    ) -> Option<packed::Context> {
        self.events.settle(latest, open)
    }

    /// Leases up to `limit` events to the filter's group (see `Store::claim`).
    pub(super) fn claim(
        &mut self,
        filter: &FeedFilter,
        limit: usize,
        lease: Duration,
    ) -> Vec<HandoffEvent> {
        let now = Instant::now();
        let Outbox { events, groups, .. } = self;
        let group = groups
            .entry(filter.consumer.clone())
            .or_insert_with(|| Group {
                pending: events.keys().map(|s| (*s, Delivery::default())).collect(),
            });
        let mut out = Vec::new();
        // Conversations with an older event the group has not acknowledged: their later events
        // wait, so each conversation's events reach the group one at a time, in order.
        let mut waiting: HashSet<(&str, &str)> = HashSet::new();
        for (seq, d) in group.pending.iter_mut() {
            if out.len() >= limit {
                break;
            }
            let Some(ev) = events.get(seq) else { continue };
            if !ev.admitted_by(filter) || !waiting.insert((&ev.tenant_id, &ev.conversation_id)) {
                continue;
            }
            if d.leased_until.is_some_and(|t| t > now) {
                continue;
            }
            let Some(mut ev) = events.event(*seq) else {
                continue;
            };
            d.leased_until = Some(now + lease);
            ev.redeliveries = d.deliveries;
            d.deliveries += 1;
            out.push(ev);
        }
        out
    }

    /// Ends the group's leases on these events.
    pub(super) fn release(&mut self, consumer: &str, event_ids: &[String]) {
        let Outbox { seqs, groups, .. } = self;
        if let Some(g) = groups.get_mut(consumer) {
            for seq in event_ids.iter().filter_map(|id| seqs.get(id.as_str())) {
                if let Some(d) = g.pending.get_mut(seq) {
                    d.leased_until = None;
                }
            }
        }
    }

    /// Events matching the filter its group has not acknowledged.
    pub(super) fn backlog(&self, filter: &FeedFilter) -> u64 {
        let matching = |seq: &u64| self.events.get(seq).is_some_and(|e| e.admitted_by(filter));
        (match self.groups.get(&filter.consumer) {
            Some(g) => g.pending.keys().filter(|s| matching(s)).count(),
            // A group that never claimed has every retained event ahead of it.
            None => self.events.keys().filter(|s| matching(s)).count(),
        }) as u64
    }

    /// Marks events delivered for the group; returns how many were outstanding. An acknowledged
    /// event leaves the hot path: it is packed unless its context is still the open one.
    pub(super) fn ack(&mut self, consumer: &str, event_ids: &[String]) -> u32 {
        let Outbox {
            seqs,
            groups,
            acked,
            events,
            ..
        } = self;
        let mut n = 0;
        if let Some(g) = groups.get_mut(consumer) {
            for seq in event_ids.iter().filter_map(|id| seqs.get(id.as_str())) {
                if g.pending.remove(seq).is_some() {
                    acked.insert(*seq);
                    events.pack(*seq, None);
                    n += 1;
                }
            }
        }
        n
    }

    /// Drops the events of these conversations; returns how many.
    pub(super) fn forget(&mut self, conversations: &[(String, String)]) -> usize {
        let gone: Vec<u64> = self
            .events
            .iter()
            .filter(|(_, e)| {
                conversations
                    .iter()
                    .any(|k| *k.0 == *e.tenant_id && *k.1 == *e.conversation_id)
            })
            .map(|(seq, _)| *seq)
            .collect();
        self.remove(&gone);
        gone.len()
    }

    /// Drops events some group acknowledged that were created before `before_ms`.
    pub(super) fn expire(&mut self, before_ms: i64) -> usize {
        let gone: Vec<u64> = self
            .events
            .iter()
            .filter(|(seq, e)| self.acked.contains(seq) && e.created_ms < before_ms)
            .map(|(seq, _)| *seq)
            .collect();
        self.remove(&gone);
        gone.len()
    }

    /// Drops events from the outbox and from every group.
    fn remove(&mut self, gone: &[u64]) {
        for seq in gone {
            if let Some(ev) = self.events.remove(*seq) {
                self.seqs.remove(&ev.event_id);
            }
            self.acked.remove(seq);
            for g in self.groups.values_mut() {
                g.pending.remove(seq);
            }
        }
    }
}
