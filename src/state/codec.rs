//! What the durable stores share: records as JSON, the few columns pulled out of them, and the clock.

use super::{Commit, StoreError, Verdict};
use crate::domain::HandoffEvent;
use serde::{Serialize, de::DeserializeOwned};

/// A record as stored (JSON bytes).
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(format!("encoding a record: {e}")))
}

/// A stored record read back; `what` names the table in the error (never the content).
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// The label of a handoff's strongest reason, as `quality` groups by it.
pub fn primary_reason(event: &HandoffEvent) -> String {
    event
        .context
        .reasons
        .first()
        .map(|r| r.code.label().to_string())
        .unwrap_or_default()
}

/// A channel as stored for quality: its serde name (`webchat`, `voice`, `unspecified`).
pub fn channel_label(channel: crate::domain::Channel) -> String {
    match serde_json::to_value(channel) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Unknown => "unknown",
        Verdict::Needed => "needed",
        Verdict::NotNeeded => "not_needed",
        Verdict::TooLate => "too_late",
    }
}

pub fn verdict_from(text: &str) -> Verdict {
    match text {
        "needed" => Verdict::Needed,
        "not_needed" => Verdict::NotNeeded,
        "too_late" => Verdict::TooLate,
        _ => Verdict::Unknown,
    }
}

/// A commit with its records already encoded.
pub struct CommitRow {
    pub tenant_id: String,
    pub conversation_id: String,
    pub expected_version: i64,
    pub version: i64,
    pub customer_id: Option<String>,
    pub updated_ms: i64,
    pub state: Vec<u8>,
    pub receipt: Option<(String, i64, Vec<u8>)>,
    pub event: Option<EventRow>,
}

/// The columns of a handoff event the stores index or aggregate, and the event itself encoded.
pub struct EventRow {
    pub event_id: String,
    pub handoff_id: String,
    pub queue: String,
    pub created_ms: i64,
    pub reason: String,
    pub seconds: f64,
    /// The customer's language and the channel label, for quality by language and channel.
    pub language: String,
    pub channel: String,
    pub body: Vec<u8>,
}

impl CommitRow {
    /// Encodes once, on the caller's task (CPU work kept off the stores' writer threads).
    pub fn encode(commit: &Commit) -> Result<Self, StoreError> {
        let Commit {
            state,
            expected_version,
            receipt,
            event,
        } = commit;
        let receipt = match receipt {
            Some(r) => Some((r.turn_id.clone(), r.decision.sequence as i64, encode(r)?)),
            None => None,
        };
        let event = match event {
            Some(e) => Some(EventRow {
                event_id: e.event_id.clone(),
                handoff_id: e.handoff_id.clone(),
                queue: e.route.queue.clone(),
                created_ms: e.created_ms,
                reason: primary_reason(e),
                seconds: e.context.seconds_since_first_problem,
                language: e.context.language.clone(),
                channel: channel_label(e.context.channel),
                body: encode(e)?,
            }),
            None => None,
        };
        Ok(CommitRow {
            tenant_id: state.tenant_id.clone(),
            conversation_id: state.conversation_id.clone(),
            expected_version: *expected_version as i64,
            version: state.version as i64,
            customer_id: state.customer.as_ref().map(|c| c.customer_id.clone()),
            updated_ms: state.updated_ms,
            state: encode(state)?,
            receipt,
            event,
        })
    }
}
