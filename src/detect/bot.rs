//! Bot turns: the platform's own failure metadata, replies that admit failure, replies that repeat
//! an earlier one (a loop), and replies that ignore what the customer just said.

use super::context;
use super::customer::hit;
use super::lexicon::{Cat, Found};
use super::normalize::Folded;
use crate::domain::{Hit, Role, SignalKind, Turn, TurnRecord};

/// Evidence label of a reply that shares nothing with the customer's last turn.
pub const OFF_TOPIC: &str = "bot.off_topic";

pub fn read(turn: &Turn, f: &Folded, found: &[Found], history: &[TurnRecord], hits: &mut Vec<Hit>) {
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
    let admits = found
        .iter()
        .filter_map(|m| match m.cat {
            Cat::BotFail(w) => Some((w, m)),
            _ => None,
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((w, m)) = admits {
        hits.push(hit(
            SignalKind::BotFallback,
            w * 0.6,
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
    if let Some(earlier) = same_text {
        hits.push(hit(
            SignalKind::BotLoop,
            0.9,
            format!("same reply as turn {}", earlier.turn_id),
        ));
    } else if words.len() >= 3
        && let Some((sim, earlier)) = context::most_similar(&words, history, Role::Bot, 6)
        && sim >= 0.75
    {
        hits.push(hit(
            SignalKind::BotLoop,
            0.8 * sim,
            format!("like reply at turn {}", earlier.turn_id),
        ));
    }
}
