//! Sequences one turn: dedupe and order -> detect -> memory and policy -> handoff context -> commit.
//!
//! The engine is the one place that does all of it; the gRPC services, `replay` and the benchmarks
//! all call `Engine::process`. A turn's decision is returned only after its commit.

use crate::detect::Detector;
use crate::domain::{
    ConversationState, Decision, HandoffEvent, HandoffEventKind, HandoffStatus, OpenHandoff,
    Ownership, Role, TranscriptTurn, Turn, TurnReceipt, TurnRecord,
};
use crate::handoff;
use crate::policy::{self, Availability, PolicyHandle, memory};
use crate::state::memory::MemoryStore;
use crate::state::{Commit, CommitResult, SharedStore, StoreError};
use std::sync::Arc;
use tracing::{debug, instrument};

/// How many times a turn is retried when another writer changed the conversation meanwhile.
const MAX_ATTEMPTS: usize = 16;

/// Why a turn or report was refused. Mapped to gRPC status codes in `grpc::error` only.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("sequence {got} skips ahead: expected {expected}")]
    SequenceGap { expected: u64, got: u64 },
    #[error("turn_id {turn_id} was already used for a different turn")]
    ConflictingTurnId { turn_id: String },
    #[error("conversation {0} not found")]
    ConversationNotFound(String),
    #[error("handoff {handoff_id} is not the open handoff of this conversation")]
    HandoffNotOpen { handoff_id: String },
    #[error("handoff status {status} is not allowed while ownership is {ownership}")]
    BadTransition { status: String, ownership: String },
    #[error("too much contention on conversation {0}; retry")]
    Contention(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Engine settings taken from `Config`.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    pub history_turns: usize,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings { history_turns: 50 }
    }
}

/// Cheap to clone; shared by every service.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    detector: Arc<Detector>,
    store: SharedStore,
    settings: EngineSettings,
    /// The live tenant policies; swapped whole by the reload task.
    policy: PolicyHandle,
    /// Queue status pushed by routers (`UpdateQueueStatus`).
    availability: Availability,
}

impl Engine {
    /// An engine with the built-in default policy.
    pub fn new(detector: Arc<Detector>, store: SharedStore, settings: EngineSettings) -> Self {
        Self::with_policy(detector, store, settings, PolicyHandle::default())
    }

    /// An engine deciding with `policy` (which a reload task may swap at any time).
    pub fn with_policy(
        detector: Arc<Detector>,
        store: SharedStore,
        settings: EngineSettings,
        policy: PolicyHandle,
    ) -> Self {
        Engine {
            inner: Arc::new(Inner {
                detector,
                store,
                settings,
                policy,
                availability: Availability::default(),
            }),
        }
    }

    pub fn store(&self) -> &SharedStore {
        &self.inner.store
    }

    pub fn policy(&self) -> &PolicyHandle {
        &self.inner.policy
    }

    pub fn availability(&self) -> &Availability {
        &self.inner.availability
    }

    /// Applies one turn and returns the decision for the conversation after it.
    #[instrument(skip_all, fields(tenant_id = %turn.tenant_id, conversation_id = %turn.conversation_id))]
    pub async fn process(&self, turn: Turn) -> Result<Decision, EngineError> {
        if let Some(store) = self.inner.store.as_memory() {
            return self.process_in_place(store, turn);
        }
        let store = &self.inner.store;
        let fingerprint = turn.fingerprint();
        // No receipt lookup up front: `commit` checks the turn id in the same transaction and
        // answers `Duplicate` with the first receipt, so a repeated turn changes nothing either way,
        // and the common (new) turn saves a read.
        for _ in 0..MAX_ATTEMPTS {
            let state = store
                .load(&turn.tenant_id, &turn.conversation_id)
                .await?
                .unwrap_or_else(|| {
                    ConversationState::new(&turn.tenant_id, &turn.conversation_id, turn.time_ms)
                });
            let expected = state.turn_count + 1;
            if let Some(seq) = turn.sequence {
                if seq > expected {
                    return Err(EngineError::SequenceGap { expected, got: seq });
                }
                if seq < expected {
                    return match store
                        .receipt_at(&turn.tenant_id, &turn.conversation_id, seq)
                        .await?
                    {
                        Some(r) => replayed(r, fingerprint, &turn.turn_id),
                        None => Err(EngineError::ConflictingTurnId {
                            turn_id: turn.turn_id.clone(),
                        }),
                    };
                }
            }
            let expected_version = state.version;
            let (state, decision, event) = self.apply(state, &turn, fingerprint);
            let receipt = TurnReceipt {
                turn_id: turn.turn_id.clone(),
                fingerprint,
                decision: compact(&decision),
            };
            // Kept for the metrics and the handoff log line once committed (rare: handoffs only).
            let opened = event.clone();
            let commit = Commit {
                state,
                expected_version,
                receipt: Some(receipt),
                event,
            };
            let started = std::time::Instant::now();
            let result = store.commit(commit).await?;
            crate::metrics::store_commit(started.elapsed());
            match result {
                CommitResult::Committed => {
                    crate::telemetry::turn_committed(&turn, &decision, opened.as_ref());
                    debug!(
                        action = decision.action.label(),
                        alert = decision.alert,
                        "turn committed"
                    );
                    return Ok(decision);
                }
                CommitResult::Duplicate(r) => return replayed(*r, fingerprint, &turn.turn_id),
                CommitResult::Conflict => continue,
            }
        }
        Err(EngineError::Contention(turn.conversation_id))
    }

