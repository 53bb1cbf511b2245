//! Builds the handoff context: everything the agent needs so the customer never repeats themselves.
//!
//! - `collect` runs on every turn: entities from the bot's NLU and from customer text (merged when
//!   both give the same value), metadata merged over the turns, and what the bot really did
//!   (actions, fallbacks, misunderstandings, humans offered and declined), kept in the state.
//! - `build_context` runs when a handoff opens: transcript with per-turn signals, summary (goal,
//!   tried, reason, an opening line by situation), entities, emotion timeline, profile, channel,
//!   language, metadata and time since the first problem, masked as the tenant's policy says.
//! - `append_waiting` adds what the customer writes while the handoff is pending.
//! - `view` renders the context as the agent reads it (the golden tests, the README).

pub mod bound;
mod cues;
pub mod entities;
mod opening;
mod personal;
mod reason;
pub mod redact;
mod summary;
pub mod view;

use crate::domain::{
    Attempt, AttemptKind, CollectedEntity, ConversationState, Decision, EmotionPoint,
    EmotionTimeline, HandoffContext, Role, SignalKind, Signals, TranscriptTurn, Turn, TurnRecord,
};
use crate::policy::{Redaction, TenantPolicy};

/// Bot actions kept for the summary.
const MAX_ATTEMPTS: usize = 20;
/// Entities kept per conversation.
const MAX_ENTITIES: usize = 100;
/// Metadata keys kept per conversation (merged over its turns).
const MAX_METADATA: usize = 64;

/// Records what this turn adds to the context: entities (NLU and text, the same value from both
/// merged), merged metadata, and what the bot really did (actions, fallbacks, misunderstandings,
/// the customer's answer to an offered human).
pub fn collect(state: &mut ConversationState, turn: &Turn, signals: &Signals) {
    let mut add = |kind: &str, value: &str, source: &str| {
        if value.trim().is_empty() {
            return;
        }
        let key = normal(value);
        let full = state.entities.len() >= MAX_ENTITIES;
        match state.entities.iter_mut().find(|c| normal(&c.value) == key) {
            // The same value from the NLU and from the text: one entity, the NLU's name.
            Some(c) if c.source != source && !c.source.contains(source) => {
                c.source = format!("{}+{source}", c.source);
                if source == "nlu" {
                    c.kind = kind.to_string();
                }
            }
            Some(_) => {}
            None if !full => {
                state.entities.push(CollectedEntity {
                    kind: kind.to_string(),
                    value: value.to_string(),
                    turn_id: turn.turn_id.clone(),
                    source: source.into(),
                });
            }
            None => {}
        }
    };
    if let Some(nlu) = &turn.nlu {
        for e in &nlu.entities {
            add(&e.name, &e.value, "nlu");
        }
    }
    if turn.role == Role::Customer {
        for f in entities::find(&turn.text) {
            if f.kind != "person" {
                add(f.kind, &f.value, "text");
            }
        }
    }
    for (k, v) in &turn.metadata {
        if state.metadata.len() < MAX_METADATA || state.metadata.contains_key(k) {
            state.metadata.insert(k.clone(), v.clone());
        }
    }
    let mut attempt = |action: &str, failed: bool, kind: AttemptKind| {
        if state.attempts.len() >= MAX_ATTEMPTS {
            state.attempts.remove(0);
        }
        state.attempts.push(Attempt {
            turn_id: turn.turn_id.clone(),
            action: action.to_string(),
            failed,
            kind,
        });
    };
    match turn.role {
        Role::Bot => {
            if let Some(bot) = &turn.bot
                && !bot.action.is_empty()
            {
                attempt(&bot.action, bot.action_failed, AttemptKind::Action);
            }
            // Flagged by the platform, or the reply admits it; not a reply merely off the topic.
            let fallback = signals.hits.iter().any(|h| {
                h.kind == SignalKind::BotFallback
                    && h.matched != crate::detect::bot::OFF_TOPIC
                    && h.weight >= 0.3
            });
            if fallback {
                attempt("fallback", false, AttemptKind::Fallback);
            }
            if BOT_OFFER.is_match(&turn.text) {
                attempt("offer_handoff", false, AttemptKind::Offer);
            }
        }
        Role::Customer => {
            if turn.nlu.as_ref().is_some_and(|n| n.fallback) {
                attempt("not_understood", false, AttemptKind::NotUnderstood);
            }
            answer_offer(state, turn, signals);
        }
        Role::Agent | Role::System => {}
    }
}

/// A bot reply offering a human ("Would you like me to connect you with a colleague?").
static BOT_OFFER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)(?:would you like|do you want|shall i|should i|möchten sie|wollen sie|möchtest du|willst du|soll ich|darf ich)[^.?!]{0,50}(?:colleague|agent|human|person|someone|representative|mitarbeiter|kolleg|mensch|jemand)",
    )
    .expect("offer pattern compiles")
});

