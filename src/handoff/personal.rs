//! Personal names and postal addresses in German and English customer text.
//!
//! - `name`: the customer's own name, where they state it ("my name is", "mein Name ist",
//!   "ich heiße", a signature after "Viele Grüße" or "Best regards" at the end of the text).
//! - `person`: a name after a salutation ("Frau Krause", "Mr Smith"); masked like a name, never
//!   collected as the customer's.
//! - `address`: a street and number ("Lindenstraße 12a", "221B Baker Street"), with a following
//!   postcode and city ("10115 Berlin") when there is one; a postcode and city alone only after an
//!   address word ("wohne in", "Adresse", "address"); UK postcodes always.
//!
//! Names need no digit, so a cheap scan for the cue words (`cues`) runs first and most turns stop
//! there; each pattern runs only when its own cue is in the text.

use super::cues::Cues;
use super::entities::Found;
use regex::Regex;
use std::sync::LazyLock;

/// One word of a name: a capital, then letters, apostrophes or hyphens.
const CAP: &str = r"\p{Lu}[\p{Ll}\p{Lu}'’-]*\p{Ll}[\p{Ll}'’-]*";

/// "my name is anna schmidt": up to three words, any case; cut at the first word that is not a name.
static STATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i:(?-u:\b)(?:my name is|my name's|mein name ist|mein name lautet|ich hei(?:ß|ss)e|i am called|name:))\s+([\p{L}][\p{L}'’-]*(?:[ ]+[\p{L}][\p{L}'’-]*){0,2})",
    )
    .expect("stated-name pattern compiles")
});

static SALUTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?-u:\b)(?:Herr|Herrn|Frau|Hr\.|Fr\.|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.|Prof\.)[ ]+((?:Dr\.[ ]+)?{CAP}(?:[ -]{CAP})?)"
    ))
    .expect("salutation pattern compiles")
});

static SIGNED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:^|[\n.!?,]\s*)(?i:best regards|kind regards|regards|best|cheers|many thanks|thanks|thank you|sincerely|yours|mit freundlichen gr(?:ü|ue)(?:ß|ss)en|viele gr(?:ü|ue)(?:ß|ss)e|liebe gr(?:ü|ue)(?:ß|ss)e|beste gr(?:ü|ue)(?:ß|ss)e|gr(?:ü|ue)(?:ß|ss)e|gru(?:ß|ss)|mfg|lg|vg|danke)[,!.]?\s+({CAP}(?:[ -]{CAP}){{0,2}})\s*[.!]?\s*$"
    ))
    .expect("signature pattern compiles")
});

/// Words that end a stated name ("my name is Anna and ...").
const NOT_NAME: [&str; 40] = [
    "and",
    "und",
    "but",
    "aber",
    "i",
    "ich",
    "from",
    "aus",
    "is",
    "ist",
    "the",
    "der",
    "die",
    "das",
    "my",
    "mein",
    "meine",
    "on",
    "in",
    "im",
    "not",
    "nicht",
    "so",
    "also",
    "with",
    "mit",
    "please",
    "bitte",
    "thanks",
    "danke",
    "here",
    "hier",
    "a",
    "an",
    "ein",
    "eine",
    "wrong",
    "falsch",
    "spelled",
    "geschrieben",
];

