//! The bot offers a human after an offer decision; a terse yes hands off, a no continues and the
//! offer is not repeated on the next turns.
//!
//! Each case first checks that the setup got an offer (or more) on the customer turn before the
//! bot's offer, so a case that fails there says so.

use super::{Draft, Expect, domain_vars, last, talk};
use crate::checklist::fill::{self, pick};
use crate::domain::Lang;

/// Setups ending in a customer turn that should earn an offer (one failure, one mild turn: at
/// most an offer by the policy, and at least one since the bot failed and the customer says so).
const SETUPS_DE: &[&[&str]] = &[
    &[
        "c: {issue}",
        "b[fallback]: Entschuldigung, das habe ich nicht verstanden. Können Sie es anders formulieren?",
        "c: Hm, das hilft mir nicht so richtig weiter.",
    ],
    &[
        "c: {ask}",
        "b: {wrong}",
        "c: Das war nicht meine Frage. {restate}",
    ],
    &[
        "c: {issue}",
        "b: {answer}",
        "c: Das weiß ich schon, das löst mein Problem aber nicht.",
    ],
    &[
        "c: {issue}",
        "b[fallback]: Dazu kann ich leider nichts finden.",
        "c: Schade, so komme ich nicht weiter.",
    ],
];

const SETUPS_EN: &[&[&str]] = &[
    &[
        "c: {issue}",
        "b[fallback]: Sorry, I didn't get that. Could you put it another way?",
        "c: Hm, that doesn't really help me.",
    ],
    &[
        "c: {ask}",
        "b: {wrong}",
        "c: That wasn't my question. {restate}",
    ],
    &[
        "c: {issue}",
        "b: {answer}",
        "c: I know that already, it doesn't fix my problem though.",
    ],
    &[
        "c: {issue}",
        "b[fallback]: I'm afraid I couldn't find anything on that.",
        "c: Shame, that gets me nowhere.",
    ],
];

const OFFERS_DE: &[&str] = &[
    "Das tut mir leid. Möchten Sie mit einer Kollegin oder einem Kollegen sprechen?",
    "Soll ich Sie mit einem Mitarbeiter verbinden?",
    "Ich kann Sie gern an unser Service-Team weitergeben. Möchten Sie das?",
    "Wollen Sie lieber mit einem Menschen weitermachen?",
    "Sollen wir Sie mit einer Beraterin verbinden? Die Wartezeit beträgt etwa drei Minuten.",
];

const OFFERS_EN: &[&str] = &[
    "I'm sorry about that. Would you like to talk to one of my colleagues?",
    "Shall I connect you with an agent?",
    "I can pass you on to our service team if you like. Would you like that?",
    "Would you rather carry on with a person?",
    "Shall we put you through to an advisor? The wait is about three minutes.",
];

/// Terse acceptances, some with the bot's NLU intent `affirm`.
const YES_DE: &[&str] = &[
    "ja",
    "Ja bitte",
    "gerne",
    "bitte",
    "ok",
    "👍",
    "Ja, gern.",
    "jo",
    "passt",
    "Okay, machen Sie das.",
    "ja bitte 🙏",
    "Gerne, danke!",
    "Ja, unbedingt.",
    "Jo, gern.",
    "Ja, gärn, merci.",
    "ok bitte",
    "Ja.",
    "JA",
    "Gern doch.",
    "ja mach",
];

const YES_EN: &[&str] = &[
    "yes",
    "Yes please",
    "yeah",
    "ok",
    "sure",
    "👍",
    "please",
    "yep",
    "go ahead",
    "yes, thanks",
    "ok do it",
    "Sure, that would be great.",
    "yes pls",
    "aye",
    "that'd be good",
    "Yes.",
    "YES",
    "yes please 🙏",
    "Okay.",
    "yeah go on",
];

