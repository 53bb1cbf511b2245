//! PII masking for the handoff context (and nothing else: logs never carry customer text at all).

use super::entities::{self, is_pii_kind};
use crate::domain::{CollectedEntity, Reason};

/// The text with every piece of personal data replaced by its kind: "[email]", "[iban]"...
pub fn text(text: &str) -> String {
    let found = entities::find(text);
    if !found.iter().any(|f| f.is_pii()) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found.iter().filter(|f| f.is_pii()) {
        out.push_str(&text[at..f.span.start]);
        out.push('[');
        out.push_str(f.kind);
        out.push(']');
        at = f.span.end;
    }
    out.push_str(&text[at..]);
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

/// Masks the matched words of reasons (they are customer text).
pub fn reasons(list: &mut [Reason]) {
    for r in list {
        for m in &mut r.matched {
            *m = text(m);
        }
    }
}
