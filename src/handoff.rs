//! Builds the handoff context: everything the agent needs so the customer never repeats themselves.
//!
//! - `collect` runs on every turn: entities from the bot's NLU and from customer text, and the
//!   bot's actions (what it tried), kept in the conversation state.
//! - `build_context` runs when a handoff opens: transcript with per-turn signals, summary, entities,
//!   emotion timeline, profile, channel, language and time since the first problem, masked as the
//!   tenant's redaction policy says.

pub mod entities;
pub mod redact;
mod summary;

use crate::domain::{
    Attempt, CollectedEntity, ConversationState, Decision, EmotionPoint, EmotionTimeline,
    HandoffContext, Role, Turn,
};
use crate::engine::transcript_turn;
use crate::policy::Redaction;

/// Bot actions kept for the summary.
const MAX_ATTEMPTS: usize = 20;
/// Entities kept per conversation.
const MAX_ENTITIES: usize = 100;

/// Records what this turn adds to the context: entities (NLU and text) and the bot's action.
pub fn collect(state: &mut ConversationState, turn: &Turn) {
    let mut add = |kind: &str, value: &str, source: &str| {
        let known = state
            .entities
            .iter()
            .any(|c| c.kind == kind && c.value == value);
        if !known && !value.trim().is_empty() && state.entities.len() < MAX_ENTITIES {
            state.entities.push(CollectedEntity {
                kind: kind.to_string(),
                value: value.to_string(),
                turn_id: turn.turn_id.clone(),
                source: source.into(),
            });
        }
    };
    if let Some(nlu) = &turn.nlu {
        for e in &nlu.entities {
            add(&e.name, &e.value, "nlu");
        }
    }
    if turn.role == Role::Customer {
        for f in entities::find(&turn.text) {
            add(f.kind, &f.value, "text");
        }
    }
    if let Some(bot) = &turn.bot
        && !bot.action.is_empty()
    {
        if state.attempts.len() >= MAX_ATTEMPTS {
            state.attempts.remove(0);
        }
        state.attempts.push(Attempt {
            turn_id: turn.turn_id.clone(),
            action: bot.action.clone(),
            failed: bot.action_failed,
        });
    }
}

/// The context of a handoff opened by `decision` after `turn`.
pub fn build_context(
    state: &ConversationState,
    turn: &Turn,
    decision: &Decision,
    redaction: Redaction,
) -> HandoffContext {
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
        transcript: state.recent.iter().map(transcript_turn).collect(),
        reasons: decision.reasons.clone(),
        summary: summary::summary(state, decision, redaction),
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
        metadata: turn.metadata.clone(),
    };
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
    }
    context
}

/// Masks what a decision repeats of customer text when the tenant masks everywhere.
pub fn redact_decision(decision: &mut Decision, redaction: Redaction) {
    if redaction == Redaction::All {
        redact::reasons(&mut decision.reasons);
    }
}

#[cfg(test)]
mod tests;
