//! Folds a turn's text into the form the lexicons are written in: lowercase, German umlauts as
//! `ae/oe/ue`, `ß` as `ss`, typographic apostrophes as `'`, letters repeated three or more times
//! collapsed to one ("sooooo" -> "so"). Keeps a map back to the original byte offsets so evidence
//! quotes the customer's own words.

/// A normalized copy of a text with offsets into the original.
#[derive(Debug, Default)]
pub struct Folded {
    pub text: String,
    /// For every byte of `text`, the byte offset of the original character it came from.
    origin: Vec<u32>,
    /// Letters were stretched ("nooooo", "bitteeee"): a mild intensity cue.
    pub elongated: bool,
}

impl Folded {
    /// The original word(s) behind the normalized byte range `start..end`, widened to whole words
    /// (a match of "frustrat*" quotes "frustrating").
    pub fn original<'a>(&self, source: &'a str, start: usize, end: usize) -> &'a str {
        let bytes = self.text.as_bytes();
        let mut start = start.min(bytes.len());
        let mut end = end.min(bytes.len());
        while start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
            start -= 1;
        }
        while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
            end += 1;
        }
        let from = self.origin.get(start).map_or(source.len(), |&o| o as usize);
        let to = if end >= self.origin.len() {
            source.len()
        } else {
            self.origin[end] as usize
        };
        source.get(from..to.max(from)).unwrap_or("").trim()
    }
}

/// Normalizes `source` (see the module doc).
pub fn fold(source: &str) -> Folded {
    let mut out = Folded {
        text: String::with_capacity(source.len() + 8),
        origin: Vec::with_capacity(source.len() + 8),
        elongated: false,
    };
    let mut last: Option<char> = None;
    let mut run = 0usize;
    for (at, ch) in source.char_indices() {
        // Fast path: ASCII that is not a repeated letter.
        if ch.is_ascii() && !(ch.is_ascii_alphabetic() && Some(ch) == last) && ch != '`' {
            run = 0;
            last = Some(ch);
            let b = match ch {
                '\n' | '\r' | '\t' => b' ',
                c => c.to_ascii_lowercase() as u8,
            };
            out.origin.push(at as u32);
            out.text.push(b as char);
            continue;
        }
        let at = at as u32;
        let push = |s: &str, out: &mut Folded| {
            for b in 0..s.len() {
                let _ = b;
                out.origin.push(at);
            }
            out.text.push_str(s);
        };
        if Some(ch) == last && ch.is_alphabetic() {
            run += 1;
            if run >= 2 {
                // Third and later copies of the same letter: drop, and drop the second copy too.
                if run == 2 {
                    let second = out.text.pop();
                    if let Some(c) = second {
                        for _ in 0..c.len_utf8() {
                            out.origin.pop();
                        }
                    }
                    out.elongated = true;
                }
                continue;
            }
        } else {
            run = 0;
        }
        last = Some(ch);
        match ch {
            'ä' | 'Ä' => push("ae", &mut out),
            'ö' | 'Ö' => push("oe", &mut out),
            'ü' | 'Ü' => push("ue", &mut out),
            'ß' | 'ẞ' => push("ss", &mut out),
            '\u{2019}' | '\u{2018}' | '`' | '´' => push("'", &mut out),
            '\n' | '\r' | '\t' => push(" ", &mut out),
            c if c.is_ascii() => {
                let mut buf = [0u8; 4];
                push(c.to_ascii_lowercase().encode_utf8(&mut buf), &mut out);
            }
            c => {
                for l in c.to_lowercase() {
                    let mut buf = [0u8; 4];
                    push(l.encode_utf8(&mut buf), &mut out);
                }
            }
        }
    }
    out
}

/// True for bytes that continue a word (letters, digits, apostrophes inside words).
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}
