//! Bot failure read from the text alone (no NLU or bot metadata): the bot answers a different
//! question, sends near-duplicate replies (the same link or template with other slot values), the
//! customer restates the same request. After repeated failures: an offer or a handoff. Contrasts:
//! one misunderstanding that is repaired, a reply repeated because the customer asked for it, a
//! re-prompt after a wrong entry.

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

/// Contrast: the customer asks for the same reply again; the bot repeating it is no loop.
const RESEND_DE: &[&str] = &[
    "Können Sie das bitte nochmal schicken? Ich hab's aus Versehen weggeklickt.",
    "Sorry, sag das bitte nochmal, ich war kurz abgelenkt.",
    "Nochmal bitte, ich hab's nicht mitgeschrieben.",
];

const RESEND_EN: &[&str] = &[
    "Could you send that again please? I closed it by accident.",
    "Sorry, say that again please, I got distracted.",
    "Once more please, I didn't write it down.",
];

/// Contrast: the bot asks again after a wrong entry (a re-prompt, not a loop). (what the bot asks
/// for, a wrong entry, the right one.)
const REPROMPT_DE: &[(&str, &str, &str)] = &[
    ("Ihre Kundennummer (8 Ziffern)", "1234567", "12345678"),
    ("Ihre Zählernummer (8 Ziffern)", "4471229", "44712290"),
    (
        "Ihre Versicherungsnummer (10 Ziffern)",
        "55012345",
        "5501234567",
    ),
    ("Ihr Geburtsdatum (TT.MM.JJJJ)", "3.4.82", "03.04.1982"),
    ("Ihren Buchungscode (6 Zeichen)", "K7Q2", "K7Q2XB"),
];

const REPROMPT_EN: &[(&str, &str, &str)] = &[
    ("your customer number (8 digits)", "1234567", "12345678"),
    ("your meter number (8 digits)", "4471229", "44712290"),
    ("your policy number (10 digits)", "55012345", "5501234567"),
    ("your date of birth (DD/MM/YYYY)", "3/4/82", "03/04/1982"),
    ("your booking code (6 characters)", "K7Q2", "K7Q2XB"),
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (templates, again, thanks, repair) = match lang {
        Lang::De => (TEMPLATES_DE, AGAIN_DE, THANKS_DE, REPAIR_DE),
        Lang::En => (TEMPLATES_EN, AGAIN_EN, THANKS_EN, REPAIR_EN),
    };
    let (resend, reprompt) = match lang {
        Lang::De => (RESEND_DE, REPROMPT_DE),
        Lang::En => (RESEND_EN, REPROMPT_EN),
    };
    let (please, wrong_entry, ok) = match lang {
        Lang::De => (
            "Gern. Bitte nennen Sie mir {what}.",
            "Das Format passt leider nicht. Bitte nennen Sie mir {what}.",
            "Danke, ich habe Sie gefunden. {fixed}",
        ),
        Lang::En => (
            "Sure. Please give me {what}.",
            "That format doesn't look right. Please give me {what}.",
            "Thanks, I've found you. {fixed}",
        ),
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
        // Contrast: right the first time, the customer thanks.
        out.push(last(
            &format!("answered first time ({})", domain.key),
            talk(&["c: {ask}", "b: {fixed}", &thanks_line], &vars),
            Expect::Continue,
        ));
        // Contrast: the customer asks for the reply again and gets it again.
        let resend_line = format!("c: {}", pick(resend, n, 6));
        out.push(last(
            &format!("repeat the customer asked for ({})", domain.key),
            talk(
                &[
                    "c: {ask}",
                    "b: {fixed}",
                    &resend_line,
                    "b: {fixed}",
                    &thanks_line,
                ],
                &vars,
            ),
            Expect::Continue,
        ));
        // Contrast: a re-prompt after a wrong entry, then the right entry.
        let (what, bad, good) = pick(reprompt, n, 7);
        let ask_for = format!("b: {}", fill::render(please, &[("what", what)]));
        let again_for = format!("b: {}", fill::render(wrong_entry, &[("what", what)]));
        out.push(last(
            &format!("re-prompt after a wrong entry ({})", domain.key),
            talk(
                &[
                    "c: {ask}",
                    &ask_for,
                    &format!("c: {bad}"),
                    &again_for,
                    &format!("c: {good}"),
                    &format!("b: {ok}"),
                    &thanks_line,
                ],
                &vars,
            ),
            Expect::Continue,
        ));
    }
    out
}
