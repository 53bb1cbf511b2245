//! tonic services. The only code that names generated protobuf types; conversions live in `convert`,
//! the mapping of errors to status codes in `error`.

pub mod admission;
pub mod auth;
pub mod baseline;
pub mod convert;
pub mod decode_status;
pub mod error;
pub mod feed;
pub mod health;
pub mod rate;
pub mod reflection;
pub mod router;
pub mod streams;
pub mod turn_stream;

pub use feed::FeedService;
pub use router::RouterService;
