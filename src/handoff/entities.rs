//! Entities found in customer text: reference numbers by the words that name them (order, booking,
//! invoice, account, policy, contract, tracking, ticket, customer), e-mail addresses, phone numbers,
//! IBANs (mod-97 checked), card numbers (Luhn checked), dates, amounts, and (`personal`) the
//! customer's stated name, other people's names after a salutation, and postal addresses.
//!
//! Patterns run in a fixed order and each claims its span, so an IBAN is not also a phone number.

use super::cues::Cues;
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// One entity found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: &'static str,
    /// Normalised value (IBAN and card without spaces, e-mail lower-case).
    pub value: String,
    /// Where it is in the text.
    pub span: Range<usize>,
}

impl Found {
    /// Personal data that redaction masks (order numbers, dates and amounts are kept).
    pub fn is_pii(&self) -> bool {
        is_pii_kind(self.kind)
    }
}

pub fn is_pii_kind(kind: &str) -> bool {
    matches!(
        kind,
        "email"
            | "phone"
            | "iban"
            | "card_number"
            | "customer_id"
            | "contract_number"
            | "policy_number"
            | "account_number"
            | "name"
            | "person"
            | "address"
    )
}

struct Pattern {
    kind: &'static str,
    re: Regex,
    /// The capture group holding the value (0: the whole match).
    group: usize,
    check: fn(&str) -> Option<String>,
}

impl Pattern {
    /// Whether the `i`th of `PATTERNS` (this one) may match a text with these cues.
    fn may_match(&self, i: usize, cues: &Cues) -> bool {
        match self.kind {
            "iban" => cues.iban,
            "card_number" => cues.card,
            "amount" => cues.amount,
            "date" => cues.date,
            "phone" => cues.phone,
            // The last pattern: codes like `SR-55288`; the one before it is the phone.
            "order_number" if i == PATTERNS.len() - 1 => cues.coded_order,
            _ => match REFERENCES.iter().position(|(kind, _)| *kind == self.kind) {
                Some(r) => cues.references[r],
                None => true,
            },
        }
    }
}

/// What may stand between a context word and its number ("Rechnungsnummer: ", "booking reference
/// is "), then the number: letters and digits with at least one digit, or six capitals (a booking
/// code like `QXRTZP`).
const ID: &str = r"[^\d\n,;!?]{0,24}?#?\b([A-Za-z]{0,8}[-/]?\d[A-Za-z0-9/-]{2,30}|[A-Z0-9]{6})\b";

/// Reference numbers by the words that name them, German and English.
const REFERENCES: [(&str, &str); 9] = [
    (
        "booking_reference",
        r"booking|buchung\w*|reservation|reservierung\w*|pnr|confirmation|best(?:ä|ae)tigung\w*",
    ),
    ("invoice_number", r"invoice|rechnung\w*|bill"),
    ("customer_id", r"customer|kunden\w*|client|kd"),
    ("account_number", r"account|konto\w*"),
    (
        "policy_number",
        r"policy|police\w*|polizze\w*|versicherungs\w*",
    ),
    ("contract_number", r"contract|vertrag\w*|vertrags\w*"),
    (
        "tracking_number",
        r"tracking|sendung\w*|shipment|paketnummer|parcel",
    ),
    (
        "ticket_number",
        r"ticket|case|vorgang\w*|fallnummer|aktenzeichen",
    ),
    ("order_number", r"order|bestell\w*|auftrag\w*"),
];

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    // ASCII word boundaries: with Unicode ones the regex engine cannot use its lazy DFA on text
    // with umlauts and falls back to a much slower NFA over the whole turn.
    let p = |kind, re: String, group, check| Pattern {
        kind,
        re: Regex::new(&re.replace(r"\b", r"(?-u:\b)")).expect("entity pattern compiles"),
        group,
        check,
    };
    let mut patterns = vec![
        p(
            "email",
            r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b".into(),
            0,
            |v| Some(v.to_lowercase()),
        ),
        p(
            "iban",
            r"\b(?i:[a-z]{2})\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b".into(),
            0,
            iban,
        ),
        p("card_number", r"\b\d[\d -]{11,22}\d\b".into(), 0, card),
        p(
            "amount",
            r"(?i)(?:[€$£]\s?\d(?:[\d.,]*\d)?|\b\d(?:[\d.,]*\d)?\s?(?:€|\$|£|eur\b|euro\b|usd\b|dollars?\b|chf\b))".into(),
            0,
            keep,
        ),
        p(
            "date",
            r"(?i)\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})?|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(?:jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)[a-zä]*\.?(?:\s+\d{4})?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+\d{4})?)".into(),
            0,
            keep,
        ),
    ];
    for (kind, words) in REFERENCES {
        patterns.push(p(kind, format!(r"(?i:\b(?:{words})\b){ID}"), 1, reference));
    }
    patterns.push(p(
        "phone",
        r"(?:\+|\b00)\d{1,3}[\d /()-]{5,16}\d|\b0\d{2,5}[ /-]?\d[\d /-]{3,12}\d".into(),
        0,
        phone,
    ));
    patterns.push(p("order_number", r"\b[A-Z]{2,4}-\d{5,}\b".into(), 0, keep));
    patterns
});

