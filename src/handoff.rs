//! Builds the handoff context: everything the agent needs so the customer never repeats themselves.

use crate::domain::{
    CollectedEntity, ConversationState, Decision, EmotionPoint, EmotionTimeline, HandoffContext,
    Summary, Turn,
};
use crate::engine::transcript_turn;

/// Adds the entities of this turn (from the bot's NLU) to the conversation.
pub fn collect_entities(state: &mut ConversationState, turn: &Turn) {
    if let Some(nlu) = &turn.nlu {
        for e in &nlu.entities {
            let known = state
                .entities
                .iter()
                .any(|c| c.kind == e.name && c.value == e.value);
            if !known {
                state.entities.push(CollectedEntity {
                    kind: e.name.clone(),
                    value: e.value.clone(),
                    turn_id: turn.turn_id.clone(),
                    source: "nlu".into(),
                });
            }
        }
    }
}

/// The context of a handoff opened by `decision` after `turn`.
pub fn build_context(
    state: &ConversationState,
    turn: &Turn,
    decision: &Decision,
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
        .max_by(|a, b| a.negative.total_cmp(&b.negative))
        .cloned();
    let first_problem = state.memory.first_problem_ms.unwrap_or(turn.time_ms);
    HandoffContext {
        transcript: state.recent.iter().map(transcript_turn).collect(),
        reasons: decision.reasons.clone(),
        summary: Summary {
            reason: decision
                .reasons
                .first()
                .map(|r| r.code.label().replace('_', " "))
                .unwrap_or_default(),
            ..Default::default()
        },
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
    }
}
