//! The learned turn model: a logistic regression over hashed binary features of the turn, the
//! turns before it and the rule signals, with one decision threshold per head (customer or bot
//! turn, German or English).
//!
//! The rules name what they see (a request for a human, sarcasm, a loop); the model weighs the
//! weak evidence the rules leave alone: a customer who answers a recommendation with "never seen
//! it, anything else?", a bot reply that shares no words with the question it answers. Weights are
//! learned by `escalation-router train` (see `crate::learn`) from labelled conversations and
//! shipped in `models/turn-model.bin`; `features` is the one definition of the inputs, used by
//! training and by `Detector::detect` alike.

use crate::domain::{Lang, Role, Signals, TurnRecord};
use std::fmt;
use std::sync::Arc;

/// The model shipped with the binary (trained on the dev conversations by `train`).
pub static BUILTIN: &[u8] = include_bytes!("../../models/turn-model.bin");

const MAGIC: &[u8; 4] = b"ERM1";

/// One decision head: which turns it scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    CustomerEn = 0,
    CustomerDe = 1,
    BotEn = 2,
    BotDe = 3,
}

impl Head {
    pub const ALL: [Head; 4] = [Head::CustomerEn, Head::CustomerDe, Head::BotEn, Head::BotDe];

    pub fn of(role: Role, lang: Lang) -> Option<Head> {
        match (role, lang) {
            (Role::Customer, Lang::En) => Some(Head::CustomerEn),
            (Role::Customer, Lang::De) => Some(Head::CustomerDe),
            (Role::Bot, Lang::En) => Some(Head::BotEn),
            (Role::Bot, Lang::De) => Some(Head::BotDe),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Head::CustomerEn => "customer/en",
            Head::CustomerDe => "customer/de",
            Head::BotEn => "bot/en",
            Head::BotDe => "bot/de",
        }
    }
}

/// Weights over `1 << bits` hashed features and a threshold per head (NaN: the head has no
/// training data and stays silent, so the rules decide alone).
#[derive(Clone, PartialEq)]
pub struct Model {
    bits: u32,
    weights: Vec<f32>,
    pub thresholds: [f32; 4],
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Model")
            .field("bits", &self.bits)
            .field("nonzero", &self.nonzero())
            .field("thresholds", &self.thresholds)
            .finish()
    }
}

/// The model's reading of one turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Learned {
    /// Probability that the turn shows a problem.
    pub p: f32,
    /// `p` reached the head's threshold.
    pub alert: bool,
    /// When it alerts: byte ranges in the turn's text of the (up to three) words that weighed
    /// most toward a problem, as the evidence its reason quotes.
    pub evidence: [Option<(u32, u32)>; 3],
}

impl Model {
    pub fn new(bits: u32, weights: Vec<f32>, thresholds: [f32; 4]) -> Model {
        assert_eq!(weights.len(), 1 << bits, "one weight per hashed feature");
        Model {
            bits,
            weights,
            thresholds,
        }
    }

    pub fn bits(&self) -> u32 {
        self.bits
    }

    pub fn nonzero(&self) -> usize {
        self.weights.iter().filter(|w| **w != 0.0).count()
    }

    pub fn memory_usage(&self) -> usize {
        self.weights.len() * std::mem::size_of::<f32>()
    }

    /// Probability for a feature set from `features`.
    pub fn probability(&self, features: &[u64]) -> f32 {
        let mask = (1u64 << self.bits) - 1;
        let z: f32 = features
            .iter()
            .map(|&h| self.weights[(h & mask) as usize])
            .sum();
        sigmoid(z)
    }

    pub fn read(&self, head: Head, features: &[u64]) -> Option<Learned> {
        let threshold = self.thresholds[head as usize];
        if threshold.is_nan() {
            return None;
        }
        let p = self.probability(features);
        Some(Learned {
            p,
            alert: p >= threshold,
            evidence: [None; 3],
        })
    }

