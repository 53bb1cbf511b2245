//! A conversation's turn receipts in the in-memory store, kept compact.
//!
//! What dedupe compares (a hash of the turn id, the sequence number) stays in the open; the whole
//! receipt (turn id, fingerprint, decision) is positional MessagePack, a hundred to a few hundred
//! bytes, decoded only when a turn comes again. When the conversation's state is packed, each
//! receipt but the newest is compressed (LZ4) against the one after it, which shares most of it
//! (route, scores, reasons, the open handoff's id), so it keeps only what changed; a whole one is
//! kept within `MAX_DEPTH` steps. Nothing depends on the oldest, so the window drops it freely.

use super::packed;
use crate::domain::TurnReceipt;
use std::borrow::Cow;
use std::collections::VecDeque;

/// Marks a compressed receipt (a byte MessagePack never starts a value with).
const COMPRESSED: u8 = 0xC1;

/// Compressed steps at most between a receipt and a whole one.
const MAX_DEPTH: usize = 16;

struct Receipt {
    turn_hash: u64,
    sequence: u64,
    /// Whole, or `COMPRESSED` and LZ4 against the next receipt's whole bytes.
    bytes: Box<[u8]>,
}

/// Receipts of the last turns, oldest first.
#[derive(Default)]
pub(super) struct Receipts {
    list: VecDeque<Receipt>,
}

impl Receipts {
    /// Adds a turn's receipt, dropping the oldest beyond `window`.
    pub(super) fn push(&mut self, r: &TurnReceipt, window: usize) {
        if self.list.len() >= window {
            self.list.pop_front();
        }
        self.list.push_back(Receipt {
            turn_hash: hash(&r.turn_id),
            sequence: r.decision.sequence,
            bytes: packed::encode(r),
        });
    }

    /// The receipt of `turn_id` (the hash narrows, the decoded id decides).
    pub(super) fn by_turn(&self, turn_id: &str) -> Option<TurnReceipt> {
        let h = hash(turn_id);
        (0..self.list.len())
            .rev()
            .filter(|i| self.list[*i].turn_hash == h)
            .map(|i| self.decode(i))
            .find(|r| r.turn_id == turn_id)
    }

    /// The receipt of the turn applied at `sequence`.
    pub(super) fn at(&self, sequence: u64) -> Option<TurnReceipt> {
        let i = self.list.iter().rposition(|r| r.sequence == sequence)?;
        Some(self.decode(i))
    }

    fn decode(&self, i: usize) -> TurnReceipt {
        packed::decode(&self.whole(i))
    }

    /// The whole bytes of receipt `i`.
    fn whole(&self, i: usize) -> Cow<'_, [u8]> {
        let bytes = &self.list[i].bytes;
        match bytes.split_first() {
            Some((&COMPRESSED, compressed)) => {
                let dict = self.whole(i + 1);
                Cow::Owned(
                    lz4_flex::block::decompress_size_prepended_with_dict(compressed, &dict)
                        .expect("a receipt this process compressed decompresses"),
                )
            }
            _ => Cow::Borrowed(bytes),
        }
    }

    /// Compresses the receipts not compressed yet (all but the newest) against the one after
    /// each, keeping a whole one within `MAX_DEPTH` steps; gives up spare room.
    pub(super) fn settle(&mut self) {
        let n = self.list.len();
        let Some(newest) = self.list.back() else {
            return;
        };
        let mut after = newest.bytes.to_vec();
        let mut depth = 0;
        let mut halfway = n - 1;
        // Past the receipts compressed before: only their steps are counted.
        let mut settled = false;
        for i in (0..n - 1).rev() {
            let compressed = self.list[i].bytes.first() == Some(&COMPRESSED);
            if settled && !compressed {
                break;
            }
            depth += 1;
            if depth == MAX_DEPTH / 2 {
                halfway = i;
            }
            if compressed {
                settled = true;
                if depth >= MAX_DEPTH {
                    // Whole again halfway: the next `MAX_DEPTH / 2` settles need none.
                    let whole = self.whole(halfway).into_owned();
                    self.list[halfway].bytes = whole.into_boxed_slice();
                    break;
                }
                continue;
            }
            let whole = std::mem::take(&mut self.list[i].bytes);
            let mut bytes = vec![COMPRESSED];
            bytes.extend(lz4_flex::block::compress_prepend_size_with_dict(
                &whole, &after,
            ));
            if depth < MAX_DEPTH && bytes.len() < whole.len() {
                self.list[i].bytes = bytes.into_boxed_slice();
            } else {
                self.list[i].bytes = whole.clone();
                depth = 0;
            }
            after = whole.into_vec();
        }
        self.list.shrink_to_fit();
    }
}

/// A fixed hash of an id (FNV-1a, 64 bits).
pub(super) fn hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::{COMPRESSED, MAX_DEPTH, Receipts};
    use crate::domain::{Action, Decision, Route, TurnReceipt};

    fn receipt(n: u64) -> TurnReceipt {
        TurnReceipt {
            turn_id: format!("conv-7-{n}"),
            fingerprint: n.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            decision: Decision {
                action: if n.is_multiple_of(5) {
                    Action::Handoff
                } else {
                    Action::Continue
                },
                route: Route {
                    queue: "default".into(),
                    language: "de".into(),
                    ..Default::default()
                },
                sequence: n,
                ..Default::default()
            },
        }
    }

    #[test]
    fn receipts_settled_at_any_time_decode_as_pushed_within_the_window() {
        for every in [1, 4, 40] {
            let mut receipts = Receipts::default();
            for n in 1..=40 {
                receipts.push(&receipt(n), 30);
                if n.is_multiple_of(every) {
                    receipts.settle();
                }
            }
            for n in 11..=40 {
                assert_eq!(receipts.at(n), Some(receipt(n)), "every {every}");
                assert_eq!(
                    receipts.by_turn(&format!("conv-7-{n}")),
                    Some(receipt(n)),
                    "every {every}"
                );
            }
            assert_eq!(receipts.at(10), None);
            let compressed = receipts
                .list
                .iter()
                .filter(|r| r.bytes[0] == COMPRESSED)
                .count();
            assert!(
                compressed >= 30 - 30 / (MAX_DEPTH / 2) - 1,
                "every {every}: {compressed}"
            );
            // No receipt is more than `MAX_DEPTH` steps from a whole one.
            let mut run = 0;
            for r in receipts.list.iter().rev() {
                run = if r.bytes[0] == COMPRESSED { run + 1 } else { 0 };
                assert!(run < MAX_DEPTH, "every {every}");
            }
        }
    }
}
