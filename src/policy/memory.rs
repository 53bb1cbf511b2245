//! The conversation's emotional memory in the spirit of the peak-end rule.

use crate::domain::{
    Assessment, Escalation, Memory, Reason, ReasonCode, Role, Scores, SignalKind, Signals, Turn,
};

/// Updates the memory with one turn's signals and recommends an escalation level.
pub fn assess(memory: &mut Memory, turn: &Turn, signals: &Signals) -> Assessment {
    let mut reasons = Vec::new();
    let mut escalation = Escalation::None;
    if let Some(hit) = signals.strongest(SignalKind::ExplicitRequest) {
        reasons.push(reason(ReasonCode::ExplicitRequest, turn, &hit.matched));
        escalation = Escalation::Handoff;
    }
    if signals.failure > 0.0 {
        memory.failure_count += 1;
        memory.failures += 1.0;
        if memory.first_problem_ms.is_none() {
            memory.first_problem_ms = Some(turn.time_ms);
        }
    } else if turn.role == Role::Customer {
        memory.failures = 0.0;
    }
    if memory.failures >= 2.0 {
        reasons.push(reason(
            ReasonCode::BotFallback,
            turn,
            "consecutive failures",
        ));
        escalation = escalation.max(Escalation::Handoff);
    }
    memory.level = escalation;
    Assessment {
        alert: !reasons.is_empty() || signals.failure > 0.0,
        escalation,
        reasons,
        scores: Scores {
            failure: signals.failure,
            failure_count: memory.failure_count,
            ..Default::default()
        },
    }
}

fn reason(code: ReasonCode, turn: &Turn, matched: &str) -> Reason {
    Reason {
        code,
        detail: String::new(),
        weight: 1.0,
        turn_ids: vec![turn.turn_id.clone()],
        matched: vec![matched.to_string()],
    }
}

/// After a handoff ends and the bot owns the conversation again, start from a calm memory so the
/// same old evidence does not hand off again at once; the peak is kept for the record.
pub fn reset_after_handoff(memory: &mut Memory) {
    memory.escalation = 0.0;
    memory.smoothed = 0.0;
    memory.trend = 0.0;
    memory.failures = 0.0;
    memory.level = Escalation::None;
    memory.turns_at_level = 0;
    memory.reasons.clear();
}