    /// The (up to three) words of `text` whose own weights push most toward a problem, as byte
    /// ranges, strongest first.
    pub fn evidence(&self, role: Role, text: &str) -> [Option<(u32, u32)>; 3] {
        let mut best: [(f32, u32, u32); 3] = [(0.0, 0, 0); 3];
        let Some(r) = role_bits(role) else {
            return [None; 3];
        };
        let mask = (1u64 << self.bits) - 1;
        let base = mix(r | ns::WORD);
        each_token(text, |h, start, end| {
            let w = self.weights[(mix(base ^ h) & mask) as usize];
            // The same word again has the same weight: quoted once.
            if w > best[2].0 && !best.iter().any(|b| b.0 == w) {
                let entry = (w, start as u32, end as u32);
                if w > best[0].0 {
                    best = [entry, best[0], best[1]];
                } else if w > best[1].0 {
                    best = [best[0], entry, best[1]];
                } else {
                    best[2] = entry;
                }
            }
        });
        best.map(|(w, s, e)| (w > 0.0).then_some((s, e)))
    }

    /// Sparse little-endian encoding: magic, bits, four thresholds, count, (index, weight)*.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.nonzero() * 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.bits.to_le_bytes());
        for t in self.thresholds {
            out.extend_from_slice(&t.to_le_bytes());
        }
        out.extend_from_slice(&(self.nonzero() as u32).to_le_bytes());
        for (i, w) in self.weights.iter().enumerate().filter(|(_, w)| **w != 0.0) {
            out.extend_from_slice(&(i as u32).to_le_bytes());
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], ModelError> {
            let s = bytes.get(at..at + n).ok_or(ModelError::Truncated(at))?;
            at += n;
            Ok(s)
        };
        if take(4)? != MAGIC {
            return Err(ModelError::BadMagic);
        }
        let u32_at = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        let bits = u32_at(take(4)?);
        if !(10..=24).contains(&bits) {
            return Err(ModelError::Bits(bits));
        }
        let mut thresholds = [f32::NAN; 4];
        for t in &mut thresholds {
            *t = f32::from_bits(u32_at(take(4)?));
        }
        let count = u32_at(take(4)?) as usize;
        let mut weights = vec![0.0f32; 1 << bits];
        for _ in 0..count {
            let i = u32_at(take(4)?) as usize;
            let w = f32::from_bits(u32_at(take(4)?));
            *weights.get_mut(i).ok_or(ModelError::Index(i))? = w;
        }
        Ok(Model {
            bits,
            weights,
            thresholds,
        })
    }
}

/// Why bytes are not a model file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not a model file (bad magic)")]
    BadMagic,
    #[error("model file truncated at byte {0}")]
    Truncated(usize),
    #[error("model bits {0} out of range 10..=24")]
    Bits(u32),
    #[error("weight index {0} out of range")]
    Index(usize),
}

pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

// ---- features ----

/// Namespaces keep the same word apart in different roles ("no" from the customer, "no" from
/// the bot).
mod ns {
    pub const BIAS: u64 = 1;
    pub const WORD: u64 = 2;
    pub const PAIR: u64 = 3;
    pub const FIRST: u64 = 4;
    pub const SHAPE: u64 = 5;
    pub const OTHER_WORD: u64 = 6;
    pub const OTHER_SIGNAL: u64 = 7;
    pub const OWN_SIGNAL: u64 = 8;
    pub const SIGNAL: u64 = 9;
    pub const POSITION: u64 = 10;
    pub const OWN_WORD: u64 = 11;
    pub const CROSS: u64 = 12;
    pub const OVERLAP: u64 = 13;
    pub const ECHO: u64 = 14;
    pub const SCORE: u64 = 15;
}

