//! Bot failure read from the text alone (no NLU or bot metadata): the bot answers a different
//! question, sends near-duplicate replies (the same link or template with other slot values), the
//! customer restates the same request. After repeated failures: an offer or a handoff. Contrast:
//! one misunderstanding that is repaired.

use super::{Draft, Expect, domain_vars, last, talk};
use crate::checklist::fill::{self, pick};
use crate::domain::Lang;

/// Near-duplicate bot replies: one template, other slot values.
const TEMPLATES_DE: &[(&str, &str, &str)] = &[
    (
        "Zum Thema {x} haben wir eine Hilfeseite: https://hilfe.example.de/{x}",
        "rechnung",
        "vertrag",
    ),
    (
        "Hier finden Sie alles Wichtige zu {x}: https://example.de/faq#{x}",
        "zahlungen",
        "kuendigung",
    ),
    (
        "Häufige Fragen zu {x} beantworten wir hier: https://service.example.de/{x}",
        "lieferung",
        "konto",
    ),
];

const TEMPLATES_EN: &[(&str, &str, &str)] = &[
    (
        "We have a help page on {x}: https://help.example.com/{x}",
        "billing",
        "contracts",
    ),
    (
        "Everything you need to know about {x} is here: https://example.com/faq#{x}",
        "payments",
        "cancellation",
    ),
    (
        "Common questions about {x} are answered here: https://support.example.com/{x}",
        "delivery",
        "accounts",
    ),
];

/// The customer's third turn: restating once more, without swearing.
const AGAIN_DE: &[&str] = &[
    "Noch einmal: {restate}",
    "{ask}",
    "Ich frage anders: {restate}",
    "Mir geht es immer noch darum: {restate}",
    "{restate} Das ist meine Frage.",
];

const AGAIN_EN: &[&str] = &[
    "Once more: {restate}",
    "{ask}",
    "Let me ask differently: {restate}",
    "I'm still asking about this: {restate}",
    "{restate} That's my question.",
];

const THANKS_DE: &[&str] = &[
    "Danke, genau das wollte ich.",
    "Super, so passt es.",
    "Ah, jetzt klappt's. Danke!",
    "Perfekt, vielen Dank.",
    "Gut, danke.",
];

const THANKS_EN: &[&str] = &[
    "Thanks, that's exactly what I wanted.",
    "Great, that works.",
    "Ah, now it's sorted. Thanks!",
    "Perfect, thank you.",
    "Good, thanks.",
];

/// How a customer points out the misunderstanding once, without anger.
const REPAIR_DE: &[&str] = &[
    "Nein, das meinte ich nicht. {restate}",
    "Das war eine andere Frage. {restate}",
    "Hm, nicht ganz. {restate}",
];

const REPAIR_EN: &[&str] = &[
    "No, that's not what I meant. {restate}",
    "That was a different question. {restate}",
    "Hm, not quite. {restate}",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (templates, again, thanks, repair) = match lang {
        Lang::De => (TEMPLATES_DE, AGAIN_DE, THANKS_DE, REPAIR_DE),
        Lang::En => (TEMPLATES_EN, AGAIN_EN, THANKS_EN, REPAIR_EN),
    };
    let mut out = Vec::new();
    for (n, domain) in fill::domains(lang).iter().enumerate() {
        let vars = domain_vars(domain);
        let again_line = format!("c: {}", pick(again, n, 1));
        // Off-target twice: the bot answers another question, the customer restates, the bot
        // answers the other question again.
        out.push(
            last(
                &format!("off-target twice ({})", domain.key),
                talk(
                    &[
                        "c: {ask}",
                        "b: {wrong}",
                        "c: {restate}",
                        "b: {wrong}",
                        &again_line,
                    ],
                    &vars,
                ),
                Expect::AtLeastOffer,
            )
            .check(2, Expect::AtMostOffer),
        );
        // Near-duplicate template replies with other slot values.
        let (t, a, b) = pick(templates, n, 2);
        let first = format!("b: {}", fill::render(t, &[("x", a)]));
        let second = format!("b: {}", fill::render(t, &[("x", b)]));
        out.push(last(
            &format!("same template, other slot ({})", domain.key),
            talk(
                &["c: {ask}", &first, "c: {restate}", &second, &again_line],
                &vars,
            ),
            Expect::AtLeastOffer,
        ));
        // The customer restates three times while the bot gives standard answers.
        let (t2, a2, _) = pick(templates, n, 3);
        let generic = format!("b: {}", fill::render(t2, &[("x", a2)]));
        out.push(last(
            &format!("restated three times ({})", domain.key),
            talk(
                &[
                    "c: {ask}",
                    "b: {answer}",
                    "c: {restate}",
                    &generic,
                    &again_line,
                ],
                &vars,
            ),
            Expect::AtLeastOffer,
        ));
        // Contrast: one misunderstanding, repaired, thanks.
        let repair_line = format!("c: {}", pick(repair, n, 4));
        let thanks_line = format!("c: {}", pick(thanks, n, 5));
        out.push(last(
            &format!("one misunderstanding repaired ({})", domain.key),
            talk(
                &[
                    "c: {ask}",
                    "b: {wrong}",
                    &repair_line,
                    "b: {fixed}",
                    &thanks_line,
                ],
                &vars,
            ),
            Expect::Continue,
        ));
        // Contrast: right the first time, the customer adds a detail.
        out.push(last(
            &format!("answered first time ({})", domain.key),
            talk(&["c: {ask}", "b: {fixed}", &thanks_line], &vars),
            Expect::Continue,
        ));
    }
    out
}
