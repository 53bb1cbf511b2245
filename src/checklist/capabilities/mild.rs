//! Policy: one mild negative turn gives at most an offer, never a handoff.

use super::{Draft, Expect, Opening, domain_vars, last, opened};
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
    let (mild, but) = match lang {
        Lang::De => (MILD_DE, "Aber gut."),
        Lang::En => (MILD_EN, "Fine though."),
    };
    let domains = fill::domains(lang);
    let mut out = Vec::new();
    for (i, text) in mild.iter().enumerate() {
        // The mild turn after a standard answer, opening the conversation with the problem, after
        // a completed task (shrugged off), after a request the bot got right.
        let shapes = [
            (Opening::AfterIssue, format!("c: {text}")),
            (Opening::Alone, format!("c: {text} {{issue}}")),
            (Opening::AfterTask, format!("c: {text} {but}")),
            (Opening::AfterFixed, format!("c: {text}")),
        ];
        for (k, (opening, line)) in shapes.iter().enumerate() {
            let domain = pick(domains, i * 4 + k, k);
            let lines = opened(*opening, line, &domain_vars(&domain));
            out.push(last(
                &format!("mild {i} ({})", domain.key),
                lines,
                Expect::AtMostOffer,
            ));
        }
    }
    out
}
