//! The one mapping from the service's errors to gRPC status codes, with machine-readable details
//! (`google.rpc.BadRequest`, `ErrorInfo`, `RetryInfo`) so clients need not parse message text.

use crate::engine::EngineError;
use crate::state::StoreError;
use std::collections::HashMap;
use std::time::Duration;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every error this service details.
pub const ERROR_DOMAIN: &str = "escalation.v1";

/// A request the edge refused before it reached the engine.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// `field` is the proto field path (`turn.text`).
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
    #[error("{field}: {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        field: String,
        size: usize,
        limit: usize,
    },
}

impl RequestError {
    pub fn invalid(field: &str, problem: impl Into<String>) -> Self {
        RequestError::Invalid {
            field: field.to_string(),
            problem: problem.into(),
        }
    }
}

impl From<RequestError> for Status {
    /// `INVALID_ARGUMENT` with a `BadRequest` field violation naming the field.
    fn from(e: RequestError) -> Status {
        let message = e.to_string();
        let (RequestError::Invalid { field, .. } | RequestError::TooLarge { field, .. }) = &e;
        let problem = match &e {
            RequestError::Invalid { problem, .. } => problem.clone(),
            RequestError::TooLarge { size, limit, .. } => {
                format!("{size} bytes exceeds the limit of {limit}")
            }
        };
        tracing::info!(code = "INVALID_ARGUMENT", field = %field, error = %message, "request rejected");
        Status::with_error_details(
            Code::InvalidArgument,
            message,
            ErrorDetails::with_bad_request_violation(field.clone(), problem),
        )
    }
}

impl From<EngineError> for Status {
    fn from(e: EngineError) -> Status {
        let (code, reason) = match &e {
            EngineError::SequenceGap { .. } => (Code::FailedPrecondition, "SEQUENCE_GAP"),
            EngineError::ConflictingTurnId { .. } => (Code::AlreadyExists, "TURN_ID_REUSED"),
            EngineError::ConversationNotFound(_) => (Code::NotFound, "CONVERSATION_NOT_FOUND"),
            EngineError::HandoffNotOpen { .. } => (Code::FailedPrecondition, "HANDOFF_NOT_OPEN"),
            EngineError::HandoffNotFound { .. } => (Code::NotFound, "HANDOFF_NOT_FOUND"),
            EngineError::BadTransition { .. } => (Code::FailedPrecondition, "BAD_TRANSITION"),
            EngineError::Contention(_) => (Code::Aborted, "CONTENTION"),
            EngineError::Store(StoreError::Unavailable(_)) => {
                (Code::Unavailable, "STORE_UNAVAILABLE")
            }
            EngineError::Store(StoreError::Corrupt(_)) => (Code::Internal, "STORE_CORRUPT"),
        };
        let mut metadata = HashMap::new();
        match &e {
            EngineError::SequenceGap { expected, got } => {
                metadata.insert("expected_sequence".to_string(), expected.to_string());
                metadata.insert("sequence".to_string(), got.to_string());
            }
            EngineError::HandoffNotOpen { handoff_id }
            | EngineError::HandoffNotFound { handoff_id } => {
                metadata.insert("handoff_id".to_string(), handoff_id.clone());
            }
            EngineError::BadTransition { status, ownership } => {
                metadata.insert("status".to_string(), status.clone());
                metadata.insert("ownership".to_string(), ownership.clone());
            }
            _ => {}
        }
        if matches!(e, EngineError::Store(_)) {
            tracing::error!(error = %e, "store failure");
        } else {
            tracing::info!(code = ?code, reason, error = %e, "request rejected");
        }
        Status::with_error_details(
            code,
            e.to_string(),
            ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata),
        )
    }
}

impl From<StoreError> for Status {
    fn from(e: StoreError) -> Status {
        EngineError::Store(e).into()
    }
}

/// The status of a call refused because the server is at its limit: `code` (the one the shedding
/// layer documents), a `RetryInfo` with the delay a client should wait, counted in
/// `escalation_shed_total` and logged once per burst.
pub fn shed(code: Code, message: impl Into<String>, retry_after: Duration) -> Status {
    crate::telemetry::shed();
    Status::with_error_details(
        code,
        message,
        ErrorDetails::with_retry_info(Some(retry_after)),
    )
}

/// A turn refused because its tenant is over its turn rate: `RESOURCE_EXHAUSTED` with the delay
/// until the tenant's next turn may pass (`RetryInfo`) and an `ErrorInfo` (`TENANT_RATE_LIMITED`).
/// Logged at `info` at most once per burst, with the tenant.
pub fn rate_limited(tenant_id: &str, per_second: f64, retry_after: Duration) -> Status {
    static LAST: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);
    {
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(10)) {
            tracing::info!(
                tenant_id,
                per_second,
                "turns refused: tenant over its turn rate"
            );
            *last = Some(now);
        }
    }
    let mut metadata = HashMap::new();
    metadata.insert("tenant_id".to_string(), tenant_id.to_string());
    metadata.insert("turns_per_second".to_string(), per_second.to_string());
    let mut details = ErrorDetails::new();
    details.set_retry_info(Some(retry_after)).set_error_info(
        "TENANT_RATE_LIMITED",
        ERROR_DOMAIN,
        metadata,
    );
    Status::with_error_details(
        Code::ResourceExhausted,
        format!(
            "tenant {tenant_id} is over its rate of {per_second} turns per second; retry after {} ms",
            retry_after.as_millis().max(1)
        ),
        details,
    )
}
