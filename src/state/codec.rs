//! What the durable stores share: records as JSON, the few columns pulled out of them, and the clock.

use super::{StoreError, Verdict};
use crate::domain::HandoffEvent;
use serde::{Serialize, de::DeserializeOwned};
use std::time::{SystemTime, UNIX_EPOCH};

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

/// Wall-clock milliseconds since the Unix epoch (lease deadlines survive a restart).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
