//! Text and metadata of one turn -> `Signals`. Pure: no I/O, no async, patterns compiled once.
//!
//! `Detector::new` compiles the German and English lexicons into one aho-corasick automaton over a
//! folded copy of the text (lowercase, umlauts as ae/oe/ue, ß as ss); `detect` makes one pass over
//! the turn, then applies negation scope, intensifiers, sarcasm and typography (`customer`), bot
//! failure cues (`bot`), and what the history says about repeats and loops (`context`).

pub mod bot;
mod context;
mod cues;
mod customer;
mod lexicon;
mod lexicon_de;
mod lexicon_en;
pub mod model;
mod normalize;
mod scope;
#[cfg(test)]
mod tests;

use crate::domain::{Emotion, Hit, Lang, Role, SignalKind, Signals, Stake, Turn, TurnRecord};
use customer::hit;
use lexicon::{Found, Lexicon};
use model::{Head, Model};
use std::sync::Arc;

/// NLU confidence below which a customer turn counts as poorly understood.
const LOW_CONFIDENCE: f32 = 0.4;

/// The compiled lexicons of both languages. Cheap to share (`Arc<Detector>`).
pub struct Detector {
    lexicon: Lexicon,
    model: Option<Arc<Model>>,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    /// The lexicons and the built-in learned model.
    pub fn new() -> Self {
        let model = Model::from_bytes(model::BUILTIN).expect("the built-in model decodes");
        Self::with_model(Some(Arc::new(model)))
    }

    /// The lexicons and the given model (None: the rules decide alone).
    pub fn with_model(model: Option<Arc<Model>>) -> Self {
        Detector {
            lexicon: Lexicon::compile(&[(lexicon_en::EN, Lang::En), (lexicon_de::DE, Lang::De)]),
            model,
        }
    }

    /// The lexicons and the model encoded in `bytes` (None: the rules decide alone); the error
    /// says why the bytes are not a model.
    pub fn with_model_bytes(bytes: Option<&[u8]>) -> Result<Self, model::ModelError> {
        let model = bytes.map(Model::from_bytes).transpose()?;
        Ok(Self::with_model(model.map(Arc::new)))
    }

    pub fn model(&self) -> Option<&Model> {
        self.model.as_deref()
    }

    /// Heap bytes held by the compiled lexicons (reported by the benchmark).
    pub fn memory_usage(&self) -> usize {
        self.lexicon.automaton.memory_usage()
            + self.lexicon.entries.len() * std::mem::size_of::<lexicon::Entry>()
            + self.model.as_ref().map_or(0, |m| m.memory_usage())
    }

    /// Patterns compiled into the automaton, both languages.
    pub fn pattern_count(&self) -> usize {
        self.lexicon.entries.len()
    }

    /// Scores one turn given the conversation's recent history (oldest first).
    pub fn detect(&self, turn: &Turn, history: &[Arc<TurnRecord>]) -> Signals {
        let folded = normalize::fold(&turn.text);
        let mut found: Vec<Found> = Vec::with_capacity(32);
        // Language markers are counted by the scan and not kept (nothing else reads them).
        let (de, en) = self.lexicon.scan(&folded.text, &mut found);
        let language = turn.language_hint.unwrap_or(if de > en {
            Lang::De
        } else if en > de {
            Lang::En
        } else {
            continuing_language(history)
        });
        // Entries of the other language count only when the turn mixes both, or shows neither.
        let mixed =
            de.min(en) >= 2 || de + en == 0 || (de.min(en) >= 1 && 3 * de.min(en) >= de.max(en));
        found.retain(|m| mixed || m.neutral || m.lang == language);
        let mut hits: Vec<Hit> = Vec::with_capacity(8);
        match turn.role {
            Role::Customer => {
                let typo = cues::read(&turn.text);
                let bot_before = history
                    .last()
                    .filter(|r| r.role == Role::Bot)
                    .map(|r| r.text.as_str());
                let asked = bot_before.map_or(customer::Asked::Nothing, customer::asked);
                customer::read(&turn.text, &folded, &found, typo, asked, &mut hits);
                if let Some((kind, word)) = customer::short_answer(&folded.text, bot_before) {
                    hits.push(hit(kind, 1.0, word));
                }
                if let Some(amount) = cues::large_amount(&turn.text) {
                    hits.push(hit(
                        SignalKind::HighStakes(Stake::LargePurchase),
                        0.6,
                        amount.to_string(),
                    ));
                }
                customer_meta(turn, history, &mut hits);
            }
            Role::Bot => bot::read(turn, &folded, &found, history, &mut hits),
            Role::Agent | Role::System => {}
        }
        let mut signals = Signals {
            language,
            emotion: emotion(&hits),
            failure: noisy_or(
                hits.iter()
                    .filter(|h| h.kind.is_failure())
                    .map(|h| h.weight),
            ),
            hits,
            learned: None,
        };
        if let Some(m) = &self.model
            && let Some(head) = Head::of(turn.role, language)
            && !m.thresholds[head as usize].is_nan()
        {
            let mut features = Vec::with_capacity(96);
            model::features(turn.role, &turn.text, history, &signals, &mut features);
            signals.learned = m.read(head, &features).map(|mut l| {
                if l.alert {
                    l.evidence = m.evidence(turn.role, &turn.text);
                }
                l
            });
        }
        signals
    }
}

