//! The summary for the agent, built without a language model: the customer's request in their own
//! words, what the bot really did, the reason in plain words, and a first line for the agent.

use super::opening;
use crate::domain::{
    AttemptKind, ConversationState, Decision, Lang, Role, Stake, Summary, TurnRecord,
};
use crate::policy::{Redaction, TenantPolicy, voice};
use regex::Regex;
use std::sync::LazyLock;

/// Intents that say nothing about what the customer wants.
const GENERIC: [&str; 14] = [
    "request_human",
    "affirm",
    "deny",
    "thank_you",
    "thanks",
    "goodbye",
    "greet",
    "nlu_fallback",
    "fallback",
    "wait",
    "sad",
    "abuse",
    "complaint_bot",
    "out_of_scope",
];

/// The longest goal line, in characters.
const GOAL_CHARS: usize = 110;

pub fn summary(state: &ConversationState, decision: &Decision, policy: &TenantPolicy) -> Summary {
    let lang = state.language.unwrap_or_default();
    let voice = voice(lang, state.recent.iter().map(|r| &**r));
    let situation = opening::situation(state, decision);
    Summary {
        goal: goal(state, lang, policy),
        tried: tried(state, lang, policy),
        reason: super::reason::line(decision, voice),
        suggested_opening: opening::line(situation, voice, state.channel, &policy.openings),
    }
}

/// The customer's request: the turn that states the problem, in their words, on one line; after the
/// tenant's name for its intent when there is one.
fn goal(state: &ConversationState, lang: Lang, policy: &TenantPolicy) -> String {
    let customer: Vec<&TurnRecord> = state
        .recent
        .iter()
        .filter(|r| r.role == Role::Customer)
        .map(|r| &**r)
        .collect();
    let Some(turn) = stating_turn(&customer) else {
        // Nothing but a greeting or a request for a person so far.
        return match lang {
            Lang::De => "(noch nicht genannt)".into(),
            Lang::En => "(not stated yet)".into(),
        };
    };
    let text = match policy.redaction {
        Redaction::None => turn.text.clone(),
        _ => super::redact::text(&turn.text),
    };
    let words = one_line(&text);
    let names = policy.intent_names.get(lang.tag());
    let named = names.and_then(|n| {
        std::iter::once(turn)
            .chain(customer.iter().copied())
            .find_map(|r| n.get(&r.intent))
    });
    match named {
        Some(name) if words.is_empty() => name.clone(),
        Some(name) => truncate(
            &format!("{name}: {words}"),
            GOAL_CHARS + name.chars().count(),
        ),
        None => words,
    }
}

/// The first customer turn that says what the problem is: one naming a high-stakes topic, else one
/// with a specific intent, else one with enough words of its own (not a greeting, a bare request for
/// a human or "I have a question"), else the first with any.
fn stating_turn<'a>(customer: &[&'a TurnRecord]) -> Option<&'a TurnRecord> {
    let substance = |r: &TurnRecord| content_words(&r.text);
    customer
        .iter()
        .find(|r| r.signals.iter().any(|s| Stake::parse(s).is_some()) && substance(r) >= 2)
        .or_else(|| {
            customer.iter().find(|r| {
                !r.intent.is_empty() && !GENERIC.contains(&r.intent.as_str()) && substance(r) >= 2
            })
        })
        .or_else(|| customer.iter().find(|r| substance(r) >= 3))
        .or_else(|| customer.iter().find(|r| substance(r) >= 1))
        .copied()
}

/// Words that carry no request: greetings, function words, asking for a person or for help.
const EMPTY_WORDS: &[&str] = &[
    "hallo",
    "hello",
    "hey",
    "guten",
    "tag",
    "morgen",
    "abend",
    "moin",
    "servus",
    "good",
    "morning",
    "afternoon",
    "evening",
    "there",
    "the",
    "and",
    "und",
    "you",
    "your",
    "sie",
    "ihr",
    "ihnen",
    "ich",
    "mich",
    "mir",
    "mein",
    "meine",
    "bitte",
    "please",
    "thanks",
    "thank",
    "danke",
    "have",
    "habe",
    "hab",
    "eine",
    "einen",
    "einem",
    "question",
    "frage",
    "can",
    "could",
    "kann",
    "können",
    "koennen",
    "help",
    "helfen",
    "hilfe",
    "need",
    "brauche",
    "want",
    "will",
    "möchte",
    "moechte",
    "would",
    "like",
    "talk",
    "speak",
    "sprechen",
    "reden",
    "human",
    "person",
    "agent",
    "mitarbeiter",
    "mitarbeiterin",
    "mensch",
    "menschen",
    "someone",
    "jemand",
    "jemandem",
    "real",
    "echten",
    "echte",
    "with",
    "mit",
    "not",
    "nicht",
    "bot",
    "this",
    "das",
    "der",
    "die",
    "ist",
    "bin",
    "are",
    "was",
    "for",
    "für",
    "für",
    "get",
    "now",
    "jetzt",
    "sofort",
    "immediately",
    "representative",
    "operator",
    "kollegen",
    "kollegin",
    "verbinden",
    "connect",
    "me",
    "noch",
    "mal",
    "einmal",
    "again",
    "schon",
    "already",
    "just",
    "only",
    "nur",
    "too",
    "auch",
    "also",
];

fn content_words(text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .filter(|w| !empty(w))
        .count()
}

