//! Where one lexicon match can reach another: negation and intensifier scope.
//!
//! A modifier governs a match when it comes before it in the same clause (no `, . ; : ! ?` and no
//! "but"/"aber"/"sondern" between) and at most `reach` words away.

use super::lexicon::{Cat, Found};

/// Clause breaks between two byte offsets of the normalized text.
fn breaks_between(text: &str, from: usize, to: usize) -> bool {
    let Some(gap) = text.get(from..to) else {
        return true;
    };
    gap.bytes()
        .any(|b| matches!(b, b',' | b'.' | b';' | b':' | b'!' | b'?'))
        || gap.contains(" but ")
        || gap.contains(" aber ")
        || gap.contains(" sondern ")
}

/// True when at most `reach` words lie between two byte offsets. Stops counting past `reach`, so
/// checking every pair of matches stays cheap on long texts.
pub fn within_words(text: &str, from: usize, to: usize, reach: usize) -> bool {
    let Some(gap) = text.get(from..to) else {
        return false;
    };
    if !gap.is_ascii() {
        return gap.split_whitespace().take(reach + 1).count() <= reach;
    }
    // ASCII: count the starts of runs of non-whitespace bytes (`char::is_whitespace` in ASCII).
    let mut words = 0;
    let mut in_word = false;
    for &b in gap.as_bytes() {
        let space = matches!(b, b' ' | b'\t'..=b'\r');
        if !space && !in_word {
            words += 1;
            if words > reach {
                return false;
            }
        }
        in_word = !space;
    }
    true
}

/// True when a modifier that matches `is` governs the match `target` from before it.
pub fn governed(
    text: &str,
    found: &[Found],
    target: &Found,
    reach: usize,
    is: impl Fn(&Found) -> bool,
) -> bool {
    found.iter().any(|m| {
        m.end <= target.start
            && is(m)
            && within_words(text, m.end, target.start, reach)
            && !breaks_between(text, m.end, target.start)
    })
}

/// True when a negator sits just after the match in the same clause ("human not needed",
/// "Mitarbeiter nicht nötig", "brauch ich nicht").
pub fn negated_after(text: &str, found: &[Found], target: &Found, reach: usize) -> bool {
    found.iter().any(|m| {
        m.start >= target.end
            && matches!(m.cat, Cat::Negator)
            && within_words(text, target.end, m.start, reach)
            && !breaks_between(text, target.end, m.start)
    })
}

/// True when a negator (or "no"/"nein" inside the clause) governs the match.
pub fn negated(text: &str, found: &[Found], target: &Found) -> bool {
    governed(text, found, target, 3, |m| {
        matches!(m.cat, Cat::Negator | Cat::No) && !is_inability(text, m)
    })
}

/// "can't", "couldn't", "kann nicht": inability, which complains rather than negates a request.
pub fn is_inability(text: &str, m: &Found) -> bool {
    let before = &text[..m.start];
    before.ends_with("ca") || before.ends_with("coul") || before.ends_with("wo")
}

/// True when the match is the first word(s) of the turn (after greetings punctuation).
pub fn opens_turn(text: &str, m: &Found) -> bool {
    text[..m.start].bytes().all(|b| !b.is_ascii_alphanumeric())
}

/// Clause breaks for "said of the same thing" tests, which also stop at "and"/"und" ("the app
/// crashed and I want an agent": the crash is not about the agent).
pub fn clause_break(text: &str, from: usize, to: usize) -> bool {
    breaks_between(text, from, to)
        || text
            .get(from..to)
            .is_some_and(|gap| gap.contains(" and ") || gap.contains(" und "))
}

/// True when a match that `is` accepts stands in the same clause as `target`, at most `reach`
/// words before or after it ("years ago" near a stake, "film" near a judgement).
pub fn near(
    text: &str,
    found: &[Found],
    target: &Found,
    reach: usize,
    is: impl Fn(&Found) -> bool,
) -> bool {
    found.iter().any(|x| {
        is(x)
            && !clause_break(text, x.start.min(target.start), x.end.max(target.end))
            && (within_words(text, x.end, target.start, reach)
                || within_words(text, target.end, x.start, reach))
    })
}

/// True when a match that `is` accepts covers `target` ("panic over" covers "panic", "travel
/// agent" covers "agent").
pub fn inside(found: &[Found], target: &Found, is: impl Fn(&Found) -> bool) -> bool {
    found
        .iter()
        .any(|x| is(x) && x.start <= target.start && x.end >= target.end)
}
