//! tonic services. The only code that names generated protobuf types; conversions live in `convert`,
//! the mapping of errors to status codes in `error`.

pub mod auth;
pub mod baseline;
pub mod convert;
pub mod error;
pub mod feed;
pub mod reflection;
pub mod router;
pub mod size_limit;

pub use feed::FeedService;
pub use router::RouterService;