/// The language of the conversation so far, when this turn does not say (a bare "ok", "agent").
fn continuing_language(history: &[Arc<TurnRecord>]) -> Lang {
    // Whole words between spaces (or the ends of the text), compared ignoring ASCII case; the two
    // without a trailing space only need to start a word ("bitteschön", "pleased").
    const DE_WORDS: [&str; 6] = ["ich", "und", "nicht", "sie", "der", "die"];
    const EN_WORDS: [&str; 6] = ["the", "and", "you", "i", "to", "is"];
    let (de, en) = history.iter().rev().take(6).fold((0, 0), |(de, en), r| {
        let (mut de_seen, mut en_seen) = (0u8, 0u8);
        let (mut bitte, mut please) = (false, false);
        for word in r.text.split(' ') {
            for (k, w) in DE_WORDS.iter().enumerate() {
                if word.eq_ignore_ascii_case(w) {
                    de_seen |= 1 << k;
                }
            }
            for (k, w) in EN_WORDS.iter().enumerate() {
                if word.eq_ignore_ascii_case(w) {
                    en_seen |= 1 << k;
                }
            }
            let head = |n: usize| word.as_bytes().get(..n).unwrap_or_default();
            bitte |= head(5).eq_ignore_ascii_case(b"bitte");
            please |= head(6).eq_ignore_ascii_case(b"please");
        }
        (
            de + de_seen.count_ones() as usize + usize::from(bitte),
            en + en_seen.count_ones() as usize + usize::from(please),
        )
    });
    if de > en { Lang::De } else { Lang::En }
}

/// NLU metadata and history evidence on a customer turn.
fn customer_meta(turn: &Turn, history: &[Arc<TurnRecord>], hits: &mut Vec<Hit>) {
    if let Some(nlu) = &turn.nlu {
        if nlu.fallback {
            hits.push(hit(SignalKind::BotFallback, 0.5, "nlu.fallback".into()));
        } else if nlu.confidence.is_some_and(|c| c < LOW_CONFIDENCE) {
            hits.push(hit(SignalKind::LowConfidence, 0.3, "nlu.confidence".into()));
        }
    }
    if !history.iter().any(|r| r.role == Role::Customer) {
        return;
    }
    let words = context::content(&turn.text);
    if words.len() >= 2
        && let Some((sim, earlier)) = context::most_similar(&words, history, Role::Customer, 3)
        && sim >= 0.6
    {
        hits.push(hit(
            SignalKind::CustomerRepeat,
            0.3 * sim + 0.2,
            format!("repeats turn {}", earlier.turn_id),
        ));
    }
}

/// Per-emotion intensities: independent evidence combines as a noisy-or.
fn emotion(hits: &[Hit]) -> Emotion {
    let of = |kinds: &[SignalKind]| {
        noisy_or(
            hits.iter()
                .filter(|h| kinds.contains(&h.kind))
                .map(|h| h.weight),
        )
    };
    Emotion {
        frustration: of(&[SignalKind::Frustration, SignalKind::Sarcasm]),
        anger: of(&[SignalKind::Anger, SignalKind::Abuse]),
        anxiety: of(&[SignalKind::Anxiety]),
        sadness: of(&[SignalKind::Sadness]),
        urgency: of(&[SignalKind::Urgency]),
        positive: of(&[SignalKind::Positive]),
    }
}

fn noisy_or(weights: impl Iterator<Item = f32>) -> f32 {
    1.0 - weights.fold(1.0, |acc, w| acc * (1.0 - w.clamp(0.0, 1.0)))
}
