//! Typographic cues: shouting in capitals (but not acronyms or product names), emphasis on one
//! word, repeated punctuation.

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
    let mut t = Typography {
        repeated_punct: text.contains("!!") || text.contains("??"),
        interrobang: text.contains("?!") || text.contains("!?"),
        ..Default::default()
    };
    // Capitals matter only where two capital letters meet.
    let caps_pair = text
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase())
        || !text.is_ascii();
    if !caps_pair {
        return t;
    }
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
        let letters = word.chars().filter(|c| c.is_alphabetic()).count();
        let has_digit = word.chars().any(|c| c.is_ascii_digit());
        let all_caps = letters >= 2 && !has_digit && word.chars().all(|c| !c.is_lowercase());
        if all_caps && !ACRONYMS.contains(&word) {
            caps_words += 1;
            run += 1;
            best_run = best_run.max(run);
            if EMPHATIC.contains(&word) {
                stressed += 1;
            }
        } else {
            if word.chars().any(|c| c.is_lowercase()) {
                lower_words += 1;
            }
            run = 0;
        }
    }
    t.shouting = best_run >= 3 || (caps_words >= 2 && lower_words == 0);
    t.emphasis = !t.shouting && stressed >= 1 && lower_words >= 2;
    t
}

/// Smallest sum of money that makes a purchase or a loss a high-stakes moment.
const LARGE_AMOUNT: f64 = 3000.0;

/// A large sum of money in the text ("485.000 €", "£22k", "30 grand", "18-20k"), as written.
pub fn large_amount(text: &str) -> Option<&str> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for (i, raw) in tokens.iter().enumerate() {
        if !raw.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        let next = tokens
            .get(i + 1)
            .map(|t| t.to_lowercase())
            .unwrap_or_default();
        let prev = if i > 0 { tokens[i - 1] } else { "" };
        let core = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let currency = |t: &str| {
            t.contains(['€', '$', '£'])
                || ["eur", "euro", "chf", "franken", "dollar", "pounds"]
                    .iter()
                    .any(|c| {
                        t.to_lowercase()
                            .trim_matches(|c: char| !c.is_alphanumeric())
                            == *c
                    })
        };
        let money = currency(raw) || currency(&next) || currency(prev);
        // "18-20k": take the upper end.
        let core = core.rsplit('-').next().unwrap_or(core);
        let lower = core.to_lowercase();
        let (digits, factor) = if let Some(n) = lower.strip_suffix('k') {
            (n, 1000.0)
        } else if matches!(
            next.trim_matches(|c: char| !c.is_alphanumeric()),
            "grand" | "k" | "tsd" | "tausend"
        ) {
            (lower.as_str(), 1000.0)
        } else if money || thousands(&lower) {
            (lower.as_str(), 1.0)
        } else {
            continue;
        };
        let clean: String = digits.chars().filter(|c| c.is_ascii_digit()).collect();
        if clean.is_empty() || digits.chars().any(|c| c.is_alphabetic()) {
            continue;
        }
        let decimals = digits
            .rsplit_once([',', '.'])
            .is_some_and(|(_, d)| d.len() == 2);
        let value: f64 = clean.parse::<f64>().unwrap_or(0.0) / if decimals { 100.0 } else { 1.0 };
        if value * factor >= LARGE_AMOUNT {
            return Some(raw);
        }
    }
    None
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
