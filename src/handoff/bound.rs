//! The handoff context's size is bounded, so that every committed handoff event can be encoded for
//! the feed. Over the bound, the transcript is shortened in the middle (the first and the latest
//! turns stay) with a marker turn saying how many were left out; if that is not enough, metadata
//! entries, then entities go, then the remaining texts are cut.
//!
//! Size is measured as the context's JSON encoding, which is never smaller than its protobuf
//! encoding (JSON spells out field names, quotes and default values; protobuf leaves them out);
//! a cheaper ceiling of it (`ceiling`) answers first for contexts far below the bound.

mod ceiling;

use crate::domain::{HandoffContext, Role, TranscriptTurn};

/// The largest handoff context, in JSON bytes; the feed's messages are at least twice this
/// (`server.max_message_bytes` is checked against it).
pub const MAX_CONTEXT_BYTES: usize = 1024 * 1024;

/// JSON bytes of `value` (an upper bound of its protobuf size), counted as they are written,
/// without keeping them.
fn size<T: serde::Serialize>(value: &T) -> usize {
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map_or(usize::MAX, |()| count.0)
}

/// A writer that only counts bytes.
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Shrinks `context` until it is at most `max` bytes. Returns whether anything was left out.
pub fn fit(context: &mut HandoffContext, max: usize) -> bool {
    // Most contexts are far below the bound: their ceiling says so without writing them.
    if ceiling::json_ceiling(context) <= max {
        return false;
    }
    let mut total = size(context);
    if total <= max {
        return false;
    }
    // 1. A block in the middle of the transcript, replaced by one marker; the first and the
    //    latest turns stay.
    let n = context.transcript.len();
    if n > 2 {
        let sizes: Vec<usize> = context.transcript.iter().map(|t| size(t) + 1).collect();
        let marker = size(&marker_turn(n, &context.language)) + 1;
        let (mut lo, mut hi) = (n / 2, n / 2);
        let mut removed = 0usize;
        while total.saturating_sub(removed) + marker > max && (lo > 1 || hi < n - 1) {
            if hi < n - 1 && (hi - n / 2 <= n / 2 - lo || lo <= 1) {
                removed += sizes[hi];
                hi += 1;
            } else {
                lo -= 1;
                removed += sizes[lo];
            }
        }
        if hi > lo {
            let marker = marker_turn(hi - lo, &context.language);
            context.transcript.splice(lo..hi, [marker]);
            total = size(context);
        }
    }
    // 2. Metadata, 3. entities, from the end.
    // (Each removal is counted at no more than its JSON bytes, so the running total stays an upper
    // bound.)
    while total > max
        && let Some((k, v)) = context.metadata.pop_last()
    {
        total = total.saturating_sub(k.len() + v.len() + 4);
    }
    while total > max
        && let Some(e) = context.entities.pop()
    {
        total = total.saturating_sub(size(&e));
    }
    total = size(context);
    // 4. Cut every remaining text to an equal share.
    if total > max {
        let share = max / (context.transcript.len() + 4).max(1) / 2;
        for t in &mut context.transcript {
            cut(&mut t.text, share);
        }
        cut(&mut context.summary.goal, share);
        context.summary.tried.truncate(8);
        for t in &mut context.summary.tried {
            cut(t, share);
        }
    }
    true
}

fn marker_turn(n: usize, language: &str) -> TranscriptTurn {
    let text = if language.starts_with("de") {
        format!("[… {n} Nachrichten ausgelassen …]")
    } else {
        format!("[… {n} turns left out …]")
    };
    TranscriptTurn {
        role: Role::System,
        text,
        ..Default::default()
    }
}

/// Shortens `s` to at most `max` bytes at a character boundary.
fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(turns: usize, text_bytes: usize) -> HandoffContext {
        HandoffContext {
            transcript: (0..turns)
                .map(|i| TranscriptTurn {
                    turn_id: format!("t{i}"),
                    role: Role::Customer,
                    text: "x".repeat(text_bytes),
                    ..Default::default()
                })
                .collect(),
            language: "en".into(),
            ..Default::default()
        }
    }

    #[test]
    fn size_is_the_length_of_the_json() {
        let c = context(3, 10);
        assert_eq!(size(&c), serde_json::to_vec(&c).unwrap().len());
    }

    #[test]
    fn a_small_context_stays_as_it_is() {
        let mut c = context(10, 100);
        let before = c.clone();
        assert!(!fit(&mut c, MAX_CONTEXT_BYTES));
        assert_eq!(c, before);
    }

    #[test]
    fn a_long_transcript_loses_its_middle_behind_a_marker() {
        let mut c = context(100, 1000);
        assert!(fit(&mut c, 20_000));
        assert!(size(&c) <= 20_000, "{}", size(&c));
        let ids: Vec<&str> = c.transcript.iter().map(|t| t.turn_id.as_str()).collect();
        assert_eq!(ids.first(), Some(&"t0"));
        assert_eq!(ids.last(), Some(&"t99"));
        let marker = c
            .transcript
            .iter()
            .find(|t| t.role == Role::System)
            .unwrap();
        let kept = c.transcript.len() - 1;
        assert_eq!(marker.text, format!("[… {} turns left out …]", 100 - kept));
        // What stays is contiguous at both ends.
        let pos = c
            .transcript
            .iter()
            .position(|t| t.role == Role::System)
            .unwrap();
        assert_eq!(c.transcript[pos - 1].turn_id, format!("t{}", pos - 1));
    }

    #[test]
    fn huge_metadata_and_texts_are_cut_until_it_fits() {
        let mut c = context(2, 3 * 1024 * 1024);
        c.metadata = (0..1000)
            .map(|i| (format!("k{i}"), "v".repeat(1000)))
            .collect();
        assert!(fit(&mut c, MAX_CONTEXT_BYTES));
        assert!(size(&c) <= MAX_CONTEXT_BYTES, "{}", size(&c));
        assert!(c.metadata.is_empty());
        assert!(c.transcript[0].text.ends_with('…'));
    }
}
