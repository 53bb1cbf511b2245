//! Customer turns: lexicon matches -> hits, with negation, intensifiers, diminishers, sarcasm and
//! typography applied.

use super::cues::Typography;
use super::lexicon::{Cat, Found};
use super::normalize::Folded;
use super::scope::{governed, is_inability, negated, negated_after, opens_turn, within_words};
use crate::domain::{Hit, SignalKind};

/// Reads a customer's words. `text` is the original, `f` its folded form, `found` the matches.
pub fn read(text: &str, f: &Folded, found: &[Found], typo: Typography, hits: &mut Vec<Hit>) {
    let t = f.text.as_str();
    let quote = |m: &Found| f.original(text, m.start, m.end).to_string();
    let closing = found
        .iter()
        .any(|m| m.cat == Cat::Closing || matches!(m.cat, Cat::Positive(w) if w >= 0.5));
    let mut negative_seen = false;
    let mut ironic: Vec<(f32, String)> = Vec::new();
    for m in found {
        match m.cat {
            Cat::Emotion(kind, w) => {
                if negated(t, found, m) {
                    continue;
                }
                let w = w * modifiers(t, found, m);
                negative_seen |= w >= 0.3;
                hits.push(hit(kind, w, quote(m)));
            }
            Cat::Positive(w) | Cat::Ironic(w) => {
                // "no thanks", "nein danke" are polite; only a real negator turns praise around.
                if governed(t, found, m, 3, |x| {
                    x.cat == Cat::Negator && !is_inability(t, x)
                }) {
                    // "not happy", "nicht zufrieden", "not helpful": disappointment.
                    negative_seen = true;
                    hits.push(hit(SignalKind::Frustration, 0.65 * w.max(0.6), quote(m)));
                } else if let Cat::Ironic(_) = m.cat {
                    ironic.push((w, quote(m)));
                } else {
                    hits.push(hit(
                        SignalKind::Positive,
                        w * modifiers(t, found, m),
                        quote(m),
                    ));
                }
            }
            Cat::Sarcasm(w) => {
                negative_seen = true;
                hits.push(hit(SignalKind::Sarcasm, w, quote(m)));
            }
            Cat::Repair(w) => hits.push(hit(SignalKind::Repair, w, quote(m))),
            Cat::No if opens_turn(t, m) && !closing => {
                hits.push(hit(SignalKind::Repair, 0.75, quote(m)));
            }
            Cat::Again(w) => hits.push(hit(SignalKind::RepeatComplaint, w, quote(m))),
            Cat::Stake(s, w) if !negated(t, found, m) => {
                hits.push(hit(SignalKind::HighStakes(s), w, quote(m)));
            }
            Cat::BotFail(_) if t[m.start..m.end].ends_with("sorry") => {
                // A customer apologising is usually about to correct something.
                hits.push(hit(SignalKind::Repair, 0.3, quote(m)));
            }
            _ => {}
        }
    }
    // Ironic praise next to complaints is sarcasm ("great, thanks for nothing", "Toll.").
    let failure_words = hits.iter().any(|h| {
        matches!(
            h.kind,
            SignalKind::Repair | SignalKind::RepeatComplaint | SignalKind::Sarcasm
        ) && h.weight >= 0.4
    });
    for (w, q) in ironic {
        if negative_seen || failure_words {
            hits.push(hit(SignalKind::Sarcasm, 0.7 * w.max(0.7), q));
        } else {
            hits.push(hit(SignalKind::Positive, w, q));
        }
    }
    typography(typo, f, hits);
    request(t, f, text, found, hits);
}

/// Intensity multiplier from intensifiers and diminishers just before the match.
fn modifiers(t: &str, found: &[Found], m: &Found) -> f32 {
    let mut k = 1.0;
    if governed(t, found, m, 2, |x| x.cat == Cat::Intensifier) {
        k *= 1.35;
    }
    if governed(t, found, m, 2, |x| x.cat == Cat::Diminisher) {
        k *= 0.6;
    }
    k
}

/// Shouting and stressed words amplify negative hits; happy shouting stays happy.
fn typography(typo: Typography, f: &Folded, hits: &mut Vec<Hit>) {
    let negative = hits.iter().any(|h| is_negative(h.kind));
    let positive = hits.iter().any(|h| h.kind == SignalKind::Positive);
    let loud = typo.shouting || typo.repeated_punct || f.elongated;
    if negative && loud {
        for h in hits.iter_mut().filter(|h| is_negative(h.kind)) {
            h.weight *= if typo.shouting { 1.4 } else { 1.2 };
        }
    }
    if positive && !negative {
        return;
    }
    if typo.shouting {
        hits.push(hit(SignalKind::Frustration, 0.35, "CAPS".into()));
    } else if typo.emphasis {
        hits.push(hit(SignalKind::Frustration, 0.3, "stressed word".into()));
    }
    if typo.interrobang {
        hits.push(hit(SignalKind::Frustration, 0.35, "?!".into()));
    } else if typo.repeated_punct && !positive {
        hits.push(hit(
            SignalKind::Frustration,
            0.25,
            "repeated punctuation".into(),
        ));
    }
}

/// The explicit request for a human: a phrase, or a human noun asked for, not negated.
fn request(t: &str, f: &Folded, text: &str, found: &[Found], hits: &mut Vec<Hit>) {
    // Only short turns matter here: count no further than 9 words, and only when needed.
    let words = || t.split_whitespace().take(9).count();
    let question = t.trim_end().ends_with('?');
    let refuses = |m: &Found| {
        governed(t, found, m, 4, |x| {
            matches!(x.cat, Cat::Negator) && !is_inability(t, x)
        }) || negated_after(t, found, m, 3)
    };
    let asked = |m: &Found| {
        found.iter().any(|x| {
            x.cat == Cat::Ask
                // An ask may overlap the noun it governs ("get me a" + "a human").
                && ((x.start < m.start
                    && within_words(t, x.end.min(m.start), m.start, 6))
                    || (x.start >= m.end && within_words(t, m.end, x.start, 3)))
        })
    };
    for m in found {
        let is_request = match m.cat {
            Cat::HumanPhrase => !refuses(m),
            Cat::Human => !refuses(m) && (asked(m) || words() <= 3 || (question && words() <= 8)),
            Cat::Someone => !refuses(m) && (asked(m) || (question && words() <= 2)),
            _ => false,
        };
        if is_request {
            hits.push(hit(
                SignalKind::ExplicitRequest,
                1.0,
                f.original(text, m.start, m.end).to_string(),
            ));
            return;
        }
    }
}

/// Negative emotion kinds (amplified by shouting).
pub fn is_negative(kind: SignalKind) -> bool {
    matches!(
        kind,
        SignalKind::Frustration
            | SignalKind::Anger
            | SignalKind::Anxiety
            | SignalKind::Sadness
            | SignalKind::Urgency
            | SignalKind::Abuse
            | SignalKind::Sarcasm
    )
}

pub fn hit(kind: SignalKind, weight: f32, matched: String) -> Hit {
    Hit {
        kind,
        weight: weight.clamp(0.0, 1.0),
        matched,
    }
}
