//! Folds a turn's text into the form the lexicons are written in: lowercase, German umlauts as
//! `ae/oe/ue`, `ß` as `ss`, typographic apostrophes as `'`, letters repeated three or more times
//! collapsed to one ("sooooo" -> "so"). Keeps a map back to the original byte offsets so evidence
//! quotes the customer's own words.
//!
//! Runs of ASCII without a letter stretched three times are copied through a lookup table in one
//! go; only stretched letters and characters outside ASCII take the careful path.

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

/// ASCII folding: lowercase, tab and line breaks as space, backtick as apostrophe.
const ASCII_FOLD: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = match b {
            b'\n' | b'\r' | b'\t' => b' ',
            b'`' => b'\'',
            _ => b.to_ascii_lowercase(),
        };
        i += 1;
    }
    t
};

/// Normalizes `source` (see the module doc).
pub fn fold(source: &str) -> Folded {
    let bytes = source.as_bytes();
    let mut text: Vec<u8> = Vec::with_capacity(source.len() + 8);
    let mut origin: Vec<u32> = Vec::with_capacity(source.len() + 8);
    let mut elongated = false;
    // The previous character outside ASCII and how often it repeated so far. An ASCII character
    // in between never equals one outside ASCII, so runs never span the two kinds.
    let mut last = '\0';
    let mut run = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        let ascii = ascii_prefix(&bytes[i..]);
        if ascii > 0 {
            elongated |= fold_ascii(&bytes[i..i + ascii], i, &mut text, &mut origin);
            i += ascii;
            last = '\0';
            continue;
        }
        let ch = source[i..].chars().next().unwrap_or('\u{fffd}');
        let at = i as u32;
        i += ch.len_utf8();
        let mut push = |s: &[u8]| {
            for _ in 0..s.len() {
                origin.push(at);
            }
            text.extend_from_slice(s);
        };
        if ch == last && ch.is_alphabetic() {
            run += 1;
            if run >= 2 {
                // Third and later copies of the same letter: drop, and drop the second copy too
                // (the last character it folded to).
                if run == 2 {
                    let width = text
                        .iter()
                        .rev()
                        .position(|&b| b & 0xC0 != 0x80)
                        .map_or(0, |p| p + 1);
                    text.truncate(text.len() - width);
                    origin.truncate(origin.len() - width);
                    elongated = true;
                }
                continue;
            }
        } else {
            run = 0;
        }
        last = ch;
        match ch {
            'ä' | 'Ä' => push(b"ae"),
            'ö' | 'Ö' => push(b"oe"),
            'ü' | 'Ü' => push(b"ue"),
            'ß' | 'ẞ' => push(b"ss"),
            '\u{2019}' | '\u{2018}' | '´' => push(b"'"),
            c => {
                for l in c.to_lowercase() {
                    let mut buf = [0u8; 4];
                    push(l.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
    }
    Folded {
        text: String::from_utf8(text).expect("folding keeps UTF-8"),
        origin,
        elongated,
    }
}

/// How many bytes at the start of `bytes` are ASCII (eight at a time).
fn ascii_prefix(bytes: &[u8]) -> usize {
    let mut n = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if word & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        n += 8;
    }
    n + bytes[n..]
        .iter()
        .position(|&b| b >= 0x80)
        .unwrap_or(bytes.len() - n)
}

/// `ASCII_FOLD` as arithmetic (vectorizes).
#[inline(always)]
fn fold_ascii_byte(b: u8) -> u8 {
    let lower = if b.is_ascii_uppercase() { b | 0x20 } else { b };
    match b {
        b'\n' | b'\r' | b'\t' => b' ',
        b'`' => b'\'',
        _ => lower,
    }
}

/// Folds a run of ASCII starting at byte `base` of the source. True when a letter was stretched.
fn fold_ascii(run: &[u8], base: usize, text: &mut Vec<u8>, origin: &mut Vec<u32>) -> bool {
    // Branch-free passes the compiler vectorizes.
    let stretched = run
        .iter()
        .zip(run.get(1..).unwrap_or_default())
        .zip(run.get(2..).unwrap_or_default())
        .fold(false, |any, ((&a, &b), &c)| {
            any | ((a == b) & (b == c) & a.is_ascii_alphabetic())
        });
    if !stretched {
        text.extend(run.iter().map(|&b| fold_ascii_byte(b)));
        origin.extend((base..base + run.len()).map(|o| o as u32));
        return false;
    }
    let mut last = 0u8;
    let mut repeats = 0u32;
    for (k, &b) in run.iter().enumerate() {
        if b == last && b.is_ascii_alphabetic() {
            repeats += 1;
            if repeats >= 2 {
                // Third and later copies of the same letter: drop, and drop the second too.
                if repeats == 2 {
                    text.pop();
                    origin.pop();
                }
                continue;
            }
        } else {
            repeats = 0;
        }
        last = b;
        text.push(ASCII_FOLD[usize::from(b)]);
        origin.push((base + k) as u32);
    }
    true
}

/// True for bytes that continue a word (letters, digits, apostrophes inside words).
#[inline(always)]
pub fn is_word_byte(b: u8) -> bool {
    WORD_BYTES[usize::from(b)]
}

/// `is_word_byte` as a table (no branches in the boundary checks of `Lexicon::scan`).
static WORD_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b >= 0x80;
        i += 1;
    }
    t
};
