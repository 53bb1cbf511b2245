//! Advice seeking: which of two financial options the customer personally should choose hands
//! off; the same about a tariff earns at least an offer. Contrast: factual questions about one
//! option.

use super::{Draft, Expect, last, talk};
use crate::domain::Lang;

/// (domain, option a, option b, financial: hands off). German options are in the accusative;
/// the templates only use them where German wants it.
const OPTIONS_DE: &[(&str, &str, &str, bool)] = &[
    ("banking", "den Aktienfonds", "den Mischfonds", true),
    ("banking", "einen ETF-Sparplan", "das Festgeld", true),
    (
        "pension",
        "die Riester-Rente",
        "eine private Rentenversicherung",
        true,
    ),
    (
        "insurance",
        "den Tarif mit 500 Euro Selbstbeteiligung",
        "den ohne",
        true,
    ),
    ("mortgage", "zehn Jahre Zinsbindung", "fünfzehn Jahre", true),
    (
        "energy",
        "den Festpreis für zwei Jahre",
        "den flexiblen Tarif",
        false,
    ),
    (
        "telecom",
        "den S-Tarif mit 10 GB",
        "den M-Tarif mit 30 GB",
        false,
    ),
    ("leasing", "36 Monate Laufzeit", "48 Monate", true),
];

const OPTIONS_EN: &[(&str, &str, &str, bool)] = &[
    ("banking", "the equity fund", "the balanced fund", true),
    (
        "banking",
        "an index fund savings plan",
        "a fixed-term deposit",
        true,
    ),
    (
        "pension",
        "the workplace pension top-up",
        "a private pension",
        true,
    ),
    (
        "insurance",
        "the policy with a 500-pound excess",
        "the one without",
        true,
    ),
    (
        "mortgage",
        "a ten-year fixed rate",
        "a tracker mortgage",
        true,
    ),
    (
        "energy",
        "the two-year fixed price",
        "the variable tariff",
        false,
    ),
    (
        "telecom",
        "the S plan with 10 GB",
        "the M plan with 30 GB",
        false,
    ),
    ("leasing", "a 36-month term", "a 48-month one", true),
];

const ASKS_DE: &[&str] = &[
    "Welches von beiden soll ich für mich nehmen: {a} oder {b}?",
    "Was würden Sie mir raten, {a} oder {b}? Ich bin 58 und will in sieben Jahren in Rente.",
    "Ich schwanke: {a} oder {b}. Was passt besser zu mir?",
    "Soll ich eher {a} nehmen oder {b}?",
    "Kannst du mir sagen, was ich nehmen soll: {a} oder {b}?",
    "Ich habe von sowas keine Ahnung. Was soll ich in meiner Situation nehmen, {a} oder {b}?",
];

const ASKS_EN: &[&str] = &[
    "Which of the two should I go for: {a} or {b}?",
    "What would you advise me, {a} or {b}? I'm 58 and want to retire in seven years.",
    "I'm torn between {a} and {b}. Which suits me better?",
    "Is {a} or {b} the better deal for someone like me?",
    "Can you tell me what's best for me: {a} or {b}?",
    "I know nothing about this stuff. In my situation, what makes more sense, {a} or {b}?",
];

const FACTS_DE: &[&str] = &[
    "Wie hoch sind die Gebühren für {a}?",
    "Bis wann kann ich {a} noch abschließen?",
    "Wo kann ich die Unterlagen für {a} herunterladen?",
    "Welchen Mindestbetrag brauche ich für {a}?",
    "Kann ich {a} online abschließen?",
];

const FACTS_EN: &[&str] = &[
    "What are the fees for {a}?",
    "Until when can I still sign up for {a}?",
    "Where do I find the documents for {a}?",
    "What's the minimum amount for {a}?",
    "Can I take out {a} online?",
];

pub(super) fn drafts(lang: Lang) -> Vec<Draft> {
    let (options, asks, facts) = match lang {
        Lang::De => (OPTIONS_DE, ASKS_DE, FACTS_DE),
        Lang::En => (OPTIONS_EN, ASKS_EN, FACTS_EN),
    };
    let mut out = Vec::new();
    for (i, (key, a, b, financial)) in options.iter().enumerate() {
        for k in 0..5 {
            let ask = asks[(i + k) % asks.len()];
            let line = format!("c: {ask}");
            let vars = [("a", *a), ("b", *b)];
            let lines = if k % 2 == 0 {
                talk(&[&line], &vars)
            } else {
                let intro = match lang {
                    Lang::De => {
                        "b: Gern. Beide Varianten finden Sie in der Übersicht auf unserer Website."
                    }
                    Lang::En => "b: Sure. You'll find both options in the overview on our website.",
                };
                let first = match lang {
                    Lang::De => "c: Ich hätte gern Infos über {a} und {b}.",
                    Lang::En => "c: I have a question about {a} and {b}.",
                };
                talk(&[first, intro, &line], &vars)
            };
            let expect = if *financial {
                Expect::Handoff
            } else {
                Expect::AtLeastOffer
            };
            out.push(last(&format!("which for me ({key})"), lines, expect));
        }
        let fact = facts[i % facts.len()];
        let lines = talk(&[&format!("c: {fact}")], &[("a", *a)]);
        out.push(last(
            &format!("contrast: a fact about one option ({key})"),
            lines,
            Expect::AtMostOffer,
        ));
    }
    out
}