/// A reference number: at least four characters, two digits or six capitals (not "3-pack"), not a
/// bare year.
fn reference(v: &str) -> Option<String> {
    let v = v.trim_end_matches(['-', '/']);
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    let code = v.len() == 6
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let year = v.len() == 4 && digits == 4 && (v.starts_with("19") || v.starts_with("20"));
    (v.len() >= 4 && (digits >= 2 || code) && !year).then(|| v.to_string())
}

fn keep(v: &str) -> Option<String> {
    Some(v.trim().to_string())
}

fn digits(v: &str) -> String {
    v.chars().filter(char::is_ascii_digit).collect()
}

/// An IBAN with a valid ISO 7064 mod-97 check.
fn iban(v: &str) -> Option<String> {
    let s: String = v
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    (15..=34).contains(&s.len()).then_some(())?;
    let rearranged = s[4..].chars().chain(s[..4].chars());
    let mut rem: u32 = 0;
    for c in rearranged {
        let n = c.to_digit(36)?;
        rem = if n >= 10 {
            (rem * 100 + n) % 97
        } else {
            (rem * 10 + n) % 97
        };
    }
    (rem == 1).then_some(s)
}

/// A card number of 13-19 digits with a valid Luhn check digit.
fn card(v: &str) -> Option<String> {
    let d = digits(v);
    (13..=19).contains(&d.len()).then_some(())?;
    luhn(&d).then_some(d)
}

pub fn luhn(d: &str) -> bool {
    let sum: u32 = d
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let n = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = n * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                n
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn phone(v: &str) -> Option<String> {
    let n = digits(v).len();
    (7..=15).contains(&n).then(|| v.trim().to_string())
}

/// Every entity in a text, in order of position.
pub fn find(text: &str) -> Vec<Found> {
    find_with(text, &super::cues::scan(text))
}

/// Every entity in a text, running only the patterns `cues` allows (`Cues::ALL`: every one).
pub(super) fn find_with(text: &str, cues: &Cues) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    // Every pattern needs a digit, except e-mail addresses, which need an `@`: most turns have
    // neither, and skip the regexes entirely.
    let has_digit = text.bytes().any(|b| b.is_ascii_digit());
    let has_at = text.contains('@');
    // A booking code may be letters only (`QXRTZP`): six capitals are needed for one.
    let has_code = !has_digit && text.bytes().filter(u8::is_ascii_uppercase).count() >= 6;
    super::personal::names(text, cues, &mut out);
    if !has_digit && !has_at && !has_code {
        out.sort_by_key(|f| f.span.start);
        return out;
    }
    if has_digit {
        super::personal::addresses(text, cues, &mut out);
    }
    // Spans shaped like an IBAN but failing its check: claimed anyway, so that their digits do not
    // pass for a card or phone number by chance.
    let mut claimed: Vec<Range<usize>> = Vec::new();
    for (i, p) in PATTERNS.iter().enumerate() {
        let runs = match p.kind {
            "email" => has_at,
            "booking_reference" => (has_digit || has_code) && cues.references[0],
            _ => has_digit && p.may_match(i, cues),
        };
        if !runs {
            continue;
        }
        for caps in p.re.captures_iter(text) {
            let Some(m) = caps.get(p.group) else { continue };
            let span = m.range();
            if out.iter().any(|f| overlaps(&f.span, &span))
                || claimed.iter().any(|c| overlaps(c, &span))
            {
                continue;
            }
            match (p.check)(m.as_str()) {
                Some(value) => out.push(Found {
                    kind: p.kind,
                    value,
                    span,
                }),
                None if p.kind == "iban" => claimed.push(span),
                None => {}
            }
        }
    }
    out.sort_by_key(|f| f.span.start);
    out
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}
