//! Which entity patterns can match a text at all, from one pass of literal cues and a few byte
//! scans, so `entities::find` runs only the regexes that may find something.
//!
//! Every cue is a necessary condition of its pattern: a literal every match contains, or a shape of
//! ASCII bytes every match has. Skipping a pattern whose cue is absent changes nothing, because
//! patterns match independently and only their results are filtered in order. The cues assume ASCII
//! digits and ASCII case folding; a text with a character that breaks that (a non-ASCII digit, which
//! `\d` matches, or the Kelvin sign or the long s, which `(?i)` folds to `k` and `s`) runs every
//! pattern.

use aho_corasick::AhoCorasick;
use std::sync::LazyLock;

/// The patterns a text may match (true: run it). `name_cue` is the gate of all name patterns as
/// it always was; the others are necessary conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cues {
    /// Any of the words that may start or introduce a name (the old gate of all name patterns).
    pub name_cue: bool,
    /// "my name is", "ich heiße", "name:".
    pub stated: bool,
    /// A closing formula before a signature.
    pub signed: bool,
    /// A salutation before a name ("Frau", "Mr").
    pub saluted: bool,
    /// A street and number.
    pub street: bool,
    /// Four or five digits before a capitalised word.
    pub postcode: bool,
    /// A UK postcode ("SW1A 1AA").
    pub uk_postcode: bool,
    pub iban: bool,
    pub card: bool,
    pub amount: bool,
    pub date: bool,
    pub phone: bool,
    /// A code like `SR-55288`.
    pub coded_order: bool,
    /// One per `entities::REFERENCES` entry, in its order.
    pub references: [bool; 9],
}

impl Cues {
    /// Every pattern may match (the name patterns' gate open too).
    pub const ALL: Cues = Cues {
        name_cue: true,
        stated: true,
        signed: true,
        saluted: true,
        street: true,
        postcode: true,
        uk_postcode: true,
        iban: true,
        card: true,
        amount: true,
        date: true,
        phone: true,
        coded_order: true,
        references: [true; 9],
    };
}

const NAME_CUE: u32 = 1;
const STATED: u32 = 1 << 1;
const SIGNED: u32 = 1 << 2;
const SALUTED: u32 = 1 << 3;
const STREET: u32 = 1 << 4;
const AMOUNT: u32 = 1 << 5;
const MONTH: u32 = 1 << 6;
/// Bit of `REFERENCES[i]`: `REFERENCE << i`.
const REFERENCE: u32 = 1 << 7;