/// The hashed features of one turn: what it says, what came right before it, and what the rules
/// found. `history` is the conversation before the turn, oldest first, as the engine keeps it.
pub fn features(
    role: Role,
    text: &str,
    history: &[Arc<TurnRecord>],
    signals: &Signals,
    out: &mut Vec<u64>,
) {
    out.clear();
    let Some(r) = role_bits(role) else {
        return;
    };
    let lang = match signals.language {
        Lang::En => 0u64,
        Lang::De => 1,
    };
    // `key(r, space, value)`, with the namespace half mixed once per call, not once per feature.
    let bases: [u64; 16] = std::array::from_fn(|space| mix(r | space as u64));
    let key = |space: u64, value: u64| mix(bases[space as usize] ^ value);
    out.push(key(ns::BIAS, lang));

    let words = tokens(text);
    push_words(&words, |s, v| out.push(key(s, v)));
    let questions = text.contains('?');
    out.push(key(ns::SHAPE, 10 + u64::from(questions)));
    out.push(key(ns::SHAPE, 20 + u64::from(text.contains('!'))));
    out.push(key(ns::SHAPE, 30 + length_bin(words.len())));

    for h in &signals.hits {
        out.push(key(ns::SIGNAL, hash_str(h.kind.label())));
    }
    let e = &signals.emotion;
    out.push(key(ns::SCORE, 100 + bin(e.negative())));
    out.push(key(ns::SCORE, 200 + bin(e.positive)));
    out.push(key(ns::SCORE, 300 + bin(signals.failure)));

    // The turn before, of the other side, and the same side's last turn.
    let (mine, theirs) = match role {
        Role::Customer => (Role::Customer, Role::Bot),
        _ => (Role::Bot, Role::Customer),
    };
    let before = history.last();
    let other = history
        .iter()
        .rev()
        .take_while(|t| t.role != mine)
        .find(|t| t.role == theirs);
    let own_turns = history.iter().filter(|t| t.role == mine).count();
    out.push(key(ns::POSITION, position_bin(own_turns)));
    out.push(key(
        ns::SHAPE,
        40 + u64::from(before.is_some_and(|b| b.role == mine)),
    ));
    if let Some(o) = other {
        let theirs_words = tokens(&o.text);
        for &w in &theirs_words {
            out.push(key(ns::OTHER_WORD, w));
        }
        for label in &o.signals {
            out.push(key(ns::OTHER_SIGNAL, hash_str(label)));
        }
        out.push(key(ns::SHAPE, 50 + u64::from(o.text.contains('?'))));
        out.push(key(ns::SHAPE, 60 + length_bin(theirs_words.len())));
        // The reply's first word against the other side's first word ("what" -> "yes").
        if let (Some(a), Some(b)) = (theirs_words.first(), words.first()) {
            out.push(key(ns::CROSS, mix(*a) ^ *b));
        }
        out.push(key(
            ns::CROSS,
            1 + u64::from(o.text.contains('?')) * 2 + u64::from(questions),
        ));
        out.push(key(ns::OVERLAP, overlap_bin(&words, &theirs_words)));
    } else {
        out.push(key(ns::SHAPE, 70));
    }
    if let Some(last) = history.iter().rev().find(|t| t.role == mine) {
        for label in &last.signals {
            out.push(key(ns::OWN_SIGNAL, hash_str(label)));
        }
        out.push(key(ns::SCORE, 400 + bin(last.negative)));
        out.push(key(ns::SCORE, 500 + bin(last.escalation)));
        let last_words = tokens(&last.text);
        out.push(key(ns::ECHO, overlap_bin(&words, &last_words)));
        if role == Role::Customer {
            for &w in last_words.iter().take(3) {
                out.push(key(ns::OWN_WORD, w));
            }
        }
    }
}

fn role_bits(role: Role) -> Option<u64> {
    match role {
        Role::Customer => Some(0x100),
        Role::Bot => Some(0x200),
        _ => None,
    }
}

/// Unigrams, bigrams and the opening word.
fn push_words(words: &[u64], mut push: impl FnMut(u64, u64)) {
    for (i, &w) in words.iter().enumerate() {
        push(ns::WORD, w);
        if i > 0 {
            push(ns::PAIR, mix(words[i - 1]) ^ w);
        }
    }
    if let Some(&w) = words.first() {
        push(ns::FIRST, w);
    }
}

/// Word hashes of a text: letters and digits lowercased, umlauts as ae/oe/ue and ß as ss (so
/// "Rückerstattung" and "Rueckerstattung" are one word); every emoji or other symbol is a word.
pub fn tokens(text: &str) -> Vec<u64> {
    let mut out = Vec::with_capacity(text.len() / 5 + 1);
    each_token(text, |h, _, _| out.push(h));
    out
}

