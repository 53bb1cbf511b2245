//! The lexicon entry type and its compilation into one aho-corasick automaton.
//!
//! Patterns are written in normalized form (see `normalize`), umlauts allowed (they are folded at
//! compile time). A leading `*` lets the pattern end a longer word ("*verspaetung" matches
//! "zugverspaetung"), a trailing `*` lets it start one ("frustrier*"); otherwise the match must sit
//! on word boundaries. Both languages live in one automaton: one pass over the text finds all.

use super::normalize::{fold, is_word_byte};
use crate::domain::{Lang, SignalKind, Stake};

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
    /// A phrase in which a person noun means something else ("travel agent", "cleaning agent",
    /// "human resources", "Steuerberater", "per person"): a person match inside it is no person.
    NotPerson,
    /// The machine ("bot", "chatbot", "Roboter"): refused ("not a bot", "kein Bot") it asks for
    /// a person.
    Bot,
    /// A frame that turns the machine down ("tired of", "rather than", "statt", "genug von").
    Refuse,
    /// Something other than the service that customers judge in passing ("film", "Wetter", "my
    /// old phone"): negative words about it are no complaint.
    Elsewhere,
    /// Long ago ("years ago", "letzten Winter", "damals"): a high stake mentioned in passing.
    Distant,
    /// Reported or past speech ("told me", "said", "last week", "gesagt", "telefoniert"): a person
    /// mentioned in the same clause is a past contact, not a request.
    Past,
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
    pub automaton: Automaton,
    pub entries: Vec<Entry>,
}

/// A dense DFA over all patterns with classic aho-corasick semantics (every pattern that ends at
/// a position is reported there), built once from aho-corasick's NFA and stepped byte by byte in
/// `Lexicon::scan`. Own layout: states in breadth-first order (the busy shallow states share
/// cache lines), match states first, transitions as row offsets.
pub struct Automaton {
    /// Byte -> column; bytes in no pattern share one.
    classes: [u8; 256],
    /// Columns per state.
    stride: u32,
    /// `ceil(2^40 / stride)`: turns a row offset back into a state number without dividing.
    reciprocal: u64,
    /// `trans[row + class]`: the row offset (state number * stride) of the next state.
    trans: Vec<u32>,
    /// The row offset of the start state.
    start: u32,
    /// Row offsets below this are match states.
    match_limit: u32,
    /// Match state k ends the patterns `ends[bounds[k]..bounds[k + 1]]`.
    bounds: Vec<u32>,
    ends: Vec<PatternEnd>,
    /// The longest pattern, in bytes.
    max_len: usize,
}

/// A pattern that ends in some match state.
#[derive(Debug, Clone, Copy)]
struct PatternEnd {
    entry: u32,
    len: u32,
    open_start: bool,
    open_end: bool,
}

impl Automaton {
    /// Heap bytes of the transition table and match lists.
    pub fn memory_usage(&self) -> usize {
        self.trans.len() * std::mem::size_of::<u32>()
            + self.bounds.len() * std::mem::size_of::<u32>()
            + self.ends.len() * std::mem::size_of::<PatternEnd>()
    }