    /// `process` on the in-memory store: the same steps under the conversation's shard lock, with
    /// the state changed in place instead of copied out and back, and one lookup instead of three.
    fn process_in_place(&self, store: &MemoryStore, turn: Turn) -> Result<Decision, EngineError> {
        let fingerprint = turn.fingerprint();
        store.update(&turn.tenant_id, &turn.conversation_id, |slot| {
            if let Some(r) = slot.receipt(&turn.turn_id) {
                return replayed(r.clone(), fingerprint, &turn.turn_id);
            }
            let expected = slot.state().map_or(0, |s| s.turn_count) + 1;
            match turn.sequence {
                Some(seq) if seq > expected => {
                    return Err(EngineError::SequenceGap { expected, got: seq });
                }
                Some(seq) if seq < expected => {
                    return match slot.receipt_at(seq) {
                        Some(r) => replayed(r.clone(), fingerprint, &turn.turn_id),
                        None => Err(EngineError::ConflictingTurnId {
                            turn_id: turn.turn_id.clone(),
                        }),
                    };
                }
                _ => {}
            }
            let state = slot.take_state().unwrap_or_else(|| {
                ConversationState::new(&turn.tenant_id, &turn.conversation_id, turn.time_ms)
            });
            let (state, decision, event) = self.apply(state, &turn, fingerprint);
            let receipt = TurnReceipt {
                turn_id: turn.turn_id.clone(),
                fingerprint,
                decision: compact(&decision),
            };
            crate::telemetry::turn_committed(&turn, &decision, event.as_ref());
            slot.commit(state, receipt, event);
            debug!(
                action = decision.action.label(),
                alert = decision.alert,
                "turn committed"
            );
            Ok(decision)
        })
    }