/// (literal, patterns it is a cue of, compared case-sensitively).
const LITERALS: &[(&str, u32, bool)] = &[
    // The name cues of `personal::names` (ASCII case-insensitive, as before).
    ("name", NAME_CUE | STATED, false),
    ("heiße", NAME_CUE, false),
    ("heisse", NAME_CUE, false),
    ("herr", NAME_CUE, false),
    ("frau", NAME_CUE, false),
    ("hr.", NAME_CUE, false),
    ("fr.", NAME_CUE, false),
    ("mr", NAME_CUE, false),
    ("ms", NAME_CUE, false),
    ("miss", NAME_CUE, false),
    ("dr.", NAME_CUE, false),
    ("prof", NAME_CUE, false),
    ("regards", NAME_CUE | SIGNED, false),
    ("best", NAME_CUE | SIGNED | REFERENCE, false),
    ("cheers", NAME_CUE | SIGNED, false),
    ("thank", NAME_CUE | SIGNED, false),
    ("sincerely", NAME_CUE | SIGNED, false),
    ("yours", NAME_CUE | SIGNED, false),
    ("grüß", NAME_CUE, false),
    ("grüss", NAME_CUE, false),
    ("gruß", NAME_CUE, false),
    ("gruss", NAME_CUE, false),
    ("gruess", NAME_CUE, false),
    ("mfg", NAME_CUE | SIGNED, false),
    ("lg", NAME_CUE | SIGNED, false),
    ("vg", NAME_CUE | SIGNED, false),
    ("danke", NAME_CUE | SIGNED, false),
    // "ich heiße", "i am called" (STATED; "name" above).
    ("ich hei", STATED, false),
    ("called", STATED, false),
    // Closing formulas: "grüße", "grüsse", "gruesse", "gruß", "gruss" (SIGNED).
    ("gru", SIGNED, false),
    ("grü", SIGNED, false),
    ("grÜ", SIGNED, false),
    // Salutations, case as in the pattern.
    ("Herr", SALUTED, true),
    ("Frau", SALUTED, true),
    ("Hr.", SALUTED, true),
    ("Fr.", SALUTED, true),
    ("Mr", SALUTED, true),
    ("Ms", SALUTED, true),
    ("Miss", SALUTED, true),
    ("Dr.", SALUTED, true),
    ("Prof.", SALUTED, true),
    // German street words.
    ("str", STREET, false),
    ("weg", STREET, false),
    ("allee", STREET, false),
    ("platz", STREET, false),
    ("gasse", STREET, false),
    ("ring", STREET, false),
    ("damm", STREET, false),
    ("ufer", STREET, false),
    ("chaussee", STREET, false),
    ("pfad", STREET, false),
    ("steig", STREET, false),
    // Currencies.
    ("€", AMOUNT, true),
    ("$", AMOUNT, true),
    ("£", AMOUNT, true),
    ("eur", AMOUNT, false),
    ("usd", AMOUNT, false),
    ("dollar", AMOUNT, false),
    ("chf", AMOUNT, false),
    // Months in dates.
    ("jan", MONTH, false),
    ("feb", MONTH, false),
    ("mär", MONTH, false),
    ("mÄr", MONTH, false),
    ("mar", MONTH, false),
    ("apr", MONTH, false),
    ("mai", MONTH, false),
    ("may", MONTH, false),
    ("jun", MONTH, false),
    ("jul", MONTH, false),
    ("aug", MONTH, false),
    ("sep", MONTH, false),
    ("okt", MONTH, false),
    ("oct", MONTH, false),
    ("nov", MONTH, false),
    ("dez", MONTH, false),
    ("dec", MONTH, false),
    // The words of `entities::REFERENCES`, by its index ("best" above: bestätigung).
    ("booking", REFERENCE, false),
    ("buchung", REFERENCE, false),
    ("reservation", REFERENCE, false),
    ("reservierung", REFERENCE, false),
    ("pnr", REFERENCE, false),
    ("confirmation", REFERENCE, false),
    ("invoice", REFERENCE << 1, false),
    ("rechnung", REFERENCE << 1, false),
    ("bill", REFERENCE << 1, false),
    ("customer", REFERENCE << 2, false),
    ("kunden", REFERENCE << 2, false),
    ("client", REFERENCE << 2, false),
    ("kd", REFERENCE << 2, false),
    ("account", REFERENCE << 3, false),
    ("konto", REFERENCE << 3, false),
    ("policy", REFERENCE << 4, false),
    ("police", REFERENCE << 4, false),
    ("polizze", REFERENCE << 4, false),
    ("versicherungs", REFERENCE << 4, false),
    ("contract", REFERENCE << 5, false),
    ("vertrag", REFERENCE << 5, false),
    ("tracking", REFERENCE << 6, false),
    ("sendung", REFERENCE << 6, false),
    ("shipment", REFERENCE << 6, false),
    ("paketnummer", REFERENCE << 6, false),
    ("parcel", REFERENCE << 6, false),
    ("ticket", REFERENCE << 7, false),
    ("case", REFERENCE << 7, false),
    ("vorgang", REFERENCE << 7, false),
    ("fallnummer", REFERENCE << 7, false),
    ("aktenzeichen", REFERENCE << 7, false),
    ("order", REFERENCE << 8, false),
    ("bestell", REFERENCE << 8, false),
    ("auftrag", REFERENCE << 8, false),
];

static LITERAL_SCAN: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(LITERALS.iter().map(|(l, _, _)| l))
        .expect("entity cues compile")
});

