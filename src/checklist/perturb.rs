//! Generic perturbations and the INV and DIR cases derived with them from MFT cases.
//!
//! INV: umlauts spelled ae/oe/ue (and ß as ss), all lowercase, one typo in the longest word of the
//! checked turn, an emoji after it, Sie ↔ du (English: formal ↔ casual). Each returns `None` when it
//! would not change the conversation, so no case is counted twice.
//! DIR: a request for a person appended to the checked turn (must hand off and not lower the
//! action); the request negated (the template's own negation; must not hand off on a request).

use super::{Case, Check, Draft, Expect, Kind, Line};
use crate::domain::{Lang, ReasonCode, Role};

/// One invariance perturbation: its name and what it does to a conversation checked at `turn`.
type Perturbation = (
    &'static str,
    fn(&[Line], usize, Lang, usize) -> Option<Vec<Line>>,
);

const PERTURBATIONS: &[Perturbation] = &[
    ("umlauts as ae/oe/ue", |l, _, _, _| {
        customer_lines(l, fold_umlauts)
    }),
    ("lowercase", |l, _, _, _| {
        customer_lines(l, |t| t.to_lowercase())
    }),
    ("one typo", |l, t, _, n| {
        at_turn(l, t, |s| typo_in_longest(s, n))
    }),
    ("emoji", |l, t, _, n| {
        at_turn(l, t, |s| Some(add_emoji(s, n)))
    }),
    ("register", |l, _, lang, _| {
        customer_lines(l, |t| switch_register(t, lang))
    }),
];

/// How many INV cases each MFT case gets (rotating through the perturbations that apply), plus
/// the register switch wherever it applies.
const INV_PER_CASE: usize = 2;

/// Requests appended for the DIR cases.
const REQUESTS_DE: &[&str] = &[
    "Und ich möchte bitte mit einem Mitarbeiter sprechen.",
    "Verbinden Sie mich bitte mit einem Menschen.",
    "Können Sie mich mit jemandem aus dem Kundenservice verbinden?",
    "Ich hätte gern einen Berater am Telefon.",
];
const REQUESTS_EN: &[&str] = &[
    "And I'd like to speak to an agent, please.",
    "Please put me through to a human.",
    "Can I talk to a real person?",
    "Connect me with an advisor please.",
];

/// The INV and DIR cases derived from one capability's MFT cases in one language.
pub(super) fn derive(drafts: &[Draft], mft: &[Case], lang: Lang) -> Vec<Case> {
    let mut inv = Vec::new();
    let mut dir = Vec::new();
    for (n, (draft, case)) in drafts.iter().zip(mft).enumerate() {
        let Some(turn) = case.checks.iter().map(|c| c.turn).max() else {
            continue;
        };
        let turns: Vec<usize> = case.checks.iter().map(|c| c.turn).collect();
        let mut made = 0;
        for k in 0..PERTURBATIONS.len() {
            let (name, f) = PERTURBATIONS[(n + k) % PERTURBATIONS.len()];
            // Sie ↔ du applies to few sentences, so it is used wherever it applies.
            if made == INV_PER_CASE && name != "register" {
                continue;
            }
            if let Some(lines) = f(&case.lines, turn, lang, n) {
                inv.push(derived(case, Kind::Inv, name, lines, &turns, Expect::Same));
                made += 1;
            }
        }
        if n % 2 == 0 && case.lines[turn].role == Role::Customer {
            let requests = if lang == Lang::De {
                REQUESTS_DE
            } else {
                REQUESTS_EN
            };
            let request = requests[(n / 2) % requests.len()];
            let mut lines = case.lines[..=turn].to_vec();
            lines[turn].text = format!("{} {request}", lines[turn].text);
            let mut c = derived(
                case,
                Kind::Dir,
                "request added",
                lines,
                &[turn],
                Expect::NotLower,
            );
            c.checks.push(Check {
                turn,
                expect: Expect::Handoff,
                with: Some(ReasonCode::ExplicitRequest),
                without: None,
            });
            dir.push(c);
        }
        if let Some(negated) = &draft.negated {
            let mut c = derived(
                case,
                Kind::Dir,
                "request negated",
                negated.clone(),
                &[turn],
                Expect::AtMostOffer,
            );
            c.baseline = None;
            c.checks[0].without = Some(ReasonCode::ExplicitRequest);
            dir.push(c);
        }
    }
    number(&mut inv);
    number(&mut dir);
    inv.extend(dir);
    inv
}

