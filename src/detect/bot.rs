//! Bot turns: the platform's own failure metadata, replies that admit failure, replies that repeat
//! an earlier one (a loop), and replies that ignore what the customer just said.

use super::context;
use super::customer::hit;
use super::lexicon::{Cat, Found};
use super::normalize::Folded;
use crate::domain::{Hit, Role, SignalKind, Turn, TurnRecord};
use std::sync::Arc;

/// Evidence label of a reply that shares nothing with the customer's last turn.
pub const OFF_TOPIC: &str = "bot.off_topic";

pub fn read(
    turn: &Turn,
    f: &Folded,
    found: &[Found],
    history: &[Arc<TurnRecord>],
    hits: &mut Vec<Hit>,
) {
    if let Some(bot) = &turn.bot {
        if bot.fallback {
            hits.push(hit(SignalKind::BotFallback, 1.0, "bot.fallback".into()));
        }
        if bot.action_failed {
            hits.push(hit(
                SignalKind::ActionFailed,
                1.0,
                "bot.action_failed".into(),
            ));
        }
    }
    if offers_human(turn, f, found) {
        hits.push(hit(SignalKind::BotOffer, 1.0, "bot.offer".into()));
    }
    let admits = found
        .iter()
        .filter_map(|m| match m.cat {
            Cat::BotFail(w) => Some((w, m)),
            _ => None,
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((w, m)) = admits {
        // "I didn't understand", "Das habe ich nicht verstanden": a fallback in all but name, as
        // hard as one the platform flags. Softer admissions ("sorry", "leider nicht") count less.
        hits.push(hit(
            SignalKind::BotFallback,
            if w >= 0.8 { 0.85 } else { w * 0.6 },
            f.original(&turn.text, m.start, m.end).to_string(),
        ));
    }
    let words = context::content(&turn.text);
    if let Some(last) = history.last().filter(|r| r.role == Role::Customer) {
        // A reply sharing no content word with what the customer just said may ignore it.
        let asked = context::content(&last.text);
        if !asked.is_empty() && words.len() >= 2 && context::shared(&asked, &words) == 0 {
            hits.push(hit(SignalKind::BotFallback, 0.35, OFF_TOPIC.into()));
        }
    }
    let same_text = history
        .iter()
        .rev()
        .filter(|r| r.role == Role::Bot)
        .take(6)
        .find(|r| r.text.trim().eq_ignore_ascii_case(turn.text.trim()));
    let link_again = || {
        links(&turn.text).find_map(|link| {
            history
                .iter()
                .rev()
                .filter(|r| r.role == Role::Bot)
                .take(6)
                .find(|r| links(&r.text).any(|l| l.eq_ignore_ascii_case(link)))
        })
    };
    let asked_again = || {
        history
            .iter()
            .rev()
            .find(|r| r.role == Role::Customer)
            .is_some_and(|r| asks_to_repeat(&r.text))
    };
    // A loop: the same reply, the same link in other words (the same template with other slot
    // values), or a reply much like an earlier one; not when the customer asked to hear it again.
    let repeated = if let Some(earlier) = same_text {
        Some((0.9, format!("same reply as turn {}", earlier.turn_id)))
    } else if let Some(earlier) = link_again() {
        Some((0.85, format!("same link as turn {}", earlier.turn_id)))
    } else if words.len() >= 3
        && let Some((sim, earlier)) = context::most_similar(&words, history, Role::Bot, 6)
        && sim >= 0.75
    {
        Some((0.8 * sim, format!("like reply at turn {}", earlier.turn_id)))
    } else {
        None
    };
    if let Some((weight, matched)) = repeated
        && !asked_again()
    {
        hits.push(hit(SignalKind::BotLoop, weight, matched));
    }
}

/// Web addresses in a text ("example.co.uk/claim", "https://x.de/a"), without the scheme and
/// trailing punctuation (compared ignoring ASCII case; nothing is allocated).
fn links(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split_whitespace().filter_map(|w| {
        // Trimming adds no dot: a word without one is no link.
        if !w.contains('.') {
            return None;
        }
        let w = w.trim_end_matches(['.', ',', ')', '!', '?', ':', ';']);
        let w = w.trim_start_matches(['(', '\'']);
        let w = strip_all(strip_all(strip_all(w, "https://"), "http://"), "www.");
        let dot = w.find('.')?;
        let host_ok = w[..dot]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && dot > 0
            && w[dot + 1..]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic());
        (host_ok && (w.contains('/') || w.len() >= 6) && !w.contains('@')).then_some(w)
    })
}

/// `text` without every leading `prefix` (as `trim_start_matches`, without building a searcher).
fn strip_all<'a>(mut text: &'a str, prefix: &str) -> &'a str {
    while let Some(rest) = text.strip_prefix(prefix) {
        text = rest;
    }
    text
}

/// The customer asked to hear the last answer again ("say that again", "nochmal bitte").
fn asks_to_repeat(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "say that again",
        "say it again",
        "repeat",
        "slower",
        "wiederhol",
        "nochmal sagen",
        "noch mal sagen",
        "langsamer",
        "one more time",
        "come again",
        "nochmal bitte",
        "noch einmal bitte",
        "once more",
    ]
    .iter()
    .any(|k| t.contains(k))
        && t.split_whitespace().count() <= 14
}

/// The bot offers a human or a callback: its action says so (`offer_handoff`, `offer_callback`),
/// or it asks a question (or shows a menu) naming a person and a way to reach one ("Would you like
/// me to connect you with a colleague?", "Soll ich Sie mit einer Beraterin verbinden?").
fn offers_human(turn: &Turn, f: &Folded, found: &[Found]) -> bool {
    if let Some(action) = turn.bot.as_ref().map(|b| b.action.to_ascii_lowercase())
        && action.contains("offer")
        && [
            "handoff", "human", "agent", "callback", "transfer", "escalat",
        ]
        .iter()
        .any(|k| action.contains(k))
    {
        return true;
    }
    let t = f.text.as_str();
    let menu = t.contains("1\u{fe0f}\u{20e3}") || t.contains("\n1") || t.contains(" 1)");
    if !t.contains('?') && !menu {
        return false;
    }
    let person = found
        .iter()
        .any(|m| matches!(m.cat, Cat::Human | Cat::Someone))
        || t.contains(" team");
    let reach = found
        .iter()
        .any(|m| matches!(m.cat, Cat::Ask | Cat::HumanPhrase));
    person && reach
}
