//! Sequences one turn: load -> order and dedupe -> `step` (pure) -> commit -> notify, the same for
//! every store.
//!
//! The gRPC services, `replay`, `eval` and the benchmarks all call `Engine::process`. A turn's
//! decision is returned only after its commit.

use crate::detect::Detector;
use crate::domain::{
    ConversationState, Decision, HandoffEvent, HandoffStatus, Ownership, TranscriptTurn, Turn,
    TurnReceipt,
};
use crate::policy::{PolicyHandle, QueueStatus, memory};
use crate::state::{Commit, CommitResult, FeedFilter, OutcomeRecord, SharedStore, StoreError};
use crate::step;
use std::sync::Arc;
use tracing::{debug, instrument};

#[cfg(test)]
mod tests;

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
    #[error("handoff {handoff_id} not found")]
    HandoffNotFound { handoff_id: String },
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

impl From<&crate::config::LimitsConfig> for EngineSettings {
    fn from(limits: &crate::config::LimitsConfig) -> Self {
        EngineSettings {
            history_turns: limits.history_turns,
        }
    }
}

impl Default for EngineSettings {
    /// The configuration's defaults (their one home is `config`).
    fn default() -> Self {
        Self::from(&crate::config::LimitsConfig::default())
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
            }),
        }
    }

    pub fn store(&self) -> &SharedStore {
        &self.inner.store
    }

    pub fn policy(&self) -> &PolicyHandle {
        &self.inner.policy
    }

    /// Records routers' queue status in the store, where every replica reads it.
    pub async fn update_queue_status(
        &self,
        tenant_id: &str,
        queues: Vec<(String, QueueStatus)>,
    ) -> Result<(), EngineError> {
        Ok(self.inner.store.update_queues(tenant_id, queues).await?)
    }

    /// Applies one turn and returns the decision for the conversation after it: load, check the
    /// turn's order, `step`, commit (retrying on a racing writer), the same for every store.
    #[instrument(skip_all, fields(tenant_id = %turn.tenant_id, conversation_id = %turn.conversation_id))]
    pub async fn process(&self, turn: Turn) -> Result<Decision, EngineError> {
        let store = &self.inner.store;
        let fingerprint = turn.fingerprint();
        let received_ms = crate::clock::now_ms();
        let queues = store.queues(&turn.tenant_id).await?;
        let policies = self.inner.policy.load();
        let cx = step::Context {
            detector: &self.inner.detector,
            policy: policies.tenant(&turn.tenant_id),
            queues: &queues,
            history_turns: self.inner.settings.history_turns,
            new_id: &|| uuid::Uuid::now_v7().to_string(),
        };
        // No receipt lookup up front: `commit` checks the turn id in the same transaction and
        // answers `Duplicate` with the first receipt, so a repeated turn changes nothing either way,
        // and the common (new) turn saves a read.
        for _ in 0..MAX_ATTEMPTS {
            // The stored state is shared with the store (and its readers): the next state starts as
            // a copy of it whose history records are shared pointers, not copies of the turns.
            let state = match store.load(&turn.tenant_id, &turn.conversation_id).await? {
                Some(stored) => Arc::unwrap_or_clone(stored),
                None => {
                    ConversationState::new(&turn.tenant_id, &turn.conversation_id, turn.time_ms)
                }
            };
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
            let step::Outcome {
                mut state,
                decision,
                event,
                ..
            } = step::step(state, &turn, &cx);
            // Retention counts idleness on the server's clock, whatever time the client stamped.
            state.received_ms = received_ms;
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

    /// The conversation as stored.
    pub async fn conversation(
        &self,
        tenant_id: &str,
        conversation_id: &str,
    ) -> Result<Arc<ConversationState>, EngineError> {
        self.inner
            .store
            .load(tenant_id, conversation_id)
            .await?
            .ok_or_else(|| EngineError::ConversationNotFound(conversation_id.to_string()))
    }

    /// A conversation as a bot or router may see it: its state and its last `recent` history
    /// turns, masked as the tenant's redaction policy says (as in the handoff context).
    pub async fn conversation_view(
        &self,
        tenant_id: &str,
        conversation_id: &str,
        recent: usize,
    ) -> Result<(Arc<ConversationState>, Vec<TranscriptTurn>), EngineError> {
        let state = self.conversation(tenant_id, conversation_id).await?;
        let redaction = self.inner.policy.load().tenant(tenant_id).redaction;
        let skip = state.recent.len().saturating_sub(recent);
        let lines = state
            .recent
            .iter()
            .skip(skip)
            .map(|r| crate::handoff::transcript_line(r, redaction))
            .collect();
        Ok((state, lines))
    }

    /// Records how a handoff ended; `HandoffNotFound` when the tenant has no such handoff.
    pub async fn record_outcome(&self, outcome: OutcomeRecord) -> Result<(), EngineError> {
        if !self.inner.store.record_outcome(outcome.clone()).await? {
            return Err(EngineError::HandoffNotFound {
                handoff_id: outcome.handoff_id,
            });
        }
        crate::telemetry::outcome_reported(&outcome);
        Ok(())
    }

    /// Decision quality of one tenant (None: all), grouped by `by`.
    pub async fn quality(
        &self,
        tenant_id: Option<&str>,
        by: crate::state::quality::Dimension,
    ) -> Result<Vec<crate::state::QualityRow>, EngineError> {
        let rows = self.inner.store.quality(tenant_id).await?;
        Ok(crate::state::quality::regroup(&rows, by))
    }

    /// Erases one conversation or every conversation of one customer; returns how many.
    pub async fn forget(
        &self,
        tenant_id: &str,
        conversation_id: Option<&str>,
        customer_id: Option<&str>,
    ) -> Result<u64, EngineError> {
        Ok(self
            .inner
            .store
            .forget(tenant_id, conversation_id, customer_id)
            .await?)
    }

    /// Leases up to `limit` of the group's undelivered events matching `filter` (see `Store::claim`).
    pub async fn claim_events(
        &self,
        filter: &FeedFilter,
        limit: usize,
        lease: std::time::Duration,
    ) -> Result<Vec<HandoffEvent>, EngineError> {
        Ok(self.inner.store.claim(filter, limit, lease).await?)
    }

    /// Ends the group's leases on these events so they go out again now.
    pub async fn release_events(
        &self,
        consumer: &str,
        event_ids: &[String],
    ) -> Result<(), EngineError> {
        Ok(self.inner.store.release(consumer, event_ids).await?)
    }

    /// Acknowledges events for the group; returns how many were newly acknowledged.
    pub async fn ack_events(
        &self,
        consumer: &str,
        event_ids: &[String],
    ) -> Result<u32, EngineError> {
        Ok(self.inner.store.ack(consumer, event_ids).await?)
    }

    /// Woken on every append, release and ack this process sees.
    pub fn event_notify(&self) -> Arc<tokio::sync::Notify> {
        self.inner.store.event_notify()
    }

    /// Whether other processes write to the store too (their releases and acks announce nothing).
    pub fn store_shared(&self) -> bool {
        self.inner.store.shared()
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
            let mut state =
                Arc::unwrap_or_clone(self.conversation(tenant_id, conversation_id).await?);
            if state.open_handoff.as_ref().map(|h| h.handoff_id.as_str()) != Some(handoff_id) {
                // The report that closed this handoff, repeated: already done.
                if state
                    .closed_handoff
                    .as_ref()
                    .is_some_and(|(id, s)| id == handoff_id && *s == status)
                {
                    return Ok(state.ownership);
                }
                return Err(EngineError::HandoffNotOpen {
                    handoff_id: handoff_id.to_string(),
                });
            }
            let next =
                state
                    .ownership
                    .on_status(status)
                    .map_err(|e| EngineError::BadTransition {
                        status: format!("{:?}", e.status),
                        ownership: format!("{:?}", e.ownership),
                    })?;
            if next == state.ownership {
                return Ok(next);
            }
            let expected_version = state.version;
            state.version += 1;
            state.ownership = next;
            if next == Ownership::Bot {
                state.open_handoff = None;
                state.closed_handoff = Some((handoff_id.to_string(), status));
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
