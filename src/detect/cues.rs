//! Typographic cues: shouting in capitals (but not acronyms or product names), emphasis on one
//! word, repeated punctuation.

use std::borrow::Cow;

/// What the typography of a turn says.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Typography {
    /// Three or more capitalised words in a row, or a whole turn in capitals.
    pub shouting: bool,
    /// A single capitalised word stressed in an otherwise lower-case sentence ("Es WAR meine").
    pub emphasis: bool,
    /// "!!", "??", "?!".
    pub repeated_punct: bool,
    /// "?!" or "!?": exasperated question.
    pub interrobang: bool,
}

/// Short all-caps words that are usually names, codes or acronyms, not shouting.
const ACRONYMS: &[&str] = &[
    "ICE", "IC", "EC", "DB", "RE", "RB", "PIN", "TAN", "IBAN", "BIC", "SEPA", "SIM", "PUK", "USA",
    "EU", "UK", "GDL", "EVG", "ÖBB", "SBB", "DHL", "UPS", "DPD", "GLS", "PDF", "URL", "FAQ", "OK",
    "OKAY", "ID", "API", "APP", "TV", "DVD", "USB", "WLAN", "WIFI", "LTE", "GPS", "AGB", "MWST",
    "GMBH", "BVG", "HVV", "MVG", "VVS", "KVB", "NRW", "BAHN", "ASAP", "FYI", "CEO", "VIP", "ATM",
    "SMS", "ETA", "APR", "DMV", "IBAN", "PS", "NBA", "NFL", "BBC", "CNN", "LOL", "OMG",
];

/// Short words people stress in capitals when insisting.
const EMPHATIC: &[&str] = &[
    "IST", "WAR", "NOT", "DID", "HAB", "HABE", "BIN", "NIE", "NICHT", "KEIN", "KEINE", "HAVE",
    "ALREADY", "SCHON", "IMMER", "AGAIN", "WIEDER", "NEVER", "NEIN", "NOCH", "STILL", "DOES",
    "SAID", "GESAGT", "NO", "NOW", "JETZT", "SOFORT", "DONE", "EXCHANGE", "WRONG", "FALSCH",
];

pub fn read(text: &str) -> Typography {
    let bytes = text.as_bytes();
    let pairs = || bytes.iter().zip(bytes.get(1..).unwrap_or_default());
    // Branch-free passes over neighbouring bytes (the compiler vectorizes them).
    let (mut repeated, mut interrobang) = (false, false);
    if bytes.contains(&b'!') || bytes.contains(&b'?') {
        (repeated, interrobang) = pairs().fold((false, false), |(rep, ib), (&a, &b)| {
            let (a_bang, a_ask, b_bang, b_ask) = (a == b'!', a == b'?', b == b'!', b == b'?');
            (
                rep | (a_bang & b_bang) | (a_ask & b_ask),
                ib | (a_ask & b_bang) | (a_bang & b_ask),
            )
        });
    }
    let caps_pair = pairs().fold(false, |acc, (&a, &b)| {
        acc | (a.is_ascii_uppercase() & b.is_ascii_uppercase())
    });
    let t = Typography {
        repeated_punct: repeated,
        interrobang,
        ..Default::default()
    };
    // Capitals matter only where two capital letters meet (in ASCII text), or where one word
    // holds two letters that are not lowercase (otherwise no word can be in capitals).
    if !(caps_pair || (!text.is_ascii() && caps_token(text))) {
        return t;
    }
    let mut t = t;
    let mut run = 0usize;
    let mut best_run = 0usize;
    let mut caps_words = 0usize;
    let mut lower_words = 0usize;
    let mut stressed = 0usize;
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if word.is_empty() {
            continue;
        }
        let (mut letters, mut has_digit, mut has_lower) = (0usize, false, false);
        for c in word.chars() {
            if c.is_ascii() {
                letters += usize::from(c.is_ascii_alphabetic());
                has_digit |= c.is_ascii_digit();
                has_lower |= c.is_ascii_lowercase();
            } else {
                letters += usize::from(c.is_alphabetic());
                has_lower |= c.is_lowercase();
            }
        }
        let all_caps = letters >= 2 && !has_digit && !has_lower;
        if all_caps && !ACRONYMS.contains(&word) {
            caps_words += 1;
            run += 1;
            best_run = best_run.max(run);
            if EMPHATIC.contains(&word) {
                stressed += 1;
            }
        } else {
            if has_lower {
                lower_words += 1;
            }
            run = 0;
        }
    }
    t.shouting = best_run >= 3 || (caps_words >= 2 && lower_words == 0);
    t.emphasis = !t.shouting && stressed >= 1 && lower_words >= 2;
    t
}

