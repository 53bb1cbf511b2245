//! Signals that need the conversation so far: the customer repeating a request, the bot repeating
//! its reply (a loop), and a bot reply that ignores what the customer just said.

use crate::domain::{Role, TurnRecord};
use std::sync::{Arc, OnceLock};

/// Words too common to show that two turns are about the same thing.
const STOP: &[&str] = &[
    "the", "and", "you", "your", "for", "that", "this", "with", "have", "are", "was", "what",
    "can", "not", "but", "all", "any", "how", "its", "it's", "i'm", "yes", "she", "him", "her",
    "they", "them", "there", "then", "than", "from", "will", "would", "could", "about", "just",
    "like", "know", "think", "really", "yeah", "okay", "well", "one", "get", "got", "did", "does",
    "don't", "too", "also", "some", "out", "who", "why", "when", "where", "which", "been", "were",
    "very", "much", "more", "good", "great", "sure", "thanks", "thank", "please", "want", "need",
    "der", "die", "das", "und", "ich", "sie", "ist", "nicht", "mit", "ein", "eine", "einen", "den",
    "dem", "des", "auf", "für", "von", "bitte", "danke", "auch", "noch", "mein", "meine", "wie",
    "was", "hab", "habe", "kann", "ja", "nein", "aber", "oder", "wenn", "dass", "schon", "mal",
];

/// Hashes of the stop words, sorted, computed once.
fn stop_hashes() -> &'static [u64] {
    static STOP_HASHES: OnceLock<Vec<u64>> = OnceLock::new();
    STOP_HASHES.get_or_init(|| {
        let mut v: Vec<u64> = STOP.iter().map(|w| hash(w.as_bytes())).collect();
        v.sort_unstable();
        v
    })
}

/// Hashes of a text's content words (three letters or more, not stop words), sorted and
/// deduplicated. Lowercases ASCII on the fly and hashes as it goes: no allocation per word, one
/// for the result.
pub fn content(text: &str) -> Vec<u64> {
    /// Bytes hashed per word; longer words are told apart by their beginning.
    const HASHED: usize = 48;
    let stop = stop_hashes();
    let bytes = text.as_bytes();
    // A word takes at least three bytes and a separator.
    let mut out: Vec<u64> = Vec::with_capacity(bytes.len() / 4 + 1);
    // The hash of the word so far, of the word without its last byte, and that last byte.
    let (mut h, mut h_stem, mut last) = (FNV_OFFSET, FNV_OFFSET, 0u8);
    let mut len = 0usize;
    let mut letters = 0usize;
    let mut flush = |h: u64, h_stem: u64, last: u8, letters: usize| {
        if letters >= 3 && stop.binary_search(&h).is_err() {
            // Light stemming: "tickets" and "ticket" are the same request.
            out.push(if last == b's' { h_stem } else { h });
        }
    };
    for &b in bytes {
        // ASCII is lowercased here; other bytes (umlauts, accents) are kept as they are, which is
        // enough to tell words apart.
        let lower = WORD_LOWER[usize::from(b)];
        if lower != 0 {
            if len < HASHED {
                h_stem = h;
                h = fnv_step(h, lower);
                last = lower;
                len += 1;
            }
            // Count characters, not UTF-8 continuation bytes.
            letters += usize::from(b & 0xC0 != 0x80);
        } else if len > 0 {
            flush(h, h_stem, last, letters);
            (h, h_stem, last, len, letters) = (FNV_OFFSET, FNV_OFFSET, 0, 0, 0);
        }
    }
    if len > 0 {
        flush(h, h_stem, last, letters);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Bytes of a word (letters, digits, apostrophes, anything outside ASCII) lowercased; 0 for the
/// bytes between words.
static WORD_LOWER: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'\'' || b >= 0x80 {
            t[i] = b.to_ascii_lowercase();
        }
        i += 1;
    }
    t
};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

#[inline(always)]
fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
}

fn hash(word: &[u8]) -> u64 {
    word.iter().fold(FNV_OFFSET, |h, &b| fnv_step(h, b))
}

/// Shared words of two sorted sets.
pub fn shared(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Jaccard similarity of two sorted sets.
pub fn similarity(a: &[u64], b: &[u64]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let s = shared(a, b);
    s as f32 / (a.len() + b.len() - s) as f32
}

/// The earlier turn of `role` (among the last `window` of that role) most like `words`.
pub fn most_similar<'a>(
    words: &[u64],
    history: &'a [Arc<TurnRecord>],
    role: Role,
    window: usize,
) -> Option<(f32, &'a TurnRecord)> {
    history
        .iter()
        .rev()
        .filter(|r| r.role == role)
        .take(window)
        .map(|r| (similarity(words, &content(&r.text)), &**r))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}
