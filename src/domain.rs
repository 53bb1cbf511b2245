//! The vocabulary of the service: turns, signals, decisions, handoff contexts, conversation state.
//!
//! Pure data. Nothing here does I/O or knows protobuf; `grpc::convert` maps these to and from the wire.
//! Everything derives serde so the durable stores can keep it as JSON.

mod decision;
mod labels;
mod signals;
mod state;
mod turn;

pub use decision::*;
pub use signals::*;
pub use state::*;
pub use turn::*;
