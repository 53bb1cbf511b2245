//! The lexicon entry type and its compilation into one aho-corasick automaton.
//!
//! Patterns are written in normalized form (see `normalize`), umlauts allowed (they are folded at
//! compile time). A leading `*` lets the pattern end a longer word ("*verspaetung" matches
//! "zugverspaetung"), a trailing `*` lets it start one ("frustrier*"); otherwise the match must sit
//! on word boundaries. Both languages live in one automaton: one pass over the text finds all.

use super::normalize::{fold, is_word_byte};
use crate::domain::{Lang, SignalKind, Stake};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// What a lexicon entry means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cat {
    /// A human agent ("mitarbeiter", "representative"): a request when asked for.
    Human,
    /// A whole request on its own ("talk to someone", "ist da jemand").
    HumanPhrase,
    /// Someone at all ("someone", "jemand", "person"): a request only when asked for ("I need
    /// someone", "kann mich jemand anrufen") or alone as a question ("anyone?"), not in a sentence
    /// about someone ("a story about someone who…", "anyone famous in it?").
    Someone,
    /// A verb or frame that asks for something ("speak to", "verbinden", "i want").
    Ask,
    /// Turns the next few words around ("not", "kein", "never").
    Negator,
    /// "no", "nein", "nope": a negator, and a rejection when it opens the turn.
    No,
    /// "very", "sehr", "total".
    Intensifier,
    /// "a bit", "etwas", "kind of".
    Diminisher,
    /// A negative emotion or abuse with its base intensity.
    Emotion(SignalKind, f32),
    /// Thanks, praise, relief.
    Positive(f32),
    /// Positive word often used ironically ("great", "toll", "super").
    Ironic(f32),
    /// An explicit sarcasm marker ("thanks for nothing", "#ironie", "na toll").
    Sarcasm(f32),
    /// The customer corrects or rejects what the bot understood.
    Repair(f32),
    /// "again", "zum dritten mal": the problem recurs.
    Again(f32),
    /// A high-stakes or advice topic.
    Stake(Stake, f32),
    /// A bot reply admitting failure ("i didn't understand", "leider nicht").
    BotFail(f32),
    /// A polite closing ("that's all", "das wars"): a leading "no" is not a rejection.
    Closing,
    /// A frequent function word of one language, for language detection.
    Mark(Lang),
}

/// One compiled entry.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub cat: Cat,
    /// The lexicon it came from: entries of the other language apply only in mixed turns.
    pub lang: Lang,
    /// Emoji and punctuation: the same in every language.
    pub neutral: bool,
    /// The match may start inside a word.
    pub open_start: bool,
    /// The match may end inside a word.
    pub open_end: bool,
}

/// All lexicons compiled into one automaton.
pub struct Lexicon {
    pub automaton: AhoCorasick,
    pub entries: Vec<Entry>,
}

impl Lexicon {
    pub fn compile(sources: &[(&[(&str, Cat)], Lang)]) -> Lexicon {
        let mut patterns = Vec::new();
        let mut entries = Vec::new();
        for &(source, lang) in sources {
            for &(raw, cat) in source {
                let open_start = raw.starts_with('*');
                let open_end = raw.ends_with('*');
                let core = raw.trim_matches('*');
                patterns.push(fold(core).text);
                entries.push(Entry {
                    cat,
                    lang,
                    neutral: !core.bytes().any(|b| b.is_ascii_alphabetic()),
                    open_start,
                    open_end,
                });
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .expect("lexicon automaton builds");
        Lexicon { automaton, entries }
    }

    /// Every entry found in `text` (normalized) whose word boundaries hold, in start order.
    pub fn scan(&self, text: &str, out: &mut Vec<Found>) {
        let bytes = text.as_bytes();
        for m in self.automaton.find_overlapping_iter(text) {
            let entry = self.entries[m.pattern().as_usize()];
            let (s, e) = (m.start(), m.end());
            let starts_ok = entry.open_start
                || s == 0
                || !is_word_byte(bytes[s - 1])
                || !is_word_byte(bytes[s]);
            let ends_ok = entry.open_end
                || e == bytes.len()
                || !is_word_byte(bytes[e])
                || !is_word_byte(bytes[e - 1]);
            if starts_ok && ends_ok {
                out.push(Found {
                    cat: entry.cat,
                    lang: entry.lang,
                    neutral: entry.neutral,
                    start: s,
                    end: e,
                });
            }
        }
        out.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        // A match inside a longer one of the same kind is the same evidence ("verspaet" inside
        // "verspaetung"): keep the longer.
        let mut kept = 0;
        for i in 0..out.len() {
            let m = out[i];
            let nested = out[..kept].iter().rev().take(8).any(|k| {
                k.start <= m.start
                    && m.end <= k.end
                    && std::mem::discriminant(&k.cat) == std::mem::discriminant(&m.cat)
            });
            if !nested {
                out[kept] = m;
                kept += 1;
            }
        }
        out.truncate(kept);
    }
}

/// One lexicon match in the normalized text.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub cat: Cat,
    pub lang: Lang,
    pub neutral: bool,
    pub start: usize,
    pub end: usize,
}