fn derived(
    case: &Case,
    kind: Kind,
    how: &str,
    lines: Vec<Line>,
    turns: &[usize],
    expect: Expect,
) -> Case {
    Case {
        id: String::new(),
        capability: case.capability,
        kind,
        lang: case.lang,
        name: format!("{} ({how}; from {})", case.name, case.id),
        lines,
        checks: turns
            .iter()
            .map(|&turn| Check {
                turn,
                expect,
                with: None,
                without: None,
            })
            .collect(),
        baseline: Some(case.lines.clone()),
    }
}

fn number(cases: &mut [Case]) {
    for (n, c) in cases.iter_mut().enumerate() {
        c.id = format!(
            "{}/{}/{}/{n:03}",
            c.capability.label(),
            c.lang.tag(),
            c.kind.label().to_lowercase()
        );
    }
}

/// Applies `f` to every customer line; `None` if nothing changed.
fn customer_lines(lines: &[Line], f: impl Fn(&str) -> String) -> Option<Vec<Line>> {
    let out: Vec<Line> = lines
        .iter()
        .map(|l| match l.role {
            Role::Customer => Line {
                text: f(&l.text),
                ..l.clone()
            },
            _ => l.clone(),
        })
        .collect();
    (out != lines).then_some(out)
}

/// Applies `f` to the line at `turn` if it is a customer line.
fn at_turn(lines: &[Line], turn: usize, f: impl Fn(&str) -> Option<String>) -> Option<Vec<Line>> {
    let line = lines.get(turn).filter(|l| l.role == Role::Customer)?;
    let text = f(&line.text).filter(|t| *t != line.text)?;
    let mut out = lines.to_vec();
    out[turn].text = text;
    Some(out)
}

