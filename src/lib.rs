//! escalation-router: reads failure and high-emotion moments in bot conversations and decides when
//! a human should take over.
//!
//! Code map (see README "Architecture"):
//! - `domain`  vocabulary: Turn, Signals, Decision, HandoffContext, ConversationState (pure data)
//! - `detect`  text + metadata -> Signals for one turn (pure, microseconds)
//! - `policy`  emotional memory + tenant policy -> Decision (pure)
//! - `handoff` builds the HandoffContext (transcript, summary, entities, redaction)
//! - `step`    one turn, pure: state + turn + context -> new state, decision, handoff to open
//! - `state`   the Store trait and its memory, SQLite and PostgreSQL implementations
//! - `engine`  sequences one turn: load -> order/dedupe -> step -> commit -> notify, every store
//! - `grpc`    tonic services; the only code that sees protobuf types
//! - `config`  typed settings: defaults -> file -> environment
//! - `replay`  the replay and eval commands over JSONL conversations
//! - `learn`   the train command: the learned turn model's weights, cross-validated
//! - `checklist` the behavioural test suite (CheckList): templates x fillers, MFT/INV/DIR, pass rates
//! - `spec`    the test command: conversations with expected decisions, JUnit XML
//! - `metrics` Prometheus names, the recorder and the `/metrics` listener
//! - `telemetry` logs: format, request ids, the INFO lines of handoffs
//! - `clock`   the one wall clock

pub mod checklist;
pub mod clock;
pub mod config;
pub mod detect;
pub mod domain;
pub mod engine;
pub mod grpc;
pub mod handoff;
pub mod learn;
pub mod metrics;
pub mod policy;
pub mod replay;
pub mod server;
pub mod spec;
pub mod state;
pub mod step;
pub mod telemetry;

/// Generated protobuf and tonic code for `escalation.v1`.
#[allow(clippy::large_enum_variant)]
pub mod pb {
    tonic::include_proto!("escalation.v1");

    /// Encoded descriptor set for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("escalation_descriptor");
}