/// Which patterns `text` may match.
pub fn scan(text: &str) -> Cues {
    let mut found = 0u32;
    for m in LITERAL_SCAN.find_overlapping_iter(text) {
        let (literal, bits, exact) = LITERALS[m.pattern().as_usize()];
        if !exact || &text[m.range()] == literal {
            found |= bits;
        }
    }
    if exotic(text) {
        // The name cue is the names' gate as it always was (ASCII case-insensitive words).
        return Cues {
            name_cue: found & NAME_CUE != 0,
            ..Cues::ALL
        };
    }
    let mut cues = Cues {
        name_cue: found & NAME_CUE != 0,
        stated: found & STATED != 0,
        signed: found & SIGNED != 0,
        saluted: found & SALUTED != 0,
        street: found & STREET != 0,
        postcode: false,
        uk_postcode: false,
        iban: false,
        card: false,
        amount: found & AMOUNT != 0,
        date: found & MONTH != 0,
        phone: false,
        coded_order: false,
        references: std::array::from_fn(|i| found & (REFERENCE << i) != 0),
    };
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let digit = |i: usize| at(i).is_ascii_digit();
    let upper = |i: usize| at(i).is_ascii_uppercase();
    let letter = |i: usize| at(i).is_ascii_alphabetic();
    // `\p{Lu}`: an ASCII capital, or any non-ASCII character (its first byte).
    let capital = |i: usize| at(i).is_ascii_uppercase() || at(i) >= 0xC0;
    // Runs of digits, of card characters (`[\d -]`) and of phone characters (`[\d /()+-]`).
    let (mut digits, mut card, mut phone) = (0, 0, 0);
    for (i, &c) in b.iter().enumerate() {
        let class = CLASS[usize::from(c)];
        if class == 0 {
            (digits, card, phone) = (0, 0, 0);
            continue;
        }
        card = if class & CARD != 0 { card + 1 } else { 0 };
        phone = if class & PHONE != 0 { phone + 1 } else { 0 };
        cues.card |= card >= 13;
        cues.phone |= phone >= 8;
        if class & DIGIT == 0 {
            digits = 0;
            continue;
        }
        digits += 1;
        // `\d{1,5}[A-Za-z]?[ ]+\p{Lu}`: a house number before an English street name.
        let after = if letter(i + 1) { i + 2 } else { i + 1 };
        if at(after) == b' ' {
            let next = after + b[after..].iter().take_while(|c| **c == b' ').count();
            cues.street |= capital(next);
            // `\d{4,5}[ ]+\p{Lu}`: a postcode before a city.
            cues.postcode |= digits >= 4 && after == i + 1 && capital(next);
        }
        // `\d[ ]\d[A-Z]{2}`: the end of a UK postcode.
        cues.uk_postcode |= at(i + 1) == b' ' && digit(i + 2) && upper(i + 3) && upper(i + 4);
        // `[a-z]{2}\d{2}` (any case): the start of an IBAN.
        cues.iban |= digit(i + 1) && letter(i.wrapping_sub(1)) && letter(i.wrapping_sub(2));
        // `\d{4}-`, `\d{1,2}\.`, `\d{1,2}/`: a date in figures.
        cues.date |= matches!(at(i + 1), b'-' | b'.' | b'/');
        // `[A-Z]{2,4}-\d{5,}`.
        cues.coded_order |=
            digits == 5 && at(i.wrapping_sub(5)) == b'-' && upper(i.wrapping_sub(6));
    }
    cues
}

const DIGIT: u8 = 1;
const CARD: u8 = 2;
const PHONE: u8 = 4;

/// What each byte can be part of: a digit, a card number (`[\d -]`), a phone number
/// (`[\d /()+-]`).
static CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut c = b'0';
    while c <= b'9' {
        class[c as usize] = DIGIT | CARD | PHONE;
        c += 1;
    }
    class[b' ' as usize] = CARD | PHONE;
    class[b'-' as usize] = CARD | PHONE;
    class[b'/' as usize] = PHONE;
    class[b'(' as usize] = PHONE;
    class[b')' as usize] = PHONE;
    class[b'+' as usize] = PHONE;
    class
};

/// A character for which the ASCII cues are not enough: a non-ASCII digit or numeral (`\d` is
/// Unicode), or a character that `(?i)` folds to an ASCII letter (the Kelvin sign, the long s).
fn exotic(text: &str) -> bool {
    !text.is_ascii()
        && text
            .chars()
            .any(|c| !c.is_ascii() && (c.is_numeric() || c == '\u{212A}' || c == '\u{17F}'))
}