/// One of `EMPTY_WORDS`, in any case (ASCII words lower-cased on the stack).
fn empty(word: &str) -> bool {
    static WORDS: LazyLock<std::collections::HashSet<&str>> = LazyLock::new(|| {
        assert!(
            EMPTY_WORDS.iter().all(|w| w.len() <= 16),
            "empty words fit the buffer"
        );
        EMPTY_WORDS.iter().copied().collect()
    });
    if !word.is_ascii() {
        return WORDS.contains(word.to_lowercase().as_str());
    }
    let mut buf = [0u8; 16];
    let Some(lower) = buf.get_mut(..word.len()) else {
        return false; // longer than any of them
    };
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    std::str::from_utf8(lower).is_ok_and(|w| WORDS.contains(w))
}

static GREETING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:(?:hallo|hello|hi|hey|moin|servus|grüß gott|gruess gott|guten (?:tag|morgen|abend)|good (?:morning|afternoon|evening))(?:\s+(?:there|zusammen|team))?|(?:dear|liebe[rs]?|sehr geehrte[rs]?)\s[^,\n]*)\s*[,!.:;-]*\s*",
    )
    .expect("greeting pattern compiles")
});

/// The request in a turn, on one line: without a leading greeting, from the first sentence that
/// says something; a short one runs on into the next ("My mother died. I need to close her
/// account.").
fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = GREETING.replace(&flat, "");
    let sentences = sentences(&rest);
    let Some(start) = sentences
        .iter()
        .position(|s| content_words(s) >= 2)
        .or((!sentences.is_empty()).then_some(0))
    else {
        return String::new();
    };
    let mut line = sentences[start].to_string();
    if let Some(next) = sentences.get(start + 1)
        && line.chars().count() < 60
        && (content_words(next) >= 2 || next.ends_with('?'))
    {
        line = format!("{line} {next}");
    }
    truncate(&capitalise(&line), GOAL_CHARS)
}

/// Sentences end at `.`, `!` or `?` before a space (not inside "50.000" or "z.B.x").
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let end = matches!(b, b'.' | b'!' | b'?') && bytes.get(i + 1).is_none_or(|n| *n == b' ');
        if end {
            let s = text[start..=i].trim();
            if !s.is_empty() && !s.chars().all(|c| ".!? ".contains(c)) {
                out.push(s);
            }
            start = i + 1;
        }
    }
    let tail = text[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

/// At most `max` characters, cut at a word with "…".
fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => {
            let cut = s[..i].rfind(' ').filter(|&j| j > i / 2).unwrap_or(i);
            format!("{}…", s[..cut].trim_end_matches([',', ';', ' ']))
        }
        None => s.to_string(),
    }
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// What the bot really did, in order: actions (failed or done), fallbacks and misunderstandings
/// with their counts, humans offered (and declined), and a loop with its count.
fn tried(state: &ConversationState, lang: Lang, policy: &TenantPolicy) -> Vec<String> {
    let de = lang == Lang::De;
    let names = policy.intent_names.get(lang.tag());
    // Each line once, in order of first occurrence, with how often it happened.
    let mut lines: Vec<(String, usize)> = Vec::new();
    for a in &state.attempts {
        let name = names.and_then(|n| n.get(&a.action)).unwrap_or(&a.action);
        let line = match (a.kind, a.failed, de) {
            (AttemptKind::Action, true, true) => format!("{name} (fehlgeschlagen)"),
            (AttemptKind::Action, true, false) => format!("{name} (failed)"),
            (AttemptKind::Action, false, true) => format!("{name} (ausgeführt)"),
            (AttemptKind::Action, false, false) => format!("{name} (done)"),
            (AttemptKind::Fallback, _, true) => "Ausweichantwort des Bots".into(),
            (AttemptKind::Fallback, _, false) => "the bot gave a fallback reply".into(),
            (AttemptKind::NotUnderstood, _, true) => "Bot hat die Anfrage nicht verstanden".into(),
            (AttemptKind::NotUnderstood, _, false) => {
                "the bot did not understand the request".into()
            }
            (AttemptKind::Offer, true, true) => "Mitarbeiter angeboten – abgelehnt".into(),
            (AttemptKind::Offer, true, false) => "offered a human – declined".into(),
            (AttemptKind::Offer, false, true) => "Mitarbeiter angeboten".into(),
            (AttemptKind::Offer, false, false) => "offered a human".into(),
        };
        match lines.iter_mut().find(|(l, _)| *l == line) {
            Some((_, n)) => *n += 1,
            None => lines.push((line, 1)),
        }
    }
    let mut out: Vec<String> = lines
        .into_iter()
        .map(|(line, n)| match line.strip_suffix(')') {
            Some(open) if n > 1 => format!("{open}, {n}×)"),
            _ if n > 1 => format!("{line} ({n}×)"),
            _ => line,
        })
        .collect();
    let n = loop_count(state);
    if n >= 2 {
        out.push(if de {
            format!("Bot hat dieselbe Antwort wiederholt ({n}×)")
        } else {
            format!("the bot repeated the same reply ({n}×)")
        });
    }
    out
}

/// How many times the bot gave its most repeated reply (the detector's loop evidence counts too).
fn loop_count(state: &ConversationState) -> usize {
    let bot: Vec<&TurnRecord> = state
        .recent
        .iter()
        .filter(|r| r.role == Role::Bot)
        .map(|r| &**r)
        .collect();
    let key = |r: &TurnRecord| r.text.trim().to_lowercase();
    let same = bot
        .iter()
        .map(|r| bot.iter().filter(|o| key(o) == key(r)).count())
        .max()
        .unwrap_or(0);
    let flagged = bot
        .iter()
        .filter(|r| r.signals.iter().any(|s| s == "bot_loop"))
        .count();
    same.max(if flagged > 0 { flagged + 1 } else { 0 })
}
