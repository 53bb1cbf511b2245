//! Abuse: censored profanity (asterisks inside the word) and insults aimed at the bot hand off.
//! Contrast: mild swearing at oneself about a routine slip.

use super::{Draft, Expect, Opening, spread};
use crate::checklist::fill;
use crate::domain::Lang;

const ABUSE_DE: &[&str] = &[
    "Was für ein Sch***service!",
    "Du blöder Bot verstehst echt gar nichts.",
    "Sch***e, schon wieder diese nutzlose Antwort.",
    "Bist du zu dumm, eine einfache Frage zu beantworten?",
    "Halt die Klappe, du nutzlose Blechbüchse.",
    "Was für ein verf***ter Mist ist das hier.",
    "Blöder Bot. Einfach nur blöd.",
    "Du bist echt der dümmste Chatbot, den ich je gesehen habe.",
    "Scheiß Bot, verbinde mich endlich weiter!",
    "Ihr seid doch alle Vollidioten.",
    "So ein Dreck, du Depp von einem Bot.",
    "Leck mich doch, du Sch**ß-Programm.",
    "Du bist so ein Trottel, echt jetzt.",
    "Geh mir nicht auf den S*ck mit deinen Links.",
];

const ABUSE_EN: &[&str] = &[
    "What a f*cking useless service.",
    "You stupid bot, you don't understand anything.",
    "Sh*t, the same useless answer again.",
    "Are you too thick to answer a simple question?",
    "Shut up, you useless tin can.",
    "This is total bullsh*t.",
    "Stupid bot. Just stupid.",
    "You're honestly the dumbest chatbot I've ever seen.",
    "Damn bot, put me through already!",
    "You lot are a bunch of idiots.",
    "What a load of cr*p, you moron of a bot.",
    "F*** off with your links.",
    "You absolute muppet of a machine.",
    "wtf is wrong with u, dumb bot",
];

const SLIP_DE: &[&str] = &[
    "Mist, ich hab mein Passwort schon wieder vergessen. Wie setze ich es zurück?",
    "Oh Mann, ich Depp hab die falsche IBAN eingegeben. Kann ich das noch ändern?",
    "Verdammt, ich hab die Rechnung verlegt. Können Sie die nochmal schicken?",
    "Ach Sch***e, ich hab den Termin verpennt. Kann ich einen neuen machen?",
];

const SLIP_EN: &[&str] = &[
    "Damn, I forgot my password again. How do I reset it?",
    "Oh, silly me, I typed the wrong account number. Can I still change it?",
    "Bloody hell, I've lost the bill. Can you send it again?",
    "Oh sh*t, I slept through my appointment. Can I book a new one?",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (abuse, slip) = match lang {
        Lang::De => (ABUSE_DE, SLIP_DE),
        Lang::En => (ABUSE_EN, SLIP_EN),
    };
    let domains = fill::domains(lang);
    let mut out = spread(
        lang,
        "abuse",
        abuse,
        &[
            Opening::AfterWrong,
            Opening::AfterIssue,
            Opening::AfterFallback,
        ],
        domains,
        Expect::Handoff,
        &|_| vec![],
    );
    out.extend(spread(
        lang,
        "contrast: swearing at oneself",
        slip,
        &[Opening::Alone, Opening::AfterTask],
        domains,
        Expect::AtMostOffer,
        &|_| vec![],
    ));
    out
}
