//! Positional MessagePack for what the in-memory store keeps packed: never kept beyond this
//! process, so no field names are needed, and a value decodes to exactly what was encoded.
//!
//! A handoff context is packed on its own, as shared bytes: the conversation's packed state and
//! its latest packed event point at the same copy.

use crate::domain::HandoffContext;
use serde::{Serialize, de::DeserializeOwned};
use std::sync::Arc;

/// A packed handoff context, shared by a packed state and its latest packed event.
pub(super) type Context = Arc<[u8]>;

/// Encodes into a reused buffer, then copies once into an allocation of the exact size (growing
/// a fresh vector, then shrinking it, would copy it several times).
fn with_encoded<T: Serialize, R>(value: &T, keep: impl FnOnce(&[u8]) -> R) -> R {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with_borrow_mut(|buf| {
        buf.clear();
        rmp_serde::encode::write(buf, value).expect("an in-memory value encodes");
        let kept = keep(buf);
        // A rare huge value does not stay around as scratch.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        kept
    })
}

pub(super) fn encode<T: Serialize>(value: &T) -> Box<[u8]> {
    with_encoded(value, |b| Box::from(b))
}

pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> T {
    rmp_serde::from_slice(bytes).expect("a value this process packed decodes")
}

pub(super) fn context(context: &HandoffContext) -> Context {
    with_encoded(context, |b| Arc::from(b))
}

pub(super) fn unpack_context(bytes: &Context) -> Arc<HandoffContext> {
    Arc::new(decode(bytes))
}