/// ä → ae, ö → oe, ü → ue, ß → ss (both cases).
pub fn fold_umlauts(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'Ä' => out.push_str("Ae"),
            'Ö' => out.push_str("Oe"),
            'Ü' => out.push_str("Ue"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// One edit (deletion, doubling or substitution of an inner letter) in a word, chosen by `n`.
/// Words shorter than 4 letters stay as they are.
pub fn typo_word(word: &str, n: usize) -> String {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 4 {
        return word.to_string();
    }
    // An inner position: never the first letter (people rarely mistype it) nor the last.
    let at = 1 + (n * 5 + 2) % (chars.len() - 2);
    let mut out: Vec<char> = chars.clone();
    match n % 3 {
        0 => {
            out.remove(at);
        }
        1 => out.insert(at, chars[at]),
        _ => {
            let c = chars[at];
            out[at] = match c {
                'a' => 'e',
                'e' => 'r',
                'i' => 'o',
                'o' => 'i',
                'u' => 'z',
                'r' => 't',
                'n' => 'm',
                's' => 'a',
                't' => 'z',
                other if other.is_alphabetic() => 'e',
                other => other,
            };
        }
    }
    out.into_iter().collect()
}

/// One typo in the longest word of at least 5 letters.
fn typo_in_longest(text: &str, n: usize) -> Option<String> {
    let (start, word) = text
        .split(|c: char| !c.is_alphabetic())
        .scan(0usize, |pos, w| {
            let start = *pos;
            *pos += w.len() + 1;
            Some((start, w))
        })
        .filter(|(_, w)| w.chars().count() >= 5)
        .max_by_key(|(start, w)| (w.chars().count(), usize::MAX - start))?;
    let mut out = String::with_capacity(text.len() + 2);
    out.push_str(&text[..start]);
    out.push_str(&typo_word(word, n));
    out.push_str(&text[start + word.len()..]);
    Some(out)
}

/// Emoji that carry no complaint and no praise of their own.
const EMOJI: &[&str] = &["🙏", "📱", "📄", "✉️", "🏠", "💬"];

fn add_emoji(text: &str, n: usize) -> String {
    format!("{text} {}", EMOJI[n % EMOJI.len()])
}

/// Sie ↔ du in German, formal ↔ casual in English: whichever the text uses is switched.
pub fn switch_register(text: &str, lang: Lang) -> String {
    let (forward, backward) = match lang {
        Lang::De => (SIE_TO_DU, DU_TO_SIE),
        Lang::En => (FORMAL_TO_CASUAL, CASUAL_TO_FORMAL),
    };
    let switched = replace_all(text, forward);
    if switched != text {
        return switched;
    }
    replace_all(text, backward)
}

fn replace_all(text: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (from, to) in pairs {
        out = replace_words(&out, from, to);
    }
    out
}

/// Replaces `from` where it stands as whole words.
fn replace_words(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        let bounded = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&rest[..at]);
        if bounded(before) && bounded(after) {
            out.push_str(to);
        } else {
            out.push_str(from);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

const SIE_TO_DU: &[(&str, &str)] = &[
    ("Können Sie", "Kannst du"),
    ("können Sie", "kannst du"),
    ("Könnten Sie", "Könntest du"),
    ("könnten Sie", "könntest du"),
    ("Verbinden Sie", "Verbinde"),
    ("verbinden Sie", "verbinde"),
    ("Stellen Sie", "Stell"),
    ("stellen Sie", "stell"),
    ("Leiten Sie", "Leite"),
    ("leiten Sie", "leite"),
    ("Schicken Sie", "Schick"),
    ("schicken Sie", "schick"),
    ("Sagen Sie", "Sag"),
    ("sagen Sie", "sag"),
    ("Haben Sie", "Hast du"),
    ("haben Sie", "hast du"),
    ("Sind Sie", "Bist du"),
    ("sind Sie", "bist du"),
    ("Wissen Sie", "Weißt du"),
    ("Sie müssen", "Du musst"),
    ("Sie haben", "Du hast"),
    ("Sie sind", "Du bist"),
    ("Sie können", "Du kannst"),
    ("Sperren Sie", "Sperr"),
    ("sperren Sie", "sperr"),
    ("Kündigen Sie", "Kündige"),
    ("kündigen Sie", "kündige"),
    ("Helfen Sie", "Hilf"),
    ("helfen Sie", "hilf"),
    ("Übernehmen Sie", "Übernimmst du"),
    ("Bezahlen Sie", "Bezahlst du"),
    ("Geben Sie", "Gib"),
    ("geben Sie", "gib"),
    ("Rufen Sie", "Ruf"),
    ("rufen Sie", "ruf"),
    ("Ihnen", "dir"),
    ("Ihrem", "deinem"),
    ("Ihren", "deinen"),
    ("Ihrer", "deiner"),
    ("Ihre", "deine"),
    ("Ihr", "dein"),
];

const DU_TO_SIE: &[(&str, &str)] = &[
    ("Kannst du", "Können Sie"),
    ("kannst du", "können Sie"),
    ("Könntest du", "Könnten Sie"),
    ("Du musst", "Sie müssen"),
    ("du musst", "Sie müssen"),
    ("Könnt ihr", "Können Sie"),
    ("könnt ihr", "können Sie"),
    ("Habt ihr", "Haben Sie"),
    ("habt ihr", "haben Sie"),
    ("Ihr seid", "Sie sind"),
    ("ihr seid", "Sie sind"),
    ("Hast du", "Haben Sie"),
    ("hast du", "haben Sie"),
    ("Bist du", "Sind Sie"),
    ("bist du", "sind Sie"),
    ("Du hast", "Sie haben"),
    ("du hast", "Sie haben"),
    ("sag mir", "sagen Sie mir"),
    ("Sag mir", "Sagen Sie mir"),
    ("hol mir", "holen Sie mir"),
    ("schick mir", "schicken Sie mir"),
    ("Schick mir", "Schicken Sie mir"),
    ("dir", "Ihnen"),
    ("deinem", "Ihrem"),
    ("deinen", "Ihren"),
    ("deiner", "Ihrer"),
    ("deine", "Ihre"),
    ("dein", "Ihr"),
    ("euch", "Ihnen"),
    ("eure", "Ihre"),
    ("euer", "Ihr"),
];

const FORMAL_TO_CASUAL: &[(&str, &str)] = &[
    ("Could you please", "can u"),
    ("Can you please", "can u"),
    ("Could you", "could u"),
    ("Can you", "can u"),
    ("can you", "can u"),
    ("I would like to", "i wanna"),
    ("I'd like to", "i wanna"),
    ("I want to", "i wanna"),
    ("Thank you", "thx"),
    ("thank you", "thx"),
    ("please", "pls"),
    ("Please", "pls"),
    ("I don't", "i dont"),
    ("I'm", "im"),
];

const CASUAL_TO_FORMAL: &[(&str, &str)] = &[
    ("pls", "please"),
    ("plz", "please"),
    ("thx", "thank you"),
    ("u", "you"),
    ("dont", "don't"),
    ("cant", "can't"),
    ("im", "I'm"),
    ("wanna", "want to"),
    ("gimme", "give me"),
    ("i", "I"),
];
