//! What `detect` finds in one turn.

use super::Lang;
use super::labels::labelled_enum;
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// A high-stakes or advice topic: a human should take over early even without anger.
    pub enum Stake {
        Cancellation = "cancellation",
        Complaint = "complaint",
        Legal = "legal",
        Fraud = "fraud",
        Bereavement = "bereavement",
        LargePurchase = "large_purchase",
        FinancialAdvice = "financial_advice",
        /// A customer leaving with a reason (price, service, years of custom): worth a retention call.
        Churn = "churn",
        /// A vulnerable customer under pressure (pushed to pay or transfer money urgently).
        Vulnerable = "vulnerable",
        /// Danger to life or health (gas smell, a power cut on medical equipment).
        Safety = "safety",
        /// The customer has written or called several times before about the same problem.
        RepeatContact = "repeat_contact",
    }
}

impl Stake {
    /// Grave topics hand off at once on strong evidence and get a high priority.
    pub fn is_grave(self) -> bool {
        matches!(
            self,
            Stake::Legal | Stake::Fraud | Stake::Bereavement | Stake::Vulnerable | Stake::Safety
        )
    }
}

/// The kind of one piece of evidence found in a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// The customer asks for a human (negation-aware).
    ExplicitRequest,
    Frustration,
    Anger,
    Anxiety,
    Sadness,
    Urgency,
    /// Insults and profanity.
    Abuse,
    /// Positive words used ironically ("great, thanks for nothing").
    Sarcasm,
    /// The customer corrects or rejects what the bot understood.
    Repair,
    /// The NLU or the bot fell back.
    BotFallback,
    /// NLU confidence under the threshold.
    LowConfidence,
    ActionFailed,
    /// The customer repeats or rephrases an earlier request.
    CustomerRepeat,
    /// The bot repeats its own earlier reply.
    BotLoop,
    /// The customer says it is happening again ("zum dritten Mal", "again?").
    RepeatComplaint,
    HighStakes(Stake),
    /// Thanks, resolved, praise.
    Positive,
    /// A short yes ("yes please", "ja gern", 👍, or the number of a menu option naming a person):
    /// accepts what the bot just offered.
    Affirm,
    /// A short no ("no thanks", "nein danke", "lieber nicht"): declines what the bot just offered.
    Decline,
    /// The bot offers a human or a callback (in its words or its action's name).
    BotOffer,
}

impl SignalKind {
    /// Stable snake_case label used in transcripts, metrics and replay output.
    pub fn label(self) -> &'static str {
        match self {
            SignalKind::ExplicitRequest => "explicit_request",
            SignalKind::Frustration => "frustration",
            SignalKind::Anger => "anger",
            SignalKind::Anxiety => "anxiety",
            SignalKind::Sadness => "sadness",
            SignalKind::Urgency => "urgency",
            SignalKind::Abuse => "abuse",
            SignalKind::Sarcasm => "sarcasm",
            SignalKind::Repair => "repair",
            SignalKind::BotFallback => "bot_fallback",
            SignalKind::LowConfidence => "low_confidence",
            SignalKind::ActionFailed => "action_failed",
            SignalKind::CustomerRepeat => "customer_repeat",
            SignalKind::BotLoop => "bot_loop",
            SignalKind::RepeatComplaint => "repeat_complaint",
            SignalKind::HighStakes(s) => s.label(),
            SignalKind::Positive => "positive",
            SignalKind::Affirm => "affirm",
            SignalKind::Decline => "decline",
            SignalKind::BotOffer => "bot_offer",
        }
    }

    /// True for the failure family (the bot is not coping), as opposed to emotion.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            SignalKind::Repair
                | SignalKind::BotFallback
                | SignalKind::LowConfidence
                | SignalKind::ActionFailed
                | SignalKind::CustomerRepeat
                | SignalKind::BotLoop
                | SignalKind::RepeatComplaint
        )
    }
}

/// One piece of evidence: what kind, how strong, and the words that matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub kind: SignalKind,
    /// Strength 0..1 after negation, intensifiers and diminishers.
    pub weight: f32,
    /// The matched words as they appear in the text (or a metadata label like "nlu.fallback").
    pub matched: String,
}

/// Per-turn emotion intensities, each 0..1.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Emotion {
    pub frustration: f32,
    pub anger: f32,
    pub anxiety: f32,
    pub sadness: f32,
    pub urgency: f32,
    pub positive: f32,
}

impl Emotion {
    /// The strongest negative intensity.
    pub fn negative(&self) -> f32 {
        self.frustration
            .max(self.anger)
            .max(self.anxiety)
            .max(self.sadness)
            .max(self.urgency)
    }
}

/// Everything `detect` found in one turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Signals {
    /// The hint if given, else detected.
    pub language: Lang,
    pub emotion: Emotion,
    /// Failure strength of this turn, 0..1 (fallbacks, repairs, loops, failed actions).
    pub failure: f32,
    pub hits: Vec<Hit>,
    /// The learned model's reading of the turn (None without a model, or for a head it has no
    /// data for).
    #[serde(skip)]
    pub learned: Option<crate::detect::model::Learned>,
}

impl Signals {
    pub fn has(&self, kind: SignalKind) -> bool {
        self.hits.iter().any(|h| h.kind == kind)
    }

    pub fn strongest(&self, kind: SignalKind) -> Option<&Hit> {
        self.hits
            .iter()
            .filter(|h| h.kind == kind)
            .max_by(|a, b| a.weight.total_cmp(&b.weight))
    }

    /// The labels of every kind found, deduplicated, in order of first appearance.
    pub fn labels(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for h in &self.hits {
            let l = h.kind.label();
            if !out.iter().any(|o| o == l) {
                out.push(l.to_string());
            }
        }
        out
    }
}