/// Pushes the names in `text` onto `out` (kinds `name` and `person`), skipping claimed spans.
pub fn names(text: &str, cues: &Cues, out: &mut Vec<Found>) {
    if !cues.name_cue {
        return;
    }
    for c in when(&STATED, cues.stated).flat_map(|re| re.captures_iter(text)) {
        let m = c.get(1).expect("group 1");
        let mut end = m.start();
        let mut lower = false;
        for (i, w) in m.as_str().split(' ').enumerate() {
            let bare = w.trim_end_matches(['.', ',', '\'', '’', '-']);
            let capital = bare.chars().next().is_some_and(char::is_uppercase);
            if bare.is_empty() || NOT_NAME.contains(&bare.to_lowercase().as_str()) {
                break;
            }
            // "my name is Anna", "my name is anna schmidt", but not "my name is Anna please".
            if i == 0 {
                lower = !capital;
            } else if lower == capital {
                break;
            }
            let offset = w.as_ptr() as usize - m.as_str().as_ptr() as usize;
            end = m.start() + offset + bare.len();
        }
        push(out, "name", m.start()..end, text);
    }
    for c in when(&SIGNED, cues.signed).flat_map(|re| re.captures_iter(text)) {
        let m = c.get(1).expect("group 1");
        push(out, "name", m.range(), text);
    }
    for c in when(&SALUTED, cues.saluted).flat_map(|re| re.captures_iter(text)) {
        let m = c.get(1).expect("group 1");
        push(out, "person", m.range(), text);
    }
}

static STREET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:(?:\p{Lu}[\p{L}]+(?:er|es)?[ ])?(?:\p{L}[\p{L}-]*)?(?i:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|pfad|steig)[ ]?\d{1,4}(?:[ ]?[a-zA-Z])?(?-u:\b)|(?-u:\b)\d{1,5}[A-Za-z]?[ ]+(?:\p{Lu}[\p{L}'-]*[ ]+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Close|Terrace|Crescent|Square|Gardens|Grove|Row|Mews)(?-u:\b)\.?)",
    )
    .expect("street pattern compiles")
});

static POSTCODE_CITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)(?:(?:D|A|CH)-)?\d{4,5}[ ]+\p{Lu}\p{Ll}+(?:[ -](?:am|an der|\p{Lu}\p{Ll}+))?",
    )
    .expect("postcode pattern compiles")
});

static UK_POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2}(?-u:\b)").expect("UK postcode compiles")
});

static ADDRESS_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:wohne|wohnhaft|adresse|anschrift|address|live|lives|living|plz|postcode|zip|umgezogen|ziehe)[^.!?\n]{0,12}$")
        .expect("address-word pattern compiles")
});

/// Pushes the postal addresses in `text` onto `out`, skipping claimed spans.
pub fn addresses(text: &str, cues: &Cues, out: &mut Vec<Found>) {
    let mut spans: Vec<std::ops::Range<usize>> = if cues.street {
        STREET.find_iter(text).map(|m| m.range()).collect()
    } else {
        Vec::new()
    };
    for m in when(&POSTCODE_CITY, cues.postcode).flat_map(|re| re.find_iter(text)) {
        let before = &text[..m.start()];
        let gap = before.trim_end_matches([',', ' ', '\n']);
        match spans.iter_mut().find(|s| s.end == gap.len()) {
            // "Lindenstraße 12, 10115 Berlin": one address.
            Some(street) => street.end = m.end(),
            None => {
                let from = before
                    .char_indices()
                    .rev()
                    .take(40)
                    .last()
                    .map_or(0, |(i, _)| i);
                if ADDRESS_WORD.is_match(&before[from..]) {
                    spans.push(m.range());
                }
            }
        }
    }
    if cues.uk_postcode {
        spans.extend(UK_POSTCODE.find_iter(text).map(|m| m.range()));
    }
    for span in spans {
        push(out, "address", span, text);
    }
}

/// The regex, to run when its cue is in the text; nothing to run otherwise.
fn when(re: &Regex, cue: bool) -> std::option::IntoIter<&Regex> {
    cue.then_some(re).into_iter()
}

fn push(out: &mut Vec<Found>, kind: &'static str, span: std::ops::Range<usize>, text: &str) {
    if span.is_empty()
        || out
            .iter()
            .any(|f| f.span.start < span.end && span.start < f.span.end)
    {
        return;
    }
    out.push(Found {
        kind,
        value: text[span.clone()].trim().to_string(),
        span,
    });
}
