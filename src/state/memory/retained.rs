//! The in-memory store's retained handoff events, kept as small as their delivery allows.
//!
//! An event is kept as it was committed while its context is shared with its conversation's open
//! handoff (it costs only its own few fields then). Once a later event of the conversation
//! supersedes it, or a group acknowledged it, nothing else holds its context: it is packed into
//! positional MessagePack (about a third of its decoded size), and a superseded event's context is
//! compressed (LZ4) against the context of the event that superseded it, which holds all of it
//! but a turn or two, so it keeps only what changed (tens of bytes instead of about two
//! kilobytes). At most `MAX_DEPTH` such steps lead to a whole context (the latest event's is
//! whole, shared with the conversation's state). Events are decoded again only when they are
//! handed out. What claims filter and order by stays in the open beside each event.

use super::packed;
use crate::domain::{HandoffContext, HandoffEvent};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Compressed steps at most between a context and a whole one (what decoding one costs).
const MAX_DEPTH: usize = 8;

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

    /// Adds a committed event after the conversation's event at `previous`, which it supersedes:
    /// that one is packed and, where it pays, compressed against this one.
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
            self.pack(p, None);
            self.compress(p, seq);
        }
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

    /// Compresses the packed whole context of the event at `seq` against the context of the
    /// event at `base`, if nothing else shares it and the result is smaller; then keeps the
    /// events compressed before it within `MAX_DEPTH` steps of a whole context.
    fn compress(&mut self, seq: u64, base: u64) {
        let Some(Body::Packed(_, Context::Whole(whole))) = self.map.get(&seq).map(|r| &r.body)
        else {
            return;
        };
        if Arc::strong_count(whole) > 1 {
            return;
        }
        let Some(dict) = self.context_bytes(base) else {
            return;
        };
        let bytes = lz4_flex::block::compress_prepend_size_with_dict(whole, &dict);
        if bytes.len() >= whole.len() {
            return;
        }
        let retained = self.map.get_mut(&seq).expect("looked up above");
        if let Body::Packed(_, context) = &mut retained.body {
            *context = Context::Delta {
                base,
                bytes: bytes.into_boxed_slice(),
            };
        }
        // Each event compressed against this one is a step further from a whole context now.
        let mut depth = 1;
        let mut at = retained.prev;
        while let Some(p) = at {
            let Some(r) = self.map.get(&p) else { break };
            if !matches!(r.body, Body::Packed(_, Context::Delta { .. })) {
                break;
            }
            depth += 1;
            if depth >= MAX_DEPTH {
                self.make_whole(p);
                break;
            }
            at = r.prev;
        }
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

    fn filled(n: u64) -> Events {
        let mut events = Events::default();
        for i in 1..=n {
            events.append(i, event(i), (i > 1).then(|| i - 1));
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
        let events = filled(20);
        for i in 1..=20 {
            assert_eq!(events.event(i), Some(event(i)), "event {i}");
            assert!(depth(&events, i) < MAX_DEPTH, "event {i}");
        }
        assert!(matches!(
            events.map[&19].body,
            Body::Packed(_, Context::Delta { .. })
        ));
        assert!(matches!(events.map[&20].body, Body::Shared(_)));
    }

    #[test]
    fn removing_an_event_keeps_the_ones_compressed_against_it() {
        let mut events = filled(5);
        assert!(events.remove(3).is_some());
        assert!(events.remove(5).is_some());
        for i in [1, 2, 4] {
            assert_eq!(events.event(i), Some(event(i)), "event {i}");
        }
        assert_eq!(events.event(3), None);
    }
}