    /// The textbook construction: a trie of the patterns, failure links in breadth-first order,
    /// every missing transition taken from the failure state, and every state's matches its own
    /// (in pattern order) followed by its failure state's (as aho-corasick orders them).
    fn build(patterns: &[String], entries: &[Entry]) -> Automaton {
        const NONE: u32 = u32::MAX;
        // One column per byte that occurs in a pattern, one for all others.
        let mut used = [false; 256];
        for p in patterns {
            for b in p.bytes() {
                used[usize::from(b)] = true;
            }
        }
        let mut classes = [0u8; 256];
        let mut columns = usize::from(used.iter().any(|u| !u));
        for b in 0..256 {
            if used[b] {
                classes[b] = columns as u8;
                columns += 1;
            }
        }
        let stride = columns;
        // The trie; state 0 is the start.
        let mut trans: Vec<u32> = vec![NONE; stride];
        let mut own: Vec<Vec<u32>> = vec![Vec::new()];
        for (pid, p) in patterns.iter().enumerate() {
            let mut state = 0usize;
            for b in p.bytes() {
                let slot = state * stride + usize::from(classes[usize::from(b)]);
                if trans[slot] == NONE {
                    trans[slot] = own.len() as u32;
                    own.push(Vec::new());
                    trans.resize(own.len() * stride, NONE);
                }
                state = trans[slot] as usize;
            }
            own[state].push(pid as u32);
        }
        // Failure links and the missing transitions, shallow states first.
        let states = own.len();
        let mut fail = vec![0u32; states];
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); states];
        let mut order: Vec<u32> = Vec::with_capacity(states);
        order.push(0);
        let mut at = 0;
        while at < order.len() {
            let s = order[at] as usize;
            at += 1;
            for c in 0..stride {
                let via_fail = if s == 0 {
                    0
                } else {
                    trans[fail[s] as usize * stride + c]
                };
                let t = trans[s * stride + c];
                if t == NONE {
                    trans[s * stride + c] = via_fail;
                } else {
                    let t = t as usize;
                    fail[t] = via_fail;
                    let mut list = own[t].clone();
                    list.extend_from_slice(&lists[via_fail as usize]);
                    lists[t] = list;
                    order.push(t as u32);
                }
            }
        }
        // Renumber: match states first, each group in breadth-first order.
        let (matching, other): (Vec<u32>, Vec<u32>) =
            order.iter().partition(|&&s| !lists[s as usize].is_empty());
        let mut renumber = vec![0u32; states];
        for (new, &old) in matching.iter().chain(&other).enumerate() {
            renumber[old as usize] = new as u32;
        }
        let mut table = vec![0u32; states * stride];
        for (old, row) in trans.chunks(stride).enumerate() {
            let base = renumber[old] as usize * stride;
            for (c, &to) in row.iter().enumerate() {
                table[base + c] = renumber[to as usize] * stride as u32;
            }
        }
        let mut bounds = vec![0u32];
        let mut ends = Vec::new();
        for &old in &matching {
            for &pid in &lists[old as usize] {
                let entry = &entries[pid as usize];
                ends.push(PatternEnd {
                    entry: pid,
                    len: patterns[pid as usize].len() as u32,
                    open_start: entry.open_start,
                    open_end: entry.open_end,
                });
            }
            bounds.push(ends.len() as u32);
        }
        Automaton {
            classes,
            stride: stride as u32,
            reciprocal: (1u64 << 40).div_ceil(stride as u64),
            trans: table,
            start: renumber[0] * stride as u32,
            match_limit: (matching.len() * stride) as u32,
            bounds,
            ends,
            max_len: patterns.iter().map(String::len).max().unwrap_or(0),
        }
    }

    /// One step.
    #[inline(always)]
    fn next(&self, row: u32, byte: u8) -> u32 {
        self.trans[(row + u32::from(self.classes[usize::from(byte)])) as usize]
    }

    /// The patterns that end in the match state at `row`.
    fn ends_at(&self, row: u32) -> &[PatternEnd] {
        let k = ((u64::from(row) * self.reciprocal) >> 40) as usize;
        debug_assert_eq!(k as u32 * self.stride, row);
        &self.ends[self.bounds[k] as usize..self.bounds[k + 1] as usize]
    }

    /// Every position where a match state is reached, as `(end, row)`, in no particular order
    /// (`Lexicon::scan` sorts what it finds; two matches with the same span come from the same
    /// event, in match-list order). Longer texts are cut into pieces scanned in lock step, each
    /// piece starting one pattern length early so it is in the right state where its part
    /// begins: independent chains of table look-ups keep the CPU busy while each waits on memory.
    #[inline(never)]
    fn events(&self, bytes: &[u8], events: &mut Events) {
        let n = bytes.len();
        let reach = self.max_len;
        if n >= 4 * reach + 64 {
            self.events_in::<4>(bytes, events);
        } else if n >= 2 * reach + 32 {
            self.events_in::<2>(bytes, events);
        } else {
            self.events_in::<1>(bytes, events);
        }
    }

    /// `events` with the text cut into `N` pieces.
    #[inline(always)]
    fn events_in<const N: usize>(&self, bytes: &[u8], events: &mut Events) {
        let n = bytes.len();
        let reach = self.max_len;
        // Each piece takes `steps` bytes; piece j > 0 owns the ends after `owns[j]` and starts
        // `reach` bytes before that.
        let steps = if N == 1 {
            n
        } else {
            (n + (N - 1) * reach).div_ceil(N)
        };
        let mut owns = [0usize; N];
        let mut at = [0usize; N];
        for j in 1..N {
            owns[j] = steps + (j - 1) * (steps - reach);
            at[j] = owns[j] - reach;
        }
        let mut rows = [self.start; N];
        // The last piece may run out of text first.
        let together = steps.min(n - at[N - 1]);
        for k in 0..together {
            for j in 0..N {
                let i = at[j] + k;
                rows[j] = self.next(rows[j], bytes[i]);
                if rows[j] < self.match_limit && i + 1 > owns[j] {
                    events.push(i + 1, rows[j]);
                }
            }
        }
        for j in 0..N {
            let rest = at[j] + together..(at[j] + steps).min(n);
            for (i, &b) in bytes.iter().enumerate().take(rest.end).skip(rest.start) {
                rows[j] = self.next(rows[j], b);
                if rows[j] < self.match_limit && i + 1 > owns[j] {
                    events.push(i + 1, rows[j]);
                }
            }
        }
    }
}

