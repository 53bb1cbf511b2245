//! Customer turns: lexicon matches -> hits, with negation, intensifiers, diminishers, sarcasm and
//! typography applied.

use super::cues::Typography;
use super::lexicon::{Cat, Found};
use super::normalize::Folded;
use super::scope::{
    clause_break, governed, inside, is_inability, near, negated, negated_after, opens_turn,
    within_words,
};
use crate::domain::{Hit, SignalKind};

/// Reads a customer's words. `text` is the original, `f` its folded form, `found` the matches.
/// `asked` is what the bot's last turn asked, if anything.
pub fn read(
    text: &str,
    f: &Folded,
    found: &[Found],
    typo: Typography,
    asked: Asked,
    hits: &mut Vec<Hit>,
) {
    let t = f.text.as_str();
    let quote = |m: &Found| f.original(text, m.start, m.end).to_string();
    // Praise with nothing negative beside it: a leading "no" answers ("Nein, alles perfekt!").
    let complaint = found.iter().any(|m| {
        matches!(
            m.cat,
            Cat::Emotion(..) | Cat::Sarcasm(_) | Cat::Repair(_) | Cat::Again(_)
        )
    });
    let closing = found.iter().any(|m| {
        m.cat == Cat::Closing
            || matches!(m.cat, Cat::Positive(w) if w >= 0.5)
            || (!complaint && matches!(m.cat, Cat::Ironic(w) if w >= 0.5))
    });
    let distant = |m: &Found| near(t, found, m, 8, |x| x.cat == Cat::Distant);
    // A bare answer: a few words at most ("No.", "nein", "na, passt").
    let plain = t.split_whitespace().take(4).count() <= 3;
    // Judging a film, the weather or an old phone is no complaint about the service.
    let elsewhere = |m: &Found| near(t, found, m, 6, |x| x.cat == Cat::Elsewhere);
    let mut negative_seen = false;
    let mut ironic: Vec<(f32, String)> = Vec::new();
    for m in found {
        match m.cat {
            Cat::Emotion(kind, w) => {
                // Inside a happier phrase ("panic over", "kein Problem") it is not meant.
                let covered = inside(found, m, |x| {
                    matches!(x.cat, Cat::Positive(_) | Cat::Closing)
                });
                if covered || negated(t, found, m) {
                    continue;
                }
                let mut w = w * modifiers(t, found, m);
                if kind != SignalKind::Abuse && elsewhere(m) {
                    w *= 0.35;
                }
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
            // A leading "no" rejects what the bot understood or proposed ("No, I want a cheaper
            // one"), unless it is a plain answer to the bot's yes/no question ("Anything else?" -
            // "No."); to "Did that help?" it says the bot failed.
            Cat::No if opens_turn(t, m) && !closing && !(asked == Asked::YesNo && plain) => {
                // "No, I moved last month…" to "Is your address still…?" informs more than it
                // corrects: weak evidence, no failure of the bot.
                let w = if asked == Asked::YesNo { 0.28 } else { 0.75 };
                hits.push(hit(SignalKind::Repair, w, quote(m)));
            }
            Cat::Again(w) => hits.push(hit(SignalKind::RepeatComplaint, w, quote(m))),
            Cat::Stake(s, w) if !negated(t, found, m) => {
                // Long past ("a gas smell last winter", "father died years ago"): peripheral.
                let w = if distant(m) { w * 0.4 } else { w };
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
    if let Some((w, quote)) = repeat_contact(t) {
        hits.push(hit(
            SignalKind::HighStakes(crate::domain::Stake::RepeatContact),
            w,
            f.original(text, quote.0, quote.1).to_string(),
        ));
    }
    advice(t, hits);
    if let Some(word) = super::cues::censored(text) {
        hits.push(hit(SignalKind::Abuse, 0.8, word.to_string()));
    }
    enthusiasm(hits);
    request(t, f, text, found, hits);
}

/// Having to come back: a verb of contacting ("written", "called", "geschrieben", "angerufen")
/// with a count in reach ("twice", "three times", "3 mails", "zum vierten Mal", "mehrmals"), or
/// several ways of contact in one turn ("uploaded it, emailed it and called"). Just "already"
/// counts less: one earlier contact may have gone well.
fn repeat_contact(t: &str) -> Option<(f32, (usize, usize))> {
    const CONTACT: &[&str] = &[
        "written",
        "wrote",
        "write",
        "writing",
        "called",
        "calling",
        "phoned",
        "rang",
        "emailed",
        "mailed",
        "messaged",
        "contacted",
        "chatted",
        "complained",
        "reported",
        "uploaded",
        "submitted",
        "geschrieben",
        "schreibe",
        "angerufen",
        "anrufe",
        "rufe",
        "telefoniert",
        "gemailt",
        "gemeldet",
        "kontaktiert",
        "reklamiert",
        "beschwert",
        "nachgefragt",
        "hochgeladen",
        "eingereicht",
        "oruaf",
        "orufa",
        "gschriebn",
        "agrufa",
        "aagrueft",
        "sent",
        "touch",
        "chased",
        "chasing",
        "geschickt",
        "gesendet",
    ];
    const ORDINAL: &[&str] = &[
        "second", "third", "fourth", "fifth", "sixth", "2nd", "3rd", "4th", "5th", "zweite",
        "dritte", "vierte", "fuenfte", "zweiter", "dritter", "vierter", "zweiten", "dritten",
        "vierten",
    ];
    const CONTACT_NOUN: &[&str] = &[
        "call",
        "email",
        "e-mail",
        "mail",
        "message",
        "letter",
        "chat",
        "complaint",
        "anruf",
        "nachricht",
        "brief",
        "beschwerde",
        "reklamation",
        "kontakt",
        "versuch",
        "attempt",
    ];
    const COUNT: &[&str] = &[
        "twice",
        "thrice",
        "times",
        "several",
        "multiple",
        "numerous",
        "repeatedly",
        "zweimal",
        "dreimal",
        "viermal",
        "fuenfmal",
        "mehrmals",
        "mehrfach",
        "x-mal",
        "zigmal",
        "wiederholt",
        "zwoamoi",
        "dreimoi",
        "moi",
        "mails",
        "emails",
        "e-mails",
        "calls",
        "messages",
        "letters",
        "anrufe",
        "nachrichten",
        "briefe",
    ];
    let mut words: Vec<(usize, usize)> = Vec::with_capacity(48);
    let bytes = t.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
            i += 1;
        }
        words.push((start, i));
    }
    let word = |k: usize| &t[words[k].0..words[k].1];
    // "third call this week", "die vierte Mail": an ordinal before a way of contact.
    if let Some(k) = (1..words.len())
        .find(|&k| CONTACT_NOUN.contains(&word(k)) && ORDINAL.contains(&word(k - 1)))
    {
        return Some((0.9, (words[k - 1].0, words[k].1)));
    }
    let contacts: Vec<usize> = (0..words.len())
        .filter(|&k| CONTACT.contains(&word(k)))
        .collect();
    let first = *contacts.first()?;
    // "zum vierten Mal", "the third time": an ordinal before "mal"/"time".
    let counted = |k: usize| {
        let w = word(k);
        COUNT.contains(&w)
            || ((w == "mal" || w == "time")
                && k > 0
                && (word(k - 1).ends_with("ten")
                    || word(k - 1).ends_with("rd")
                    || word(k - 1).ends_with("th")
                    || word(k - 1).ends_with("ste")))
    };
    for &c in &contacts {
        let from = c.saturating_sub(5);
        let to = (c + 6).min(words.len());
        if (from..to).any(counted) {
            return Some((0.9, words[c]));
        }
    }
    let channels = contacts
        .iter()
        .map(|&k| word(k))
        .fold(Vec::new(), |mut v, w| {
            if !v.contains(&w) {
                v.push(w);
            }
            v
        });
    if channels.len() >= 2 {
        return Some((0.85, words[first]));
    }
    let already = (first.saturating_sub(3)..(first + 3).min(words.len()))
        .any(|k| matches!(word(k), "already" | "schon" | "scho" | "bereits"));
    already.then_some((0.6, words[first]))
}

/// Advice for the customer's own situation: a money topic (already read as financial advice or a
/// large sum), a personal frame ("for me", "für mich", "in my situation", "Sie mir raten") and a
/// choice ("or", "oder", "better", "besser", "which") in one turn. Raises the topic to the
/// strength that hands off.
fn advice(t: &str, hits: &mut [Hit]) {
    let Some(topic) = hits
        .iter_mut()
        .filter(|h| {
            matches!(
                h.kind,
                SignalKind::HighStakes(
                    crate::domain::Stake::FinancialAdvice | crate::domain::Stake::LargePurchase
                )
            ) && h.weight >= 0.3
        })
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
    else {
        return;
    };
    const PERSONAL: &[&str] = &[
        "for me",
        "for my",
        "in my situation",
        "in my case",
        "would you recommend",
        "should i",
        "would you advise",
        "do you recommend",
        "suits me",
        "fuer mich",
        "zu mir",
        "mir raten",
        "mir empfehlen",
        "meiner situation",
        "meinem fall",
        "soll ich",
        "sollte ich",
        "wuerden sie",
        "wuerdest du",
        "empfehlen sie",
        "empfiehlst du",
        "raten sie",
        "raetst du",
    ];
    const CHOICE: &[&str] = &[
        " or ",
        " oder ",
        "better",
        "besser",
        "which",
        "welche",
        "rather",
        "eher",
        "sinnvoller",
        "worth it",
        "lohnt",
    ];
    if PERSONAL.iter().any(|p| t.contains(p)) && CHOICE.iter().any(|c| t.contains(c)) {
        topic.kind = SignalKind::HighStakes(crate::domain::Stake::FinancialAdvice);
        topic.weight = topic.weight.max(0.9);
    }
}

/// What the bot's last turn asked, as far as a short answer to it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Asked {
    #[default]
    Nothing,
    /// A yes/no question ("Anything else?", "Möchten Sie…?"): "no" answers it.
    YesNo,
    /// Whether it helped ("Did this answer your question?", "Hat das geholfen?"): "no" says the
    /// bot failed.
    Helped,
}

/// Reads the last question of a bot turn.
pub fn asked(bot_text: &str) -> Asked {
    let Some(q) = bot_text.rfind('?') else {
        return Asked::Nothing;
    };
    let sentence = bot_text[..q]
        .rfind(['.', '!', '?', '\n', ':'])
        .map_or(&bot_text[..q], |k| &bot_text[k + 1..q]);
    let lower = sentence.trim().to_lowercase();
    let first = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    const HELPED: [&str; 9] = [
        "help",
        "answer",
        "geholfen",
        "hilfreich",
        "beantwortet",
        "weiterhelfen",
        "solve",
        "loes",
        "lös",
    ];
    const OPENERS: [&str; 52] = [
        "is",
        "are",
        "do",
        "does",
        "did",
        "can",
        "could",
        "shall",
        "should",
        "would",
        "will",
        "may",
        "have",
        "has",
        "was",
        "were",
        "anything",
        "any",
        "want",
        "need",
        "ist",
        "sind",
        "haben",
        "hast",
        "hat",
        "kann",
        "kannst",
        "können",
        "koennen",
        "soll",
        "sollen",
        "möchten",
        "moechten",
        "möchtest",
        "moechtest",
        "willst",
        "wollen",
        "darf",
        "dürfen",
        "duerfen",
        "gibt",
        "brauchen",
        "brauchst",
        "konnte",
        "war",
        "noch",
        "alles",
        "passt",
        "stimmt",
        "wäre",
        "waere",
        "hätten",
    ];
    if !OPENERS.contains(&first) {
        return Asked::Nothing;
    }
    // Whether it helped looks back ("Did that help?", "Hat das geholfen?"); "Can I help with
    // anything else?" looks forward and is a plain yes/no question.
    const LOOKS_BACK: [&str; 8] = ["did", "does", "was", "has", "hat", "war", "konnte", "is"];
    if LOOKS_BACK.contains(&first) && HELPED.iter().any(|h| lower.contains(h)) {
        Asked::Helped
    } else {
        Asked::YesNo
    }
}

/// Happy shouting is happy: strong thanks or praise with only loud typography, emoji or weak
/// words beside it ("OMG THANK YOU SO MUCH 😭❤️") keeps no negative reading.
fn enthusiasm(hits: &mut Vec<Hit>) {
    let delighted = hits
        .iter()
        .any(|h| h.kind == SignalKind::Positive && h.weight >= 0.6);
    if !delighted {
        return;
    }
    let only_noise = |h: &Hit| {
        h.weight < 0.35
            || matches!(
                h.matched.as_str(),
                "CAPS" | "stressed word" | "?!" | "repeated punctuation"
            )
            || !h.matched.chars().any(char::is_alphanumeric)
    };
    if hits.iter().filter(|h| is_negative(h.kind)).all(only_noise) {
        hits.retain(|h| !is_negative(h.kind));
    }
}

/// A short yes or no to what the bot just offered: "yes please", "ja gern", 👍, the number of the
/// menu option that names a person; "no thanks", "nein danke", "lieber nicht".
pub fn short_answer(t: &str, bot_text: Option<&str>) -> Option<(SignalKind, String)> {
    const YES: &[&str] = &[
        "yes",
        "yeah",
        "yea",
        "yep",
        "yup",
        "ya",
        "yess",
        "sure",
        "ok",
        "okay",
        "k",
        "kk",
        "please",
        "pls",
        "plz",
        "alright",
        "absolutely",
        "definitely",
        "certainly",
        "aye",
        "go",
        "do",
        "connect",
        "transfer",
        "sounds",
        "perfect",
        "great",
        "fine",
        "lovely",
        "ja",
        "jo",
        "joa",
        "jap",
        "jep",
        "jup",
        "jawohl",
        "gerne",
        "gern",
        "gaern",
        "bitte",
        "klar",
        "sicher",
        "natuerlich",
        "genau",
        "einverstanden",
        "passt",
        "mach",
        "machen",
        "machma",
        "machen's",
        "los",
        "unbedingt",
        "logo",
        "okidoki",
        "gut",
        "super",
        "prima",
        "verbinden",
        "👍",
        "👌",
        "✅",
        "🙏",
        "🆗",
    ];
    const NO: &[&str] = &[
        "no", "nope", "nah", "nee", "ne", "nein", "noe", "na", "not", "later", "spaeter", "lieber",
        "nicht", "nö",
    ];
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ':' | ';'))
        .filter(|w| !w.is_empty())
        // Only short turns are answers: stop splitting a long one after seven words.
        .take(7)
        .collect();
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    let cleared = t
        .replace("no problem", "")
        .replace("kein problem", "")
        .replace("no worries", "");
    let refusal = cleared.split_whitespace().any(|w| {
        matches!(
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\''),
            "no" | "not"
                | "nein"
                | "nicht"
                | "kein"
                | "keine"
                | "don't"
                | "dont"
                | "later"
                | "spaeter"
                | "nope"
                | "nah"
                | "lieber"
                | "nee"
        )
    }) || t.contains("passt schon")
        || t.contains("i'm good")
        || t.contains("all good");
    let first = words[0].trim_end_matches(['\u{fe0f}']);
    // "na klar", "na gut": Austrian and colloquial yes.
    let na_yes = first == "na"
        && words
            .get(1)
            .is_some_and(|w| matches!(*w, "klar" | "gut" | "ja" | "sicher" | "logo"));
    let yes = YES.contains(&first) || na_yes || first.chars().all(|c| "👍👌✅🙏🆗🙂😊".contains(c));
    let please_not = matches!(first, "bitte" | "please") && refusal && words.len() <= 3;
    if (NO.contains(&first) && !na_yes) || please_not || (refusal && !yes) {
        return Some((SignalKind::Decline, words[0].to_string()));
    }
    if yes && !refusal {
        return Some((SignalKind::Affirm, words[0].to_string()));
    }
    // A menu choice: "1", "2️⃣", "option 1" where the bot's line with that number names a person.
    let number = words
        .iter()
        .find_map(|w| w.chars().next().filter(char::is_ascii_digit))
        .filter(|_| words.len() <= 2)?;
    let bot = bot_text?.to_lowercase();
    let line = bot
        .lines()
        .chain(bot.split([';', ')']))
        .find(|l| l.trim_start().starts_with(number))?;
    const PERSON: [&str; 14] = [
        "berater",
        "mitarbeiter",
        "agent",
        "person",
        "human",
        "mensch",
        "kolleg",
        "colleague",
        "advisor",
        "specialist",
        "chat",
        "rückruf",
        "call",
        "team",
    ];
    PERSON
        .iter()
        .any(|p| line.contains(p))
        .then(|| (SignalKind::Affirm, format!("option {number}")))
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

