//! Policy: one mild negative turn gives at most an offer, never a handoff.

use super::{Draft, Expect, domain_vars, last, talk};
use crate::checklist::fill::{self, pick};
use crate::domain::Lang;

const MILD_DE: &[&str] = &[
    "Hm, das ist ein bisschen ärgerlich.",
    "Schade, das hatte ich mir anders vorgestellt.",
    "Das nervt etwas, aber okay.",
    "Ich bin etwas enttäuscht.",
    "Das dauert mir ehrlich gesagt zu lange.",
    "Blöd gelaufen.",
    "Das ist jetzt etwas umständlich.",
    "Ich finde das nicht so toll.",
    "Etwas frustrierend, ehrlich gesagt.",
    "Na ja, optimal ist das nicht.",
    "Oh, das ist unpraktisch.",
    "Echt schade, aber dann ist das halt so.",
];

const MILD_EN: &[&str] = &[
    "Hm, that's a bit annoying.",
    "Shame, I'd expected something different.",
    "That's slightly irritating, but okay.",
    "I'm a little disappointed.",
    "That's taking a bit too long for my liking, to be honest.",
    "Bit of a pain.",
    "That's rather awkward now.",
    "I'm not thrilled about that.",
    "Somewhat frustrating, to be honest.",
    "Well, it's not ideal.",
    "Oh, that's inconvenient.",
    "Pity, but it is what it is.",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let mild = match lang {
        Lang::De => MILD_DE,
        Lang::En => MILD_EN,
    };
    let domains = fill::domains(lang);
    let mut out = Vec::new();
    for (i, text) in mild.iter().enumerate() {
        for k in 0..4 {
            let n = i * 4 + k;
            let domain = pick(domains, n, k);
            let vars = domain_vars(&domain);
            let lines = match k {
                0 => talk(&["c: {issue}", "b: {answer}", &format!("c: {text}")], &vars),
                1 => talk(&[&format!("c: {text} {{issue}}")], &vars),
                2 => talk(
                    &["c: {task}", "b: {done}", &format!("c: {text} Aber gut.")],
                    &vars,
                ),
                _ => talk(&["c: {ask}", "b: {fixed}", &format!("c: {text}")], &vars),
            };
            if k == 2 && lang == Lang::En {
                let lines = talk(
                    &["c: {task}", "b: {done}", &format!("c: {text} Fine though.")],
                    &vars,
                );
                out.push(last(
                    &format!("mild {i} ({})", domain.key),
                    lines,
                    Expect::AtMostOffer,
                ));
                continue;
            }
            out.push(last(
                &format!("mild {i} ({})", domain.key),
                lines,
                Expect::AtMostOffer,
            ));
        }
    }
    out
}