/// Match events of one scan, on the stack unless there are very many.
struct Events {
    inline: [(u32, u32); 128],
    len: usize,
    spill: Vec<(u32, u32)>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            inline: [(0, 0); 128],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl Events {
    #[inline(always)]
    fn push(&mut self, end: usize, row: u32) {
        if self.len < self.inline.len() {
            self.inline[self.len] = (end as u32, row);
            self.len += 1;
        } else {
            self.spill.push((end as u32, row));
        }
    }

    fn iter(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.inline[..self.len]
            .iter()
            .chain(&self.spill)
            .map(|&(end, row)| (end as usize, row))
    }
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
        // An empty pattern would match everywhere; the automaton reports matches only on bytes.
        assert!(
            patterns.iter().all(|p| !p.is_empty()),
            "empty lexicon pattern"
        );
        let automaton = Automaton::build(&patterns, &entries);
        Lexicon { automaton, entries }
    }

    /// Every entry found in `text` (normalized) whose word boundaries hold, in start order.
    /// Language markers are counted, not kept: returns how many German and English ones matched.
    pub fn scan(&self, text: &str, out: &mut Vec<Found>) -> (usize, usize) {
        let bytes = text.as_bytes();
        let automaton = &self.automaton;
        let mut events = Events::default();
        automaton.events(bytes, &mut events);
        // Every pattern ending at every position, in the order of the match lists (the order
        // aho-corasick's overlapping search reports them in).
        for (e, row) in events.iter() {
            // The match ends inside a word when the next byte continues it.
            let ends_inside =
                e < bytes.len() && is_word_byte(bytes[e]) & is_word_byte(bytes[e - 1]);
            for end in automaton.ends_at(row) {
                if ends_inside && !end.open_end {
                    continue;
                }
                let s = e - end.len as usize;
                let starts_inside = s > 0 && is_word_byte(bytes[s - 1]) & is_word_byte(bytes[s]);
                if end.open_start || !starts_inside {
                    let entry = &self.entries[end.entry as usize];
                    out.push(Found {
                        cat: entry.cat,
                        lang: entry.lang,
                        neutral: entry.neutral,
                        start: s,
                        end: e,
                    });
                }
            }
        }
        out.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
        // A match inside a longer one of the same kind is the same evidence ("verspaet" inside
        // "verspaetung"): keep the longer.
        let mut kept = 0usize;
        for i in 0..out.len() {
            let m = out[i];
            // Among the last 8 kept (no branches: the compiler unrolls this).
            let kind = std::mem::discriminant(&m.cat);
            let nested = out[kept.saturating_sub(8)..kept]
                .iter()
                .fold(false, |any, k| {
                    any | ((k.start <= m.start)
                        & (m.end <= k.end)
                        & (std::mem::discriminant(&k.cat) == kind))
                });
            if !nested {
                out[kept] = m;
                kept += 1;
            }
        }
        out.truncate(kept);
        let (mut de, mut en) = (0, 0);
        out.retain(|m| match m.cat {
            Cat::Mark(Lang::De) => {
                de += 1;
                false
            }
            Cat::Mark(Lang::En) => {
                en += 1;
                false
            }
            _ => true,
        });
        (de, en)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{lexicon_de, lexicon_en};
    use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};

