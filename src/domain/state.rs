//! Conversation state as the stores keep it.

use super::{
    Action, Channel, CollectedEntity, CustomerProfile, Decision, Lang, Priority, Role, Route,
    Scores,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Who owns the conversation: `Bot -> PendingHandoff -> Agent -> Bot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Ownership {
    #[default]
    Bot,
    PendingHandoff,
    Agent,
}

impl Ownership {
    /// The owner after a router's report on the open handoff: `Accepted` moves a pending handoff to
    /// the agent (again `Accepted`: no change); `Failed` and `Returned` give a pending or accepted
    /// conversation back to the bot, `Completed` an accepted one. Anything else is refused.
    pub fn on_status(self, status: HandoffStatus) -> Result<Ownership, BadTransition> {
        use HandoffStatus as S;
        use Ownership as O;
        match (self, status) {
            (O::PendingHandoff | O::Agent, S::Accepted) => Ok(O::Agent),
            (O::PendingHandoff | O::Agent, S::Failed | S::Returned) | (O::Agent, S::Completed) => {
                Ok(O::Bot)
            }
            (ownership, status) => Err(BadTransition { ownership, status }),
        }
    }
}

/// A status report the conversation's owner does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTransition {
    pub ownership: Ownership,
    pub status: HandoffStatus,
}

/// The router's report on a handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffStatus {
    Accepted,
    Failed,
    Completed,
    Returned,
}

/// The conversation-level emotional memory (peak-end): updated by `policy::memory` on every turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Memory {
    /// Current conversation-level escalation score, 0..1.
    pub escalation: f32,
    /// The highest per-turn negative intensity so far.
    pub peak_negative: f32,
    /// Turn id of that peak.
    pub peak_turn: String,
    /// Exponentially smoothed negative intensity of recent customer turns.
    pub smoothed: f32,
    /// Change of `smoothed` over the last customer turn (positive: getting worse).
    pub trend: f32,
    /// Failure evidence accumulated (decays on success).
    pub failures: f32,
    /// Count of turns with failure evidence.
    pub failure_count: u32,
    /// The escalation level last recommended, for hysteresis.
    pub level: super::Escalation,
    /// Customer turns since the level last changed.
    pub turns_at_level: u32,
    /// Unix ms of the first problem signal.
    pub first_problem_ms: Option<i64>,
    /// Reasons accumulated so far (strongest evidence per code), carried into the handoff.
    pub reasons: Vec<super::Reason>,
    /// Failure strength of the bot's last turn, weighed with the customer's reaction to it.
    #[serde(default)]
    pub pending_failure: f32,
    /// Turn id of that bot turn.
    #[serde(default)]
    pub pending_turn: String,
    /// Smoothed share of bot replies that ignore the customer's last turn (a bot losing the thread).
    #[serde(default)]
    pub incoherence: f32,
    /// The bot's last turn offered a human (in its words, its action, or ours relayed): a short
    /// yes on the next customer turn accepts it.
    #[serde(default)]
    pub offer_pending: bool,
    /// Customer turns so far.
    #[serde(default)]
    pub customer_turns: u32,
    /// The customer turn (1-based) at which an offer was last declined or the customer said it
    /// works now; 0: never.
    #[serde(default)]
    pub settled_at: u32,
    /// Customer turns that showed a problem: a handoff on the score alone needs two.
    #[serde(default)]
    pub problem_turns: u32,
}

/// One turn as kept in the conversation history (for loops, repeats and the transcript).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TurnRecord {
    pub turn_id: String,
    pub role: Role,
    pub text: String,
    pub time_ms: i64,
    pub intent: String,
    /// Labels of the signals found in this turn.
    pub signals: Vec<String>,
    /// Per-turn negative intensity and the conversation escalation after it.
    pub negative: f32,
    pub escalation: f32,
}

impl TurnRecord {
    /// The record of a turn once detected and assessed (the engine and `train` keep history alike).
    pub fn of(turn: &super::Turn, signals: &super::Signals, escalation: f32) -> TurnRecord {
        TurnRecord {
            turn_id: turn.turn_id.clone(),
            role: turn.role,
            text: turn.text.clone(),
            time_ms: turn.time_ms,
            intent: turn
                .nlu
                .as_ref()
                .map(|n| n.intent.clone())
                .unwrap_or_default(),
            signals: {
                // Kept for the conversation's life: no room for labels never added.
                let mut labels = signals.labels();
                labels.shrink_to_fit();
                labels
            },
            negative: signals.emotion.negative(),
            escalation,
        }
    }

    /// This turn as a transcript line (unmasked; `handoff` masks it as the tenant's policy says).
    pub fn transcript_line(&self) -> super::TranscriptTurn {
        super::TranscriptTurn {
            turn_id: self.turn_id.clone(),
            role: self.role,
            text: self.text.clone(),
            time_ms: self.time_ms,
            signals: self.signals.clone(),
            intent: self.intent.clone(),
        }
    }
}

/// The handoff currently open (at most one per conversation).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OpenHandoff {
    pub handoff_id: String,
    pub action: Action,
    pub route: Route,
    pub priority: Priority,
    pub created_ms: i64,
    /// The context as handed off, with the customer's turns since appended (`GetConversation`).
    #[serde(default)]
    /// Shared like `recent`; copied only when it grows while the customer waits.
    pub context: Option<Arc<super::HandoffContext>>,
}

/// Everything stored about one conversation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConversationState {
    pub tenant_id: String,
    pub conversation_id: String,
    /// Incremented on every commit; stores use it for optimistic concurrency.
    pub version: u64,
    pub ownership: Ownership,
    /// Number of turns applied (the last sequence number).
    pub turn_count: u64,
    pub memory: Memory,
    /// The most recent turns, oldest first, bounded by `limits.history_turns`. Each record is
    /// shared: copying a conversation's state (a load, a cache) copies pointers, not the turns.
    /// The durable stores keep them as rows of their own, not in the state's record.
    #[serde(default)]
    pub recent: VecDeque<Arc<TurnRecord>>,
    pub open_handoff: Option<OpenHandoff>,
    pub entities: Vec<CollectedEntity>,
    pub customer: Option<CustomerProfile>,
    pub channel: Channel,
    pub language: Option<Lang>,
    pub created_ms: i64,
    /// The last turn's own time (as the client stamped it).
    pub updated_ms: i64,
    /// When the server received the last turn (its clock, not the client's): retention expires
    /// idle conversations by it. 0 for states stored before it was kept.
    #[serde(default)]
    pub received_ms: i64,
    /// The last decision's scores and action, for `GetConversation`.
    pub last_scores: Scores,
    pub last_action: Action,
    /// What the bot tried (its actions), newest last and bounded, for the handoff summary.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// The turns' metadata merged in order (later values win), bounded, for the handoff context.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The handoff closed last and the status that closed it, so that the same report repeated (a
    /// router retrying after a crash) succeeds without changing anything.
    #[serde(default)]
    pub closed_handoff: Option<(String, HandoffStatus)>,
}

/// One thing the bot really did: an action it ran, a fallback it gave, or a human it offered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Attempt {
    pub turn_id: String,
    /// The action's name (for other kinds, the kind's label).
    pub action: String,
    /// The action failed; for an offer, the customer declined it.
    pub failed: bool,
    #[serde(default)]
    pub kind: AttemptKind,
}

/// What an `Attempt` was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptKind {
    /// An action the bot ran (`BotFacts.action`).
    #[default]
    Action,
    /// The bot answered with a fallback reply (flagged by the platform or read in its words).
    Fallback,
    /// The bot's NLU did not understand a customer turn (flagged by the platform).
    NotUnderstood,
    /// The service offered a human (or a call back).
    Offer,
}

impl ConversationState {
    pub fn new(tenant_id: &str, conversation_id: &str, now_ms: i64) -> Self {
        ConversationState {
            tenant_id: tenant_id.to_string(),
            conversation_id: conversation_id.to_string(),
            created_ms: now_ms,
            updated_ms: now_ms,
            ..Default::default()
        }
    }

    /// Since when the conversation has been idle, for retention: the server's receive time of
    /// its last turn, or the turn's own time for states stored before that was kept.
    pub fn idle_since_ms(&self) -> i64 {
        if self.received_ms > 0 {
            self.received_ms
        } else {
            self.updated_ms
        }
    }
}

/// A turn's dedupe record: the fingerprint of its content and the decision given.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TurnReceipt {
    pub turn_id: String,
    pub fingerprint: u64,
    pub decision: Decision,
}

#[cfg(test)]
mod tests {
    use super::{BadTransition, HandoffStatus as S, Ownership as O};

    #[test]
    fn ownership_moves_bot_pending_agent_bot_and_refuses_the_rest() {
        assert_eq!(O::PendingHandoff.on_status(S::Accepted), Ok(O::Agent));
        assert_eq!(O::Agent.on_status(S::Accepted), Ok(O::Agent));
        assert_eq!(O::Agent.on_status(S::Completed), Ok(O::Bot));
        for from in [O::PendingHandoff, O::Agent] {
            assert_eq!(from.on_status(S::Failed), Ok(O::Bot));
            assert_eq!(from.on_status(S::Returned), Ok(O::Bot));
        }
        assert_eq!(
            O::PendingHandoff.on_status(S::Completed),
            Err(BadTransition {
                ownership: O::PendingHandoff,
                status: S::Completed
            })
        );
        for status in [S::Accepted, S::Failed, S::Completed, S::Returned] {
            assert!(O::Bot.on_status(status).is_err(), "{status:?}");
        }
    }
}
