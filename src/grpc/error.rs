//! The one mapping from the service's errors to gRPC status codes.

use crate::engine::EngineError;
use crate::state::StoreError;
use tonic::{Code, Status};

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
    fn from(e: RequestError) -> Status {
        match e {
            RequestError::Invalid { .. } => Status::invalid_argument(e.to_string()),
            RequestError::TooLarge { .. } => Status::invalid_argument(e.to_string()),
        }
    }
}

impl From<EngineError> for Status {
    fn from(e: EngineError) -> Status {
        let code = match &e {
            EngineError::SequenceGap { .. } => Code::FailedPrecondition,
            EngineError::ConflictingTurnId { .. } => Code::AlreadyExists,
            EngineError::ConversationNotFound(_) => Code::NotFound,
            EngineError::HandoffNotOpen { .. } => Code::FailedPrecondition,
            EngineError::BadTransition { .. } => Code::FailedPrecondition,
            EngineError::Contention(_) => Code::Aborted,
            EngineError::Store(StoreError::Unavailable(_)) => Code::Unavailable,
            EngineError::Store(StoreError::Corrupt(_)) => Code::Internal,
        };
        if matches!(e, EngineError::Store(_)) {
            tracing::error!(error = %e, "store failure");
        }
        Status::new(code, e.to_string())
    }
}

impl From<StoreError> for Status {
    fn from(e: StoreError) -> Status {
        EngineError::Store(e).into()
    }
}