/// Calls `f(hash, start, end)` for every word of `text` (see `tokens`), with its byte range.
/// ASCII bytes take a fast path; other characters are decoded one by one.
fn each_token(text: &str, mut f: impl FnMut(u64, usize, usize)) {
    let bytes = text.as_bytes();
    let mut h = FNV_OFFSET;
    let mut start: Option<usize> = None;
    let feed = |h: &mut u64, b: u8| {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(FNV_PRIME);
    };
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        if b.is_ascii() {
            if b.is_ascii_alphanumeric() {
                feed(&mut h, b.to_ascii_lowercase());
                start.get_or_insert(at);
            } else if b == b'\'' && start.is_some() {
                // An apostrophe inside a word is dropped ("don't" is "dont").
            } else if let Some(s) = start.take() {
                f(h, s, at);
                h = FNV_OFFSET;
            }
            at += 1;
            continue;
        }
        let Some(ch) = text[at..].chars().next() else {
            break;
        };
        if ch.is_alphabetic() {
            let folded: &[u8] = match ch {
                'ä' | 'Ä' => b"ae",
                'ö' | 'Ö' => b"oe",
                'ü' | 'Ü' => b"ue",
                'ß' => b"ss",
                _ => &[],
            };
            if folded.is_empty() {
                for l in ch.to_lowercase() {
                    let mut buf = [0u8; 4];
                    for &b in l.encode_utf8(&mut buf).as_bytes() {
                        feed(&mut h, b);
                    }
                }
            } else {
                for &b in folded {
                    feed(&mut h, b);
                }
            }
            start.get_or_insert(at);
        } else {
            if let Some(s) = start.take() {
                f(h, s, at);
                h = FNV_OFFSET;
            }
            if !ch.is_whitespace() {
                f(mix(u64::from(ch)), at, at + ch.len_utf8());
            }
        }
        at += ch.len_utf8();
    }
    if let Some(s) = start {
        f(h, s, text.len());
    }
}

/// Share of this turn's words found in the other turn, binned (0: none … 4: most).
fn overlap_bin(a: &[u64], b: &[u64]) -> u64 {
    if a.is_empty() || b.is_empty() {
        return 9;
    }
    let shared = a.iter().filter(|w| b.contains(w)).count();
    let share = shared as f32 / a.len() as f32;
    1 + bin(share)
}

fn bin(x: f32) -> u64 {
    match x {
        x if x <= 0.0 => 0,
        x if x < 0.2 => 1,
        x if x < 0.4 => 2,
        x if x < 0.6 => 3,
        x if x < 0.8 => 4,
        _ => 5,
    }
}

fn length_bin(n: usize) -> u64 {
    match n {
        0 => 0,
        1 => 1,
        2 => 2,
        3..=4 => 3,
        5..=8 => 4,
        9..=16 => 5,
        17..=32 => 6,
        _ => 7,
    }
}

fn position_bin(n: usize) -> u64 {
    match n {
        0..=3 => n as u64,
        4..=5 => 4,
        6..=8 => 5,
        9..=12 => 6,
        _ => 7,
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

pub fn hash_str(s: &str) -> u64 {
    s.bytes().fold(FNV_OFFSET, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

/// splitmix64 finalizer: spreads a hash over all bits, so the low bits index the weights.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umlauts_and_their_spellings_are_one_word() {
        assert_eq!(tokens("Rückerstattung"), tokens("rueckerstattung"));
        assert_eq!(tokens("Straße"), tokens("STRASSE"));
        assert_ne!(tokens("Rückerstattung"), tokens("Ruckerstattung"));
    }

    #[test]
    fn words_split_on_punctuation_and_emoji_are_words() {
        assert_eq!(tokens("no, I said Monday!").len(), 4);
        assert_eq!(tokens("don't").len(), 1);
        assert_eq!(tokens("toll 🙄").len(), 2);
    }

    #[test]
    fn model_round_trips_through_its_encoding() {
        let mut weights = vec![0.0; 1 << 10];
        weights[3] = 0.5;
        weights[1000] = -1.25;
        let m = Model::new(10, weights, [0.3, 0.4, f32::NAN, 0.5]);
        let back = Model::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.weights, m.weights);
        assert_eq!(back.thresholds[0], 0.3);
        assert!(back.thresholds[2].is_nan());
        assert!(Model::from_bytes(b"ERM1").is_err());
        assert!(Model::from_bytes(b"nope").is_err());
    }

    #[test]
    fn a_head_without_a_threshold_stays_silent() {
        let m = Model::new(10, vec![1.0; 1 << 10], [0.5, f32::NAN, 0.5, 0.5]);
        assert!(m.read(Head::CustomerDe, &[1, 2]).is_none());
        let l = m.read(Head::CustomerEn, &[1, 2]).unwrap();
        assert!(l.alert && l.p > 0.8);
    }

    #[test]
    fn the_builtin_model_loads() {
        let m = Model::from_bytes(BUILTIN).expect("models/turn-model.bin");
        assert!(m.nonzero() > 1000, "{m:?}");
    }
}