    /// The pure part of a turn: detect, assess, decide, and build the next state.
    fn apply(
        &self,
        mut state: ConversationState,
        turn: &Turn,
        _fingerprint: u64,
    ) -> (ConversationState, Decision, Option<HandoffEvent>) {
        let signals = self
            .inner
            .detector
            .detect(turn, state.recent.make_contiguous());
        let assessment = memory::assess(&mut state.memory, turn, &signals);
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
        if state.recent.len() >= self.inner.settings.history_turns {
            state.recent.pop_front();
        }
        state
            .recent
            .push_back(TurnRecord::of(turn, &signals, assessment.scores.escalation));
        handoff::collect(&mut state, turn, &signals);
        let policies = self.inner.policy.load();
        let tenant_policy = policies.tenant(&turn.tenant_id);
        let queues = self.inner.availability.snapshot(&turn.tenant_id);
        let moment = policy::Moment {
            policy: tenant_policy,
            now_ms: turn.time_ms,
            queues: &queues,
        };
        let outcome = policy::decide(&state, &assessment, &moment);
        let mut decision = outcome.decision;
        handoff::redact_decision(&mut decision, tenant_policy.redaction);
        decision.sequence = state.turn_count;
        state.last_scores = decision.scores;
        state.last_action = decision.action;
        let mut event = None;
        if outcome.opens_handoff {
            let handoff_id = uuid::Uuid::now_v7().to_string();
            let context = handoff::build_context(&state, turn, &decision, tenant_policy);
            state.ownership = Ownership::PendingHandoff;
            state.open_handoff = Some(OpenHandoff {
                handoff_id: handoff_id.clone(),
                action: decision.action,
                route: decision.route.clone(),
                priority: decision.priority,
                created_ms: turn.time_ms,
                context: Some(Box::new(context.clone())),
            });
            decision.ownership = Ownership::PendingHandoff;
            decision.handoff = Some(crate::domain::Handoff {
                handoff_id: handoff_id.clone(),
                context: Some(Box::new(context.clone())),
            });
            event = Some(HandoffEvent {
                event_id: uuid::Uuid::now_v7().to_string(),
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
            // The customer writes while waiting for the agent: the open handoff's context grows
            // and routers get it again as an update of the same handoff.
            if state.ownership == Ownership::PendingHandoff
                && let Some(context) = open.context.as_deref_mut()
                && handoff::append_waiting(context, &state, turn, tenant_policy)
            {
                event = Some(HandoffEvent {
                    event_id: uuid::Uuid::now_v7().to_string(),
                    handoff_id: open.handoff_id.clone(),
                    tenant_id: state.tenant_id.clone(),
                    conversation_id: state.conversation_id.clone(),
                    action: open.action,
                    route: open.route.clone(),
                    priority: open.priority,
                    context: context.clone(),
                    created_ms: turn.time_ms,
                    redeliveries: 0,
                    kind: HandoffEventKind::Updated,
                });
            }
            decision.handoff = Some(crate::domain::Handoff {
                handoff_id: open.handoff_id.clone(),
                context: None,
            });
            state.open_handoff = Some(open);
        }
        (state, decision, event)
    }

    /// The conversation as stored.
    pub async fn conversation(
        &self,
        tenant_id: &str,
        conversation_id: &str,
    ) -> Result<ConversationState, EngineError> {
        self.inner
            .store
            .load(tenant_id, conversation_id)
            .await?
            .ok_or_else(|| EngineError::ConversationNotFound(conversation_id.to_string()))
    }

    /// Applies a router's report on a handoff; returns the new ownership.
    #[instrument(skip_all, fields(tenant_id = %tenant_id, conversation_id = %conversation_id))]
    pub async fn report_status(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        handoff_id: &str,
        status: HandoffStatus,
    ) -> Result<Ownership, EngineError> {
        for _ in 0..MAX_ATTEMPTS {
            let mut state = self.conversation(tenant_id, conversation_id).await?;
            if state.open_handoff.as_ref().map(|h| h.handoff_id.as_str()) != Some(handoff_id) {
                return Err(EngineError::HandoffNotOpen {
                    handoff_id: handoff_id.to_string(),
                });
            }
            let next = match (state.ownership, status) {
                (Ownership::PendingHandoff, HandoffStatus::Accepted) => Ownership::Agent,
                (Ownership::Agent, HandoffStatus::Accepted) => return Ok(Ownership::Agent),
                (Ownership::PendingHandoff | Ownership::Agent, HandoffStatus::Failed)
                | (Ownership::PendingHandoff | Ownership::Agent, HandoffStatus::Returned)
                | (Ownership::Agent, HandoffStatus::Completed) => Ownership::Bot,
                (ownership, status) => {
                    return Err(EngineError::BadTransition {
                        status: format!("{status:?}"),
                        ownership: format!("{ownership:?}"),
                    });
                }
            };
            let expected_version = state.version;
            state.version += 1;
            state.ownership = next;
            if next == Ownership::Bot {
                state.open_handoff = None;
                memory::reset_after_handoff(&mut state.memory);
            }
            let commit = Commit {
                state,
                expected_version,
                receipt: None,
                event: None,
            };
            if self.inner.store.commit(commit).await? == CommitResult::Committed {
                crate::telemetry::status_reported(
                    tenant_id,
                    conversation_id,
                    handoff_id,
                    status,
                    next,
                );
                return Ok(next);
            }
        }
        Err(EngineError::Contention(conversation_id.to_string()))
    }
}

/// The stored answer to a turn seen before, or a conflict if its content differs.
fn replayed(r: TurnReceipt, fingerprint: u64, turn_id: &str) -> Result<Decision, EngineError> {
    if r.fingerprint != fingerprint || r.turn_id != turn_id {
        return Err(EngineError::ConflictingTurnId {
            turn_id: turn_id.to_string(),
        });
    }
    let mut d = r.decision;
    d.duplicate = true;
    Ok(d)
}

/// The decision as kept in a receipt: the handoff context is not stored twice (the event has it).
fn compact(decision: &Decision) -> Decision {
    let mut d = decision.clone();
    if let Some(h) = &mut d.handoff {
        h.context = None;
    }
    d
}

/// A transcript line from a history record.
pub fn transcript_turn(r: &TurnRecord) -> TranscriptTurn {
    TranscriptTurn {
        turn_id: r.turn_id.clone(),
        role: r.role,
        text: r.text.clone(),
        time_ms: r.time_ms,
        signals: r.signals.clone(),
        intent: r.intent.clone(),
    }
}
