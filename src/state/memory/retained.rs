//! The in-memory store's retained handoff events, kept as small as their delivery allows.
//!
//! An event is kept as it was committed while its conversation is busy (its state decoded): its
//! context is shared with the open handoff then, and a superseded one costs its decoded size for a
//! while. When the conversation's state is packed (`conversations`), so are its events: the
//! latest shares the state's packed context, and each one it superseded is compressed (LZ4)
//! against the context of the one after it, which holds all of it but a turn or two, so it keeps
//! only what changed (tens of bytes instead of about two kilobytes). At most `MAX_DEPTH` such
//! steps lead to a whole context. An event a group acknowledged is packed whole at once if nothing
//! shares its context. Events are decoded again only when they are handed out. What claims
//! filter and order by stays in the open beside each event.

use super::packed;
use crate::domain::{HandoffContext, HandoffEvent};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Compressed steps at most between a context and a whole one (what decoding one costs: about a
/// microsecond each).
const MAX_DEPTH: usize = 16;

/// One retained event: the fields claims, filters and retention read, and the event itself.
pub(super) struct Retained {
    pub(super) event_id: Box<str>,
    pub(super) tenant_id: Box<str>,
    pub(super) conversation_id: Box<str>,
    pub(super) queue: Box<str>,
    pub(super) created_ms: i64,
    /// The conversation's events before and after this one (append order), while retained.
    prev: Option<u64>,
    next: Option<u64>,
    body: Body,
}

enum Body {
    /// As committed: its context is (or was until lately) the conversation's open one, shared.
    Shared(Box<HandoffEvent>),
    /// The event without its context, and the context.
    Packed(Box<[u8]>, Context),
}

enum Context {
    /// Packed whole (shared with the conversation's packed state while it is the open one).
    Whole(packed::Context),
    /// Compressed against the context of the event at `base` (the conversation's next one).
    Delta { base: u64, bytes: Box<[u8]> },
}

/// Retained events by append order.
#[derive(Default)]
pub(super) struct Events {
    map: BTreeMap<u64, Retained>,
}

impl Events {
    pub(super) fn get(&self, seq: &u64) -> Option<&Retained> {
        self.map.get(seq)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&u64, &Retained)> {
        self.map.iter()
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &u64> {
        self.map.keys()
    }

    /// Adds a committed event after the conversation's event at `previous`, which it supersedes.
    pub(super) fn append(&mut self, seq: u64, ev: HandoffEvent, previous: Option<u64>) {
        let previous = previous.filter(|p| self.map.contains_key(p));
        self.map.insert(
            seq,
            Retained {
                event_id: ev.event_id.as_str().into(),
                tenant_id: ev.tenant_id.as_str().into(),
                conversation_id: ev.conversation_id.as_str().into(),
                queue: ev.route.queue.as_str().into(),
                created_ms: ev.created_ms,
                prev: previous,
                next: None,
                body: Body::Shared(Box::new(ev)),
            },
        );
        if let Some(p) = previous {
            self.map.get_mut(&p).expect("checked above").next = Some(seq);
        }
    }

    /// Packs a conversation's events whose state is being packed (`open`: its open context,
    /// decoded and packed), from its latest event at `latest` back: the latest shares the
    /// state's packed context; each one it superseded is compressed against the one after it,
    /// and a whole one is kept within `MAX_DEPTH` steps. Stops at events settled before. Returns
    /// the latest event's packed context, for the state to share.
    pub(super) fn settle(
        &mut self,
        latest: u64,
        open: Option<(&Arc<HandoffContext>, &packed::Context)>,
    ) -> Option<packed::Context> {
        let shared = self.pack(latest, open);
        // The context bytes of the event after the one at hand (the dictionary it compresses
        // against), and how many compressed steps that one is from a whole context.
        let mut after = match &shared {
            Some(bytes) => Cow::Borrowed(&bytes[..]),
            None => self.context_bytes(latest)?,
        }
        .into_owned();
        let mut depth = 0;
        let mut base = latest;
        // Past the events settled before: only their steps are counted.
        let mut settled = false;
        let mut halfway = latest;
        let mut at = self.map.get(&latest)?.prev;
        while let Some(seq) = at {
            let Some(retained) = self.map.get_mut(&seq) else {
                break;
            };
            at = retained.prev;
            let whole = match &mut retained.body {
                // Settled before: its steps to a whole context grew by the ones compressed now,
                // and so did those of the ones before it, up to the next whole one.
                Body::Packed(_, Context::Delta { .. }) => {
                    settled = true;
                    depth += 1;
                    if depth == MAX_DEPTH / 2 {
                        halfway = seq;
                    }
                    if depth >= MAX_DEPTH {
                        // Whole again halfway: the next `MAX_DEPTH / 2` settles need none.
                        self.make_whole(halfway);
                        break;
                    }
                    continue;
                }
                _ if settled => break,
                Body::Packed(_, Context::Whole(whole)) if Arc::strong_count(whole) == 1 => {
                    Arc::clone(whole)
                }
                Body::Shared(ev) if Arc::strong_count(&ev.context) == 1 => {
                    let whole = packed::context(&ev.context);
                    ev.context = Arc::default();
                    retained.body =
                        Body::Packed(packed::encode(&**ev), Context::Whole(Arc::clone(&whole)));
                    whole
                }
                // Shared with someone still: left as it is, but the next one compresses
                // against it.
                _ => {
                    after = self
                        .context_bytes(seq)
                        .map(Cow::into_owned)
                        .unwrap_or_default();
                    (depth, base) = (0, seq);
                    continue;
                }
            };
            depth += 1;
            if depth == MAX_DEPTH / 2 {
                halfway = seq;
            }
            if depth < MAX_DEPTH {
                let bytes = lz4_flex::block::compress_prepend_size_with_dict(&whole, &after);
                if bytes.len() < whole.len() {
                    retained.body =
                        match std::mem::replace(&mut retained.body, Body::Shared(Box::default())) {
                            Body::Packed(head, _) => Body::Packed(
                                head,
                                Context::Delta {
                                    base,
                                    bytes: bytes.into_boxed_slice(),
                                },
                            ),
                            other => other,
                        };
                } else {
                    depth = 0;
                }
            } else {
                depth = 0;
            }
            after = whole.to_vec();
            base = seq;
        }
        shared
    }

    /// Packs the event at `seq` if it is not packed yet and nothing else shares its context
    /// (packing a shared context would keep it twice), or when `open` is its context already
    /// packed: the conversation's state being packed with it. Returns the packed context (none
    /// for a compressed one).
    pub(super) fn pack(
        &mut self,
        seq: u64,
        open: Option<(&Arc<HandoffContext>, &packed::Context)>,
    ) -> Option<packed::Context> {
        let retained = self.map.get_mut(&seq)?;
        let ev = match &mut retained.body {
            Body::Shared(ev) => ev,
            Body::Packed(_, Context::Whole(context)) => return Some(Arc::clone(context)),
            Body::Packed(_, Context::Delta { .. }) => return None,
        };
        let context = match open {
            Some((decoded, bytes)) if Arc::ptr_eq(decoded, &ev.context) => Arc::clone(bytes),
            _ if Arc::strong_count(&ev.context) == 1 => packed::context(&ev.context),
            _ => return None,
        };
        ev.context = Arc::default();
        let head = packed::encode(&**ev);
        retained.body = Body::Packed(head, Context::Whole(Arc::clone(&context)));
        Some(context)
    }

    /// Stores the context of the event at `seq` whole again.
    fn make_whole(&mut self, seq: u64) {
        let whole = self
            .context_bytes(seq)
            .map(|b| packed::Context::from(&*b))
            .expect("a retained event's context decodes");
        if let Some(Body::Packed(_, context)) = self.map.get_mut(&seq).map(|r| &mut r.body) {
            *context = Context::Whole(whole);
        }
    }

    /// The packed bytes of the context of the event at `seq`.
    fn context_bytes(&self, seq: u64) -> Option<Cow<'_, [u8]>> {
        Some(match &self.map.get(&seq)?.body {
            Body::Shared(ev) => Cow::Owned(packed::encode(&*ev.context).into_vec()),
            Body::Packed(_, Context::Whole(bytes)) => Cow::Borrowed(&bytes[..]),
            Body::Packed(_, Context::Delta { base, bytes, .. }) => {
                let dict = self.context_bytes(*base)?;
                Cow::Owned(
                    lz4_flex::block::decompress_size_prepended_with_dict(bytes, &dict)
                        .expect("a context this process compressed decompresses"),
                )
            }
        })
    }

    /// The event at `seq` as committed.
    pub(super) fn event(&self, seq: u64) -> Option<HandoffEvent> {
        Some(match &self.map.get(&seq)?.body {
            Body::Shared(ev) => (**ev).clone(),
            Body::Packed(head, _) => HandoffEvent {
                context: Arc::new(packed::decode(&self.context_bytes(seq)?)),
                ..packed::decode(head)
            },
        })
    }

    /// Removes the event at `seq`; the conversation's event before it, if compressed against it,
    /// is stored whole first.
    pub(super) fn remove(&mut self, seq: u64) -> Option<Retained> {
        let (prev, next) = {
            let r = self.map.get(&seq)?;
            (r.prev, r.next)
        };
        if let Some(p) = prev {
            let depends = matches!(
                self.map.get(&p).map(|r| &r.body),
                Some(Body::Packed(_, Context::Delta { base, .. })) if *base == seq
            );
            if depends {
                self.make_whole(p);
            }
            if let Some(r) = self.map.get_mut(&p) {
                r.next = None;
            }
        }
        if let Some(r) = next.and_then(|n| self.map.get_mut(&n)) {
            r.prev = None;
        }
        self.map.remove(&seq)
    }
}

#[cfg(test)]
mod tests {
    use super::{Body, Context, Events, MAX_DEPTH};
    use crate::domain::{HandoffContext, HandoffEvent, TranscriptTurn};
    use std::sync::Arc;

    /// Event `n` of one conversation: its context has `n` transcript turns, as a pending handoff's
    /// grows with each customer turn.
    fn event(n: u64) -> HandoffEvent {
        HandoffEvent {
            event_id: format!("ev-{n}"),
            handoff_id: "h".into(),
            tenant_id: "acme".into(),
            conversation_id: "c".into(),
            context: Arc::new(HandoffContext {
                transcript: (0..n)
                    .map(|i| TranscriptTurn {
                        turn_id: format!("t{i}"),
                        text: format!(
                            "Turn {i}: ich warte immer noch auf meine Bestellung 4711-{i}."
                        ),
                        ..Default::default()
                    })
                    .collect(),
                language: "de".into(),
                ..Default::default()
            }),
            created_ms: n as i64,
            ..Default::default()
        }
    }

    /// `n` events of one conversation, settled after every `every` and at the end (as its state
    /// is packed).
    fn filled(n: u64, every: u64) -> Events {
        let mut events = Events::default();
        for i in 1..=n {
            events.append(i, event(i), (i > 1).then(|| i - 1));
            if i.is_multiple_of(every) || i == n {
                events.settle(i, None);
            }
        }
        events
    }

    /// Steps from the event at `seq` to a whole context.
    fn depth(events: &Events, mut seq: u64) -> usize {
        let mut steps = 0;
        while let Body::Packed(_, Context::Delta { base, .. }) = &events.map[&seq].body {
            steps += 1;
            seq = *base;
        }
        steps
    }

    #[test]
    fn superseded_events_are_compressed_within_the_depth_and_decode_as_committed() {
        for every in [1, 3, 20] {
            let events = filled(20, every);
            for i in 1..=20 {
                assert_eq!(events.event(i), Some(event(i)), "event {i}, every {every}");
                assert!(depth(&events, i) < MAX_DEPTH, "event {i}, every {every}");
            }
            let delta = |i| matches!(events.map[&i].body, Body::Packed(_, Context::Delta { .. }));
            let n = (1..20).filter(|i| delta(*i)).count();
            assert!(!delta(20) && n >= 16, "every {every}: {n} compressed");
        }
    }

    #[test]
    fn removing_an_event_keeps_the_ones_compressed_against_it() {
        let mut events = filled(5, 5);
        assert!(events.remove(3).is_some());
        assert!(events.remove(5).is_some());
        for i in [1, 2, 4] {
            assert_eq!(events.event(i), Some(event(i)), "event {i}");
        }
        assert_eq!(events.event(3), None);
    }
}
