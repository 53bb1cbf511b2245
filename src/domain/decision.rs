//! What the service answers: decisions, reasons, routes and the handoff context.

use super::labels::labelled_enum;
use super::{Channel, CustomerProfile, Role};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

labelled_enum! {
    /// What the bot should do after this turn.
    #[derive(Default)]
    pub enum Action {
        #[default]
        Continue = "continue",
        OfferHandoff = "offer_handoff",
        Handoff = "handoff",
        OfferCallback = "offer_callback",
        CreateTicket = "create_ticket",
        StaySilent = "stay_silent",
    }
}

impl Action {
    /// Actions that open a handoff and publish an event carrying the context.
    pub fn opens_handoff(self) -> bool {
        matches!(
            self,
            Action::Handoff | Action::OfferCallback | Action::CreateTicket
        )
    }
}

labelled_enum! {
    /// Why a decision was made.
    pub enum ReasonCode {
        ExplicitRequest = "explicit_request",
        NegativeEmotion = "negative_emotion",
        Abuse = "abuse",
        Repair = "repair",
        BotFallback = "bot_fallback",
        LowConfidence = "low_confidence",
        ActionFailed = "action_failed",
        CustomerRepeat = "customer_repeat",
        BotLoop = "bot_loop",
        HighStakes = "high_stakes",
        Urgency = "urgency",
        EscalatingTrend = "escalating_trend",
        Vip = "vip",
        NoAgentAvailable = "no_agent_available",
        OutsideBusinessHours = "outside_business_hours",
        /// The learned turn model reads the turn as a problem (its probability is the weight).
        LearnedModel = "learned_model",
    }
}

labelled_enum! {
    /// A score a tenant can set trigger levels on (`thresholds.NAME`). Declared in alphabetical
    /// order, so thresholds are checked in the order their names sort.
    pub enum Score {
        Anger = "anger",
        Anxiety = "anxiety",
        /// The conversation-level emotional memory.
        Escalation = "escalation",
        Frustration = "frustration",
        Sadness = "sadness",
        Urgency = "urgency",
    }
}

impl Score {
    /// This score's value among a decision's numbers.
    pub fn of(self, s: &Scores) -> f32 {
        match self {
            Score::Anger => s.anger,
            Score::Anxiety => s.anxiety,
            Score::Escalation => s.escalation,
            Score::Frustration => s.frustration,
            Score::Sadness => s.sadness,
            Score::Urgency => s.urgency,
        }
    }

    /// The reason a crossed threshold on this score gives.
    pub fn reason(self) -> ReasonCode {
        match self {
            Score::Anger | Score::Anxiety | Score::Frustration | Score::Sadness => {
                ReasonCode::NegativeEmotion
            }
            Score::Urgency => ReasonCode::Urgency,
            Score::Escalation => ReasonCode::EscalatingTrend,
        }
    }
}

/// One reason with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    /// Finer label: the emotion, the stake, the lexicon entry.
    pub detail: String,
    pub weight: f32,
    pub turn_ids: Vec<String>,
    pub matched: Vec<String>,
}

/// The numbers behind a decision.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Scores {
    pub frustration: f32,
    pub anger: f32,
    pub anxiety: f32,
    pub sadness: f32,
    pub urgency: f32,
    pub positive: f32,
    pub failure: f32,
    /// Conversation-level emotional memory, 0..1.
    pub escalation: f32,
    pub peak_negative: f32,
    pub trend: f32,
    pub failure_count: u32,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// Where a handoff goes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Route {
    pub queue: String,
    pub skills: Vec<String>,
    pub language: String,
}

/// How much the emotional memory recommends escalating, before tenant policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    #[default]
    None,
    Offer,
    Handoff,
}

/// The detector's and memory's verdict on a conversation after one turn; policy turns it into a
/// `Decision`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Assessment {
    /// This turn itself showed a problem.
    pub alert: bool,
    pub escalation: Escalation,
    /// Strongest first.
    pub reasons: Vec<Reason>,
    pub scores: Scores,
    /// Who spoke the turn, and what the platform said of it (the customer's NLU intent, the bot's
    /// action): policy honours intents and actions that mean "a human, please".
    #[serde(default)]
    pub role: super::Role,
    #[serde(default)]
    pub intent: String,
    #[serde(default)]
    pub bot_action: String,
}

/// The answer to one turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Decision {
    pub action: Action,
    pub alert: bool,
    pub reasons: Vec<Reason>,
    pub scores: Scores,
    pub priority: Priority,
    pub route: Route,
    pub suggested_reply: String,
    pub bot_should_respond: bool,
    pub handoff: Option<Handoff>,
    pub ownership: super::Ownership,
    pub shadow: bool,
    pub shadow_action: Option<Action>,
    pub sequence: u64,
    pub duplicate: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Handoff {
    pub handoff_id: String,
    /// `None` in stored duplicates and queries where only the id is repeated.
    pub context: Option<Box<HandoffContext>>,
}

/// Everything the agent needs so the customer never repeats themselves.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HandoffContext {
    pub transcript: Vec<TranscriptTurn>,
    pub reasons: Vec<Reason>,
    pub summary: Summary,
    pub entities: Vec<CollectedEntity>,
    pub emotion_timeline: EmotionTimeline,
    pub customer: Option<CustomerProfile>,
    pub channel: Channel,
    pub language: String,
    pub seconds_since_first_problem: f64,
    pub route: Route,
    pub priority: Priority,
    pub metadata: BTreeMap<String, String>,
    /// Customer turns that arrived while the handoff was pending, appended to the transcript.
    #[serde(default)]
    pub waiting_turn_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TranscriptTurn {
    pub turn_id: String,
    pub role: Role,
    pub text: String,
    pub time_ms: i64,
    pub signals: Vec<String>,
    pub intent: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub goal: String,
    pub tried: Vec<String>,
    pub reason: String,
    pub suggested_opening: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CollectedEntity {
    pub kind: String,
    pub value: String,
    pub turn_id: String,
    /// "nlu" or "text".
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EmotionTimeline {
    pub points: Vec<EmotionPoint>,
    pub peak: Option<EmotionPoint>,
    pub current: f32,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EmotionPoint {
    pub turn_id: String,
    pub negative: f32,
    pub escalation: f32,
}

/// A handoff event for routers: appended to the outbox in the same commit as the turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HandoffEvent {
    /// Unique; routers deduplicate on it.
    pub event_id: String,
    pub handoff_id: String,
    pub tenant_id: String,
    pub conversation_id: String,
    pub action: Action,
    pub route: Route,
    pub priority: Priority,
    /// Shared with the conversation's open handoff (encoded exactly like the context itself).
    pub context: std::sync::Arc<HandoffContext>,
    pub created_ms: i64,
    /// Deliveries before this one; set by the store when it hands the event out.
    pub redeliveries: u32,
    /// A new handoff, or an update of an open one (the customer wrote while waiting).
    #[serde(default)]
    pub kind: HandoffEventKind,
}

/// Whether a `HandoffEvent` opens a handoff or updates the context of an open one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffEventKind {
    #[default]
    Opened,
    Updated,
}
