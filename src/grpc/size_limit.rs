//! gRPC says a message over the size limit is RESOURCE_EXHAUSTED; tonic's decoder answers
//! OUT_OF_RANGE ("decoded message length too large"). This response mapper rewrites that one status
//! in trailers-only responses (how unary calls fail decoding) so clients see the standard code.

use tonic::codegen::http::{HeaderValue, Response};

const TOO_LARGE: &str = "decoded message length too large";

/// Rewrites OUT_OF_RANGE-for-size to RESOURCE_EXHAUSTED; every other response passes untouched.
pub fn map_oversize<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    let out_of_range = headers
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == b"11");
    if out_of_range
        && headers
            .get("grpc-message")
            .and_then(|m| m.to_str().ok())
            .is_some_and(|m| m.contains(&TOO_LARGE.replace(' ', "%20")) || m.contains(TOO_LARGE))
    {
        headers.insert(
            "grpc-status",
            HeaderValue::from_static("8"), // RESOURCE_EXHAUSTED
        );
    }
    response
}
