//! Abuse: censored profanity (asterisks inside the word) and insults aimed at the bot hand off.
//! Contrast: mild swearing at oneself about a routine slip.

use super::{Draft, Expect, domain_vars, last, talk};
use crate::checklist::fill::{self, pick};
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
    let mut out = Vec::new();
    for (i, text) in abuse.iter().enumerate() {
        for k in 0..3 {
            let n = i * 3 + k;
            let domain = pick(domains, n, k);
            let vars = domain_vars(&domain);
            let line = format!("c: {text}");
            let lines = match k {
                0 => talk(&["c: {ask}", "b: {wrong}", &line], &vars),
                1 => talk(&["c: {issue}", "b: {answer}", &line], &vars),
                _ => talk(&["c: {issue}", "b[fallback]: {answer}", &line], &vars),
            };
            if k == 2 && i % 2 == 1 {
                continue;
            }
            out.push(last(
                &format!("abuse {i} ({})", domain.key),
                lines,
                Expect::Handoff,
            ));
        }
    }
    for (i, text) in slip.iter().enumerate() {
        for k in 0..2 {
            let domain = pick(domains, i * 2 + k, 4);
            let vars = domain_vars(&domain);
            let line = format!("c: {text}");
            let lines = if k == 0 {
                talk(&[&line], &vars)
            } else {
                talk(&["c: {task}", "b: {done}", &line], &vars)
            };
            out.push(last(
                &format!("contrast: swearing at oneself {i}"),
                lines,
                Expect::AtMostOffer,
            ));
        }
    }
    out
}