    /// `scan` as it was written over aho-corasick's overlapping search.
    fn reference(
        lexicon: &Lexicon,
        automaton: &aho_corasick::AhoCorasick,
        text: &str,
    ) -> (Vec<Found>, (usize, usize)) {
        let bytes = text.as_bytes();
        let mut out: Vec<Found> = Vec::new();
        for m in automaton.find_overlapping_iter(text) {
            let entry = lexicon.entries[m.pattern().as_usize()];
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
        let de = out.iter().filter(|m| m.cat == Cat::Mark(Lang::De)).count();
        let en = out.iter().filter(|m| m.cat == Cat::Mark(Lang::En)).count();
        out.retain(|m| !matches!(m.cat, Cat::Mark(_)));
        (out, (de, en))
    }

    fn key(f: &Found) -> String {
        format!(
            "{:?} {:?} {} {}..{}",
            f.cat, f.lang, f.neutral, f.start, f.end
        )
    }

    #[test]
    fn scan_agrees_with_overlapping_aho_corasick() {
        let sources: &[(&[(&str, Cat)], Lang)] =
            &[(lexicon_en::EN, Lang::En), (lexicon_de::DE, Lang::De)];
        let lexicon = Lexicon::compile(sources);
        let patterns: Vec<String> = sources
            .iter()
            .flat_map(|(s, _)| s.iter().map(|(raw, _)| fold(raw.trim_matches('*')).text))
            .collect();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .expect("builds");
        // Every pattern between spaces, and run together (matches inside words), cut into
        // texts of many lengths (one, two and four scanning pieces).
        let spaced = patterns.join(" ");
        let packed = patterns.concat();
        let mut texts: Vec<String> =
            vec![
            fold("Das ist jetzt schon das dritte Mal!! Ich will sofort einen Mitarbeiter sprechen.")
                .text,
            fold("no no no, that's NOT what I asked for... can I talk to a real person please?")
                .text,
        ];
        for whole in [&spaced, &packed] {
            for len in [7, 90, 200, 1000] {
                let mut start = 0;
                while start < whole.len() {
                    let mut end = (start + len).min(whole.len());
                    while !whole.is_char_boundary(end) {
                        end += 1;
                    }
                    texts.push(whole[start..end].to_string());
                    start = end;
                }
            }
        }
        for text in &texts {
            let mut found = Vec::new();
            let counts = lexicon.scan(text, &mut found);
            let (expected, expected_counts) = reference(&lexicon, &automaton, text);
            assert_eq!(counts, expected_counts, "{text:?}");
            let got: Vec<String> = found.iter().map(key).collect();
            let want: Vec<String> = expected.iter().map(key).collect();
            assert_eq!(got, want, "{text:?}");
        }
    }
}
