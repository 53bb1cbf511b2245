//! One turn, pure: the conversation before it, the turn and what the moment brings in, to the
//! conversation after it, the decision and the handoff to open, if any.
//!
//! Part of the core with `domain`, `detect`, `policy` and `handoff`: no I/O, no clock, no tokio, no
//! configuration loading. The engine sequences load -> `step` -> commit -> notify for every store;
//! `replay` and `eval` run through the engine, so the same step decides everywhere.

use crate::detect::Detector;
use crate::domain::{
    ConversationState, Decision, Handoff, HandoffEvent, HandoffEventKind, OpenHandoff, Ownership,
    Role, Signals, Turn, TurnRecord,
};
use crate::handoff;
use crate::policy::{self, QueueStatus, TenantPolicy, memory};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a turn is decided with besides the conversation.
pub struct Context<'a> {
    pub detector: &'a Detector,
    /// The tenant's policy.
    pub policy: &'a TenantPolicy,
    /// The tenant's queues as routers last reported them.
    pub queues: &'a BTreeMap<String, QueueStatus>,
    /// Turns of history kept (`limits.history_turns`).
    pub history_turns: usize,
    /// Makes the id of a handoff or an event when one opens (the engine's are time-ordered UUIDs;
    /// passed in so the step itself reads neither clock nor randomness).
    pub new_id: &'a (dyn Fn() -> String + Sync),
}

/// What one turn did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The conversation after the turn: version and turn count one higher.
    pub state: ConversationState,
    pub decision: Decision,
    /// The handoff event to append: a handoff opens, or the open one's context grew while the
    /// customer waits.
    pub event: Option<HandoffEvent>,
    /// What detection read in the turn (the learned model's training reads its features from it).
    pub signals: Signals,
}

/// Detects, assesses, decides and builds the next state (and the handoff context when a handoff
/// opens). The turn's order and novelty are the caller's to check.
pub fn step(mut state: ConversationState, turn: &Turn, cx: &Context) -> Outcome {
    let signals = cx.detector.detect(turn, state.recent.make_contiguous());
    let assessment = memory::assess_with(&mut state.memory, turn, &signals, cx.policy.tuning());
    state.version += 1;
    state.turn_count += 1;
    state.updated_ms = turn.time_ms;
    if turn.role == Role::Customer {
        state.language = Some(signals.language);
        if turn.customer.is_some() {
            state.customer.clone_from(&turn.customer);
        }
    }
    if state.channel == Default::default() {
        state.channel = turn.channel;
    }
    if state.recent.len() >= cx.history_turns.max(1) {
        state.recent.pop_front();
    }
    state.recent.push_back(Arc::new(TurnRecord::of(
        turn,
        &signals,
        assessment.scores.escalation,
    )));
    handoff::collect(&mut state, turn, &signals);
    let moment = policy::Moment {
        policy: cx.policy,
        now_ms: turn.time_ms,
        queues: cx.queues,
    };
    let outcome = policy::decide(&state, &assessment, &moment);
    let mut decision = outcome.decision;
    handoff::redact_decision(&mut decision, cx.policy.redaction);
    decision.sequence = state.turn_count;
    state.last_scores = decision.scores;
    state.last_action = decision.action;
    let mut event = None;
    if outcome.opens_handoff {
        let handoff_id = (cx.new_id)();
        let mut context = handoff::build_context(&state, turn, &decision, cx.policy);
        handoff::bound::fit(&mut context, handoff::bound::MAX_CONTEXT_BYTES);
        let for_bot = Box::new(context.clone());
        let context = Arc::new(context);
        state.ownership = Ownership::PendingHandoff;
        state.open_handoff = Some(OpenHandoff {
            handoff_id: handoff_id.clone(),
            action: decision.action,
            route: decision.route.clone(),
            priority: decision.priority,
            created_ms: turn.time_ms,
            context: Some(Arc::clone(&context)),
        });
        decision.ownership = Ownership::PendingHandoff;
        decision.handoff = Some(Handoff {
            handoff_id: handoff_id.clone(),
            context: Some(for_bot),
        });
        event = Some(HandoffEvent {
            event_id: (cx.new_id)(),
            handoff_id,
            tenant_id: state.tenant_id.clone(),
            conversation_id: state.conversation_id.clone(),
            action: decision.action,
            route: decision.route.clone(),
            priority: decision.priority,
            context,
            created_ms: turn.time_ms,
            redeliveries: 0,
            kind: HandoffEventKind::Opened,
        });
    } else if let Some(mut open) = state.open_handoff.take() {
        // The customer writes while waiting for the agent: the open handoff's context grows and
        // routers get it again as an update of the same handoff.
        // Only a customer's turn grows the context, so only then is a shared one copied.
        if state.ownership == Ownership::PendingHandoff
            && turn.role == Role::Customer
            && let Some(shared) = open.context.as_mut()
            && handoff::append_waiting(Arc::make_mut(shared), &state, turn, cx.policy)
        {
            handoff::bound::fit(Arc::make_mut(shared), handoff::bound::MAX_CONTEXT_BYTES);
            event = Some(HandoffEvent {
                event_id: (cx.new_id)(),
                handoff_id: open.handoff_id.clone(),
                tenant_id: state.tenant_id.clone(),
                conversation_id: state.conversation_id.clone(),
                action: open.action,
                route: open.route.clone(),
                priority: open.priority,
                context: Arc::clone(shared),
                created_ms: turn.time_ms,
                redeliveries: 0,
                kind: HandoffEventKind::Updated,
            });
        }
        decision.handoff = Some(Handoff {
            handoff_id: open.handoff_id.clone(),
            context: None,
        });
        state.open_handoff = Some(open);
    }
    Outcome {
        state,
        decision,
        event,
        signals,
    }
}
