//! Integration tests through real gRPC clients over real sockets. One binary, one module per area.

mod auth;
mod bad_input;
mod feed;
mod handoff;
mod helpers;
mod lifecycle;
mod limits;
mod operations;
mod policy;
mod rate;
mod tls;
mod turns;
