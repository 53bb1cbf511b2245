//! Text and metadata of one turn -> `Signals`. Pure: no I/O, no async, patterns compiled once.
//!
//! `Detector::new` compiles every lexicon; `detect` is called on the hot path of every turn.

use crate::domain::{Hit, Lang, Role, SignalKind, Signals, Turn, TurnRecord};
use regex::Regex;

/// The compiled lexicons of both languages. Cheap to share (`Arc<Detector>`).
pub struct Detector {
    human: Regex,
    negation: Regex,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    pub fn new() -> Self {
        Detector {
            human: Regex::new(
                r"(?i)\b(mitarbeiter\w*|mensch\w*|berater\w*|agent|human|person|representative|operator)\b",
            )
            .expect("human lexicon compiles"),
            negation: Regex::new(r"(?i)\b(no|not|don'?t|kein\w*|nicht|nein)\b")
                .expect("negation lexicon compiles"),
        }
    }

    /// Scores one turn given the conversation's recent history (oldest first).
    pub fn detect(&self, turn: &Turn, _history: &[TurnRecord]) -> Signals {
        let mut signals = Signals {
            language: turn.language_hint.unwrap_or(Lang::En),
            ..Default::default()
        };
        match turn.role {
            Role::Customer => {
                if let Some(m) = self.human.find(&turn.text)
                    && !self.negation.is_match(&turn.text[..m.start()])
                {
                    signals.hits.push(Hit {
                        kind: SignalKind::ExplicitRequest,
                        weight: 1.0,
                        matched: m.as_str().to_string(),
                    });
                }
                if turn.nlu.as_ref().is_some_and(|n| n.fallback) {
                    signals
                        .hits
                        .push(meta(SignalKind::BotFallback, "nlu.fallback"));
                }
            }
            Role::Bot => {
                if let Some(bot) = &turn.bot {
                    if bot.fallback {
                        signals
                            .hits
                            .push(meta(SignalKind::BotFallback, "bot.fallback"));
                    }
                    if bot.action_failed {
                        signals
                            .hits
                            .push(meta(SignalKind::ActionFailed, "bot.action_failed"));
                    }
                }
            }
            Role::Agent | Role::System => {}
        }
        signals.failure = if signals.hits.iter().any(|h| h.kind.is_failure()) {
            1.0
        } else {
            0.0
        };
        signals
    }
}

fn meta(kind: SignalKind, label: &str) -> Hit {
    Hit {
        kind,
        weight: 1.0,
        matched: label.to_string(),
    }
}