/// True when some whitespace-separated token holds two letters that are not lowercase.
fn caps_token(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut caps = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let c = if b < 0x80 {
            i += 1;
            if b.is_ascii_lowercase() {
                continue;
            }
            char::from(b)
        } else {
            let c = text[i..].chars().next().unwrap_or_default();
            i += c.len_utf8();
            c
        };
        if c.is_whitespace() {
            caps = 0;
        } else if c.is_alphabetic() && !c.is_lowercase() {
            caps += 1;
            if caps >= 2 {
                return true;
            }
        }
    }
    false
}

/// Smallest sum of money that makes a purchase or a loss a high-stakes moment.
const LARGE_AMOUNT: f64 = 3000.0;

/// Currency words (lowercase) that make a number a sum of money.
const CURRENCIES: &[&str] = &["eur", "euro", "chf", "franken", "dollar", "pounds"];

/// `s` lowercased, without a copy when it already is.
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

fn not_alnum(c: char) -> bool {
    !c.is_alphanumeric()
}

/// A large sum of money in the text ("485.000 €", "£22k", "30 grand", "18-20k"), as written.
pub fn large_amount(text: &str) -> Option<&str> {
    if !text.bytes().fold(false, |any, b| any | b.is_ascii_digit()) {
        return None;
    }
    let mut tokens = text.split_whitespace();
    let mut prev = "";
    let mut current = tokens.next();
    while let Some(raw) = current {
        let next = tokens.next();
        if raw.bytes().any(|b| b.is_ascii_digit()) && is_large_amount(prev, raw, next.unwrap_or(""))
        {
            return Some(raw);
        }
        prev = raw;
        current = next;
    }
    None
}

/// True when the token `raw` (with a digit), between `prev` and `next`, is a large sum.
fn is_large_amount(prev: &str, raw: &str, next: &str) -> bool {
    let next = lower(next);
    let core = raw.trim_matches(not_alnum);
    let currency = |t: &str| {
        t.contains(['€', '$', '£']) || CURRENCIES.contains(&lower(t).trim_matches(not_alnum))
    };
    let money = currency(raw) || currency(&next) || currency(prev);
    // "18-20k": take the upper end.
    let core = core.rsplit('-').next().unwrap_or(core);
    let low = lower(core);
    let (digits, factor) = if let Some(n) = low.strip_suffix('k') {
        (n, 1000.0)
    } else if matches!(
        next.trim_matches(not_alnum),
        "grand" | "k" | "tsd" | "tausend"
    ) {
        (&*low, 1000.0)
    } else if money || thousands(&low) {
        (&*low, 1.0)
    } else {
        return false;
    };
    if digits.chars().any(|c| c.is_alphabetic()) {
        return false;
    }
    let mut value = 0f64;
    let mut any_digit = false;
    for b in digits.bytes().filter(u8::is_ascii_digit) {
        value = value * 10.0 + f64::from(b - b'0');
        any_digit = true;
    }
    if !any_digit {
        return false;
    }
    let decimals = digits
        .rsplit_once([',', '.'])
        .is_some_and(|(_, d)| d.len() == 2);
    let value = value / if decimals { 100.0 } else { 1.0 };
    value * factor >= LARGE_AMOUNT
}

/// "485.000", "22,000": digit groups of three, the way sums of money are written.
fn thousands(t: &str) -> bool {
    let mut groups = t.split(['.', ',']);
    let first = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    !rest.is_empty()
        && (1..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_digit())
        && rest
            .iter()
            .all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
}

/// A word with its profanity hidden behind symbols ("f*ck", "sh*t", "Sch***e", "f***"): letters,
/// then symbols, then letters again; or one or two letters and two or more symbols. Markdown or
/// action asterisks ("*seufz*", "**wichtig**") start with the symbol and do not count.
pub fn censored(text: &str) -> Option<&str> {
    const MASK: [char; 4] = ['*', '#', '@', '$'];
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && !MASK.contains(&c)))
        .map(|w| w.trim_end_matches(['.', ',', '!', '?']))
        .find(|w| {
            if w.len() > 16 || w.contains('.') || w.chars().any(|c| c.is_ascii_digit()) {
                return false;
            }
            let mut chars = w.chars();
            if !chars.next().is_some_and(char::is_alphabetic) {
                return false;
            }
            let masks = w.chars().filter(|c| MASK.contains(c)).count();
            if masks == 0
                || w.contains('@')
                    && w.chars().filter(|c| *c == '@').count() == 1
                    && !w.contains('*')
            {
                return false;
            }
            let first_mask = w.find(MASK).unwrap_or(0);
            let tail = &w[first_mask..];
            let letters_after = tail.chars().any(char::is_alphabetic);
            letters_after || (first_mask <= 3 && masks >= 2)
        })
}