/// Declines, then a routine question on the next turn.
const NO_DE: &[&str] = &[
    "Nein danke, ich probiere es selbst noch mal.",
    "nein",
    "Nö, passt schon.",
    "Nein, nicht nötig.",
    "Danke, nein. Jetzt geht es.",
    "Nee, lass mal.",
    "Nein, ich hab keine Zeit für eine Warteschleife.",
    "Na, passt scho.",
];

const NO_EN: &[&str] = &[
    "No thanks, I'll try again myself.",
    "no",
    "Nah, it's fine.",
    "No need, thanks.",
    "No thank you, it works now.",
    "nope",
    "No, I don't have time to wait on hold.",
    "Naw, you're alright.",
];

const AFTER_NO_DE: &str = "Alles klar. Womit kann ich Ihnen sonst helfen?";
const AFTER_NO_EN: &str = "Alright. What else can I help you with?";

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (setups, offers, yes, no, after_no) = match lang {
        Lang::De => (SETUPS_DE, OFFERS_DE, YES_DE, NO_DE, AFTER_NO_DE),
        Lang::En => (SETUPS_EN, OFFERS_EN, YES_EN, NO_EN, AFTER_NO_EN),
    };
    let domains = fill::domains(lang);
    let mut out = Vec::new();
    for (n, answer) in yes.iter().enumerate() {
        let setup = setups[n % setups.len()];
        let domain = pick(domains, n, 1);
        let offer = format!("b: {}", pick(offers, n, 2));
        // Every third acceptance carries the NLU intent the bot's platform would send.
        let accept = if n % 3 == 2 {
            format!("c[affirm]: {answer}")
        } else {
            format!("c: {answer}")
        };
        let mut lines: Vec<&str> = setup.to_vec();
        lines.push(&offer);
        lines.push(&accept);
        let setup_turn = setup.len() - 1;
        out.push(
            last(
                &format!("accept '{answer}' ({})", domain.key),
                talk(&lines, &domain_vars(&domain)),
                Expect::Handoff,
            )
            .check(setup_turn, Expect::AtLeastOffer),
        );
    }
    for (n, answer) in no.iter().chain(no.iter()).enumerate() {
        let setup = setups[(n + 1) % setups.len()];
        let domain = pick(domains, n, 3);
        let offer = format!("b: {}", pick(offers, n, 4));
        let decline = format!("c: {answer}");
        let after = format!("b: {after_no}");
        let mut lines: Vec<&str> = setup.to_vec();
        lines.extend([offer.as_str(), decline.as_str()]);
        let decline_turn = lines.len() - 1;
        // Half the declines go on with a routine question, which must not bring the offer back.
        if n >= no.len() {
            lines.extend([after.as_str(), "c: {task}"]);
        }
        let setup_turn = setup.len() - 1;
        let mut d = last(
            &format!("decline '{answer}' ({})", domain.key),
            talk(&lines, &domain_vars(&domain)),
            Expect::Continue,
        )
        .check(setup_turn, Expect::AtLeastOffer);
        if n >= no.len() {
            d = d.check(decline_turn, Expect::Continue);
        }
        out.push(d);
    }
    // Acceptances after a second setup in the other domains, so each answer meets two contexts.
    for (n, answer) in yes.iter().enumerate().take(12) {
        let setup = setups[(n + 2) % setups.len()];
        let domain = pick(domains, n + 3, 5);
        let offer = format!("b: {}", pick(offers, n, 6));
        let accept = format!("c: {answer}");
        let mut lines: Vec<&str> = vec!["c: {task}", "b: {done}"];
        lines.extend(setup.iter());
        lines.push(&offer);
        lines.push(&accept);
        let setup_turn = lines.len() - 3;
        out.push(
            last(
                &format!("accept '{answer}' after a routine task ({})", domain.key),
                talk(&lines, &domain_vars(&domain)),
                Expect::Handoff,
            )
            .check(setup_turn, Expect::AtLeastOffer),
        );
    }
    out
}
