//! PII masking for the handoff context (and nothing else: logs never carry customer text at all):
//! e-mail, phone, IBAN, card, customer, account, contract and policy numbers, names and postal
//! addresses. `evidence` cleans the matched words of reasons whatever the tenant's mode.

use super::entities::{self, is_pii_kind};
use crate::domain::{CollectedEntity, Reason};

/// The text with every piece of personal data replaced by its kind: "[email]", "[iban]"...
pub fn text(text: &str) -> String {
    let found = entities::find(text);
    if !found.iter().any(|f| f.is_pii()) {
        return text.to_string();
    }
    replace(text, found.iter().filter(|f| f.is_pii()))
}

/// Matched words as evidence may carry them: every entity (personal or not) replaced by its kind,
/// and runs of three or more digits left over replaced by `#`s, so no reason repeats the digits of
/// a number the customer gave.
pub fn evidence(matched: &str) -> String {
    let found = entities::find(matched);
    mask_digit_runs(&replace(matched, found.iter()))
}

/// `text` with each found span replaced by "[kind]" (another person's name as "[name]").
fn replace<'a>(text: &str, found: impl Iterator<Item = &'a entities::Found>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(&text[at..f.span.start]);
        out.push('[');
        out.push_str(if f.kind == "person" { "name" } else { f.kind });
        out.push(']');
        at = f.span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Runs of three or more digits (what is left of a number cut by a window) become `#`s.
fn mask_digit_runs(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    for (at, c) in s.char_indices() {
        if at < i {
            continue;
        }
        if c.is_ascii_digit() {
            let run = b[at..].iter().take_while(|d| d.is_ascii_digit()).count();
            let keep = run < 3;
            for d in &s[at..at + run].chars().collect::<Vec<_>>() {
                out.push(if keep { *d } else { '#' });
            }
            i = at + run;
        } else {
            out.push(c);
        }
    }
    out
}

/// A value masked so an agent can still match it with the customer: the last characters stay.
pub fn value(kind: &str, value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let tail = |n: usize| -> String { chars[chars.len().saturating_sub(n)..].iter().collect() };
    match kind {
        "email" => match value.split_once('@') {
            Some((local, domain)) => {
                format!("{}***@{domain}", local.chars().next().unwrap_or('*'))
            }
            None => "***".into(),
        },
        "iban" | "card_number" => format!("****{}", tail(4)),
        "name" | "person" | "address" => "***".into(),
        "phone" => format!("***{}", tail(2)),
        _ => format!("***{}", tail(3.min(chars.len() / 2))),
    }
}

/// NLU entity names that carry personal data even when the value does not look like it.
fn personal_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    is_pii_kind(&n)
        || [
            "email", "mail", "phone", "iban", "card", "name", "birth", "dob", "address", "adresse",
            "geburt",
        ]
        .iter()
        .any(|k| n.contains(k))
}

/// Masks personal entity values in place.
pub fn entities(list: &mut [CollectedEntity]) {
    for e in list {
        if personal_name(&e.kind) {
            e.value = value(&e.kind, &e.value);
        } else {
            e.value = text(&e.value);
        }
    }
}

/// Masks the matched words of reasons (they are customer text): personal data by kind, and, as
/// in every mode, no digit of an entity.
pub fn reasons(list: &mut [Reason]) {
    for r in list {
        for m in &mut r.matched {
            *m = evidence(&text(m));
        }
    }
}

/// Cleans the matched words of reasons of entity digits (every mode).
pub fn reasons_evidence(list: &mut [Reason]) {
    for r in list {
        for m in &mut r.matched {
            *m = evidence(m);
        }
    }
}