/// The explicit request for a human, read as a construction: a person noun with a request form in
/// its scope ("ich will einen Berater", "is there an expert I could chat with"), a whole request
/// phrase or a callback ("call me back", "Rückruf"), or the machine turned down ("not a bot",
/// "kein Bot mehr"). Not a request: a person noun in another sense ("travel agent",
/// "Steuerberater", "human resources"), refused ("I don't need a human"), or in a clause about a
/// past contact ("an agent told me last week", "mit einem Mitarbeiter telefoniert").
fn request(t: &str, f: &Folded, text: &str, found: &[Found], hits: &mut Vec<Hit>) {
    // Only short turns matter here: count no further than 9 words, and only when needed.
    let words = || t.split_whitespace().take(9).count();
    let question = t.trim_end().ends_with('?');
    // "I don't need to speak to an agent": the negator may sit six words back, but not across an
    // "and" ("this doesn't work and I need an agent" asks).
    let refuses = |m: &Found| {
        governed(t, found, m, 6, |x| {
            matches!(x.cat, Cat::Negator)
                && !is_inability(t, x)
                && t.get(x.end..m.start).is_some_and(|gap| {
                    !gap.contains(" and ") && !gap.contains(" und ") && !gap.contains(" so ")
                })
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
    // A person in another sense, or in a clause about a past contact.
    let other_sense = |m: &Found| inside(found, m, |x| x.cat == Cat::NotPerson);
    // Reported speech after the person ("an agent told me"), or before it with no request in
    // between ("last week I talked to an agent"; but "I said I want an agent" asks).
    let past = |m: &Found| {
        found.iter().any(|x| {
            x.cat == Cat::Past
                && !clause_break(t, x.start.min(m.start), x.end.max(m.end))
                && if x.start >= m.end {
                    within_words(t, m.end, x.start, 6)
                } else {
                    within_words(t, x.end, m.start, 6)
                        && !found
                            .iter()
                            .any(|y| y.cat == Cat::Ask && y.start >= x.end && y.start < m.start)
                }
        })
    };
    let mut quote: Option<&Found> = None;
    for m in found {
        let is_request = match m.cat {
            Cat::HumanPhrase => !refuses(m) && !past(m),
            Cat::Human => {
                !other_sense(m)
                    && !refuses(m)
                    && !past(m)
                    && (asked(m) || words() <= 3 || (question && words() <= 8))
            }
            Cat::Someone => {
                !other_sense(m)
                    && !refuses(m)
                    && !past(m)
                    && (asked(m) || (question && words() <= 2))
            }
            // "not a bot", "kein Bot", "tired of talking to a machine", "statt dem Chatbot".
            Cat::Bot => {
                !other_sense(m)
                    && governed(t, found, m, 4, |x| {
                        matches!(x.cat, Cat::Refuse) && !is_inability(t, x)
                    })
            }
            _ => false,
        };
        if is_request {
            quote = Some(m);
            break;
        }
    }
    // A misspelt person noun ("mitarbieter", "preson") with a request form in reach.
    let typo;
    if quote.is_none() && found.iter().any(|x| x.cat == Cat::Ask) {
        typo = person_typo(t).map(|(start, end)| Found {
            cat: Cat::Human,
            lang: crate::domain::Lang::En,
            neutral: true,
            start,
            end,
        });
        if let Some(m) = typo
            .as_ref()
            .filter(|m| asked(m) && !refuses(m) && !past(m))
        {
            quote = Some(m);
        }
    }
    if let Some(m) = quote {
        hits.push(hit(
            SignalKind::ExplicitRequest,
            1.0,
            f.original(text, m.start, m.end).to_string(),
        ));
    }
}

/// Person nouns looked for with one typing slip (Damerau distance 1), longest first per letter.
const PERSON_NOUNS: &[&str] = &[
    "representative",
    "supervisor",
    "specialist",
    "consultant",
    "colleague",
    "operator",
    "advisor",
    "adviser",
    "manager",
    "employee",
    "mitarbeiter",
    "mitarbeiterin",
    "sachbearbeiter",
    "kundenberater",
    "kundenservice",
    "ansprechpartner",
    "berater",
    "beraterin",
    "menschen",
    "kollegen",
    "kollegin",
    "experten",
    "fachmann",
    "vorgesetzten",
    "kundendienst",
];
/// Shorter nouns: only a swap of two neighbouring letters counts ("preson", "huamn", "agnet").
const SHORT_PERSON_NOUNS: &[&str] = &["person", "human", "agent", "expert", "mensch"];

/// The byte range of the first word that is a person noun with one slip, alone or as the end of a
/// compound ("kundenservicemitarbieter").
fn person_typo(t: &str) -> Option<(usize, usize)> {
    let bytes = t.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let word = &bytes[start..i];
        if word.len() < 5 {
            continue;
        }
        let long = word.len() >= 7
            && PERSON_NOUNS.iter().any(|n| {
                let n = n.as_bytes();
                one_slip(word, n)
                    || (word.len() > n.len() + 3
                        && n.len() >= 10
                        && (n.len() - 1..=n.len() + 1)
                            .any(|k| k < word.len() && one_slip(&word[word.len() - k..], n)))
            });
        let short = SHORT_PERSON_NOUNS
            .iter()
            .any(|n| word.len() == n.len() && swapped(word, n.as_bytes()));
        if long || short {
            return Some((start, i));
        }
    }
    None
}

/// Exactly one edit (substitution, insertion, deletion or a swap of neighbours) apart.
fn one_slip(a: &[u8], b: &[u8]) -> bool {
    if a == b || a.len().abs_diff(b.len()) > 1 || a.first() != b.first() {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[p..], &b[p..]);
    // Real words beside a person noun differ at the end ("employer", "beraten"): an edit in the
    // last two letters is no typo, unless two letters swapped.
    let swap = ra.len() == rb.len()
        && ra.len() >= 2
        && ra[0] == rb[1]
        && ra[1] == rb[0]
        && ra[2..] == rb[2..];
    if !swap && p + 2 >= a.len().min(b.len()) {
        return false;
    }
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal => {
            ra[1..] == rb[1..]
                || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        std::cmp::Ordering::Greater => ra[1..] == *rb,
        std::cmp::Ordering::Less => *ra == rb[1..],
    }
}

/// The same letters with two neighbours swapped.
fn swapped(a: &[u8], b: &[u8]) -> bool {
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    p + 1 < a.len() && a[p] == b[p + 1] && a[p + 1] == b[p] && a[p + 2..] == b[p + 2..]
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