/// A value as compared for duplicates: letters and digits only, lower-case.
fn normal(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_alphanumeric() || *c == '@')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Marks an offered human as declined when the customer's first answer after it says no.
fn answer_offer(state: &mut ConversationState, turn: &Turn, signals: &Signals) {
    let Some(offer) = state.attempts.last() else {
        return;
    };
    if offer.kind != AttemptKind::Offer || offer.failed {
        return;
    }
    // The first customer turn after the offer: the history holds no other one after it.
    let after = state
        .recent
        .iter()
        .skip_while(|r| r.turn_id != offer.turn_id)
        .skip(1)
        .filter(|r| r.role == Role::Customer && r.turn_id != turn.turn_id)
        .count();
    let seen = state.recent.iter().any(|r| r.turn_id == offer.turn_id);
    if !seen || after > 0 || signals.has(SignalKind::ExplicitRequest) {
        return;
    }
    let deny = turn.nlu.as_ref().is_some_and(|n| n.intent == "deny") || declines(&turn.text);
    if deny && let Some(last) = state.attempts.last_mut() {
        last.failed = true;
    }
}

fn declines(text: &str) -> bool {
    let t = text.trim_start().to_lowercase();
    let first = t.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    matches!(first, "no" | "nope" | "nah" | "nein" | "nee" | "ne" | "nö")
        || [
            "not now",
            "no thanks",
            "lieber nicht",
            "jetzt nicht",
            "nicht nötig",
            "not necessary",
        ]
        .iter()
        .any(|p| t.contains(p))
}

/// The context of a handoff opened by `decision` after `turn`.
pub fn build_context(
    state: &ConversationState,
    turn: &Turn,
    decision: &Decision,
    policy: &TenantPolicy,
) -> HandoffContext {
    let redaction = policy.redaction;
    let points: Vec<EmotionPoint> = state
        .recent
        .iter()
        .map(|r| EmotionPoint {
            turn_id: r.turn_id.clone(),
            negative: r.negative,
            escalation: r.escalation,
        })
        .collect();
    let peak = points
        .iter()
        .filter(|p| p.negative > 0.0)
        .max_by(|a, b| a.negative.total_cmp(&b.negative))
        .cloned();
    let first_problem = state.memory.first_problem_ms.unwrap_or(turn.time_ms);
    let mut context = HandoffContext {
        transcript: state.recent.iter().map(|r| r.transcript_line()).collect(),
        reasons: decision.reasons.clone(),
        summary: summary::summary(state, decision, policy),
        entities: state.entities.clone(),
        emotion_timeline: EmotionTimeline {
            current: decision.scores.escalation,
            points,
            peak,
        },
        customer: state.customer.clone(),
        channel: state.channel,
        language: decision.route.language.clone(),
        seconds_since_first_problem: ((turn.time_ms - first_problem).max(0) as f64) / 1000.0,
        route: decision.route.clone(),
        priority: decision.priority,
        metadata: state.metadata.clone(),
        waiting_turn_ids: Vec::new(),
    };
    mask(&mut context, redaction);
    context
}

/// Appends a customer turn that arrived while the handoff was pending to its context: the
/// transcript line, entities and metadata collected since. Returns false for other turns.
pub fn append_waiting(
    context: &mut HandoffContext,
    state: &ConversationState,
    turn: &Turn,
    policy: &TenantPolicy,
) -> bool {
    if turn.role != Role::Customer {
        return false;
    }
    let Some(record) = state
        .recent
        .iter()
        .rev()
        .find(|r| r.turn_id == turn.turn_id)
    else {
        return false;
    };
    context
        .transcript
        .push(transcript_line(record, policy.redaction));
    context.waiting_turn_ids.push(turn.turn_id.clone());
    let mut entities = state.entities.clone();
    let mut metadata = state.metadata.clone();
    if policy.redaction == Redaction::All {
        redact::entities(&mut entities);
        for v in metadata.values_mut() {
            *v = redact::text(v);
        }
    }
    context.entities = entities;
    context.metadata = metadata;
    true
}

/// A history turn as a transcript line, its text masked unless the tenant's redaction is `None`.
pub fn transcript_line(record: &TurnRecord, redaction: Redaction) -> TranscriptTurn {
    let mut line = record.transcript_line();
    if redaction != Redaction::None {
        line.text = redact::text(&line.text);
    }
    line
}

/// Masks the context as the tenant's redaction mode says.
fn mask(context: &mut HandoffContext, redaction: Redaction) {
    if redaction != Redaction::None {
        for t in &mut context.transcript {
            t.text = redact::text(&t.text);
        }
    }
    if redaction == Redaction::All {
        redact::entities(&mut context.entities);
        redact::reasons(&mut context.reasons);
        for v in context.metadata.values_mut() {
            *v = redact::text(v);
        }
        if let Some(c) = &mut context.customer {
            for v in c.attributes.values_mut() {
                *v = redact::text(v);
            }
        }
    } else {
        redact::reasons_evidence(&mut context.reasons);
    }
}

/// Masks what a decision repeats of customer text: personal data when the tenant masks
/// everywhere, and in every mode the digits of entities in the matched evidence.
pub fn redact_decision(decision: &mut Decision, redaction: Redaction) {
    if redaction == Redaction::All {
        redact::reasons(&mut decision.reasons);
    } else {
        redact::reasons_evidence(&mut decision.reasons);
    }
}

#[cfg(test)]
mod tests;
