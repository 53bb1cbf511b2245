//! Request decoding failures get the codes gRPC specifies for them, not tonic's. tonic answers a
//! message over the size limit with OUT_OF_RANGE ("decoded message length too large"); gRPC says
//! RESOURCE_EXHAUSTED. It answers a message that does not decode (invalid UTF-8 in a string, a
//! truncated field or frame) with INTERNAL, which reads as a server bug; it is the client's bad
//! input, INVALID_ARGUMENT. This response mapper rewrites those statuses in trailers-only responses
//! (how unary requests fail decoding); `StreamTurns` maps its stream's errors with [`status`].

use tonic::codegen::http::{HeaderMap, HeaderValue, Response};
use tonic::{Code, Status};

const TOO_LARGE: &str = "decoded message length too large";
/// Starts of tonic's and prost's messages for a request that does not decode.
const UNDECODABLE: [&str; 3] = [
    "failed to decode Protobuf message",
    "Unexpected EOF decoding stream",
    "protocol error: received message with invalid compression flag",
];

/// What a decoding failure's status should be, from its code and message.
fn standard(code: Code, message: &str) -> Option<Code> {
    match code {
        Code::OutOfRange if message.contains(TOO_LARGE) => Some(Code::ResourceExhausted),
        Code::Internal if UNDECODABLE.iter().any(|u| message.starts_with(u)) => {
            Some(Code::InvalidArgument)
        }
        _ => None,
    }
}

/// A status from reading a request stream, with the standard code for a decoding failure.
pub fn status(s: Status) -> Status {
    match standard(s.code(), s.message()) {
        Some(code) => Status::new(code, s.message().to_string()),
        None => s,
    }
}

/// Rewrites decoding failures' codes; every other response passes untouched.
pub fn map_decode_failures<B>(mut response: Response<B>) -> Response<B> {
    rewrite(response.headers_mut());
    response
}

fn rewrite(headers: &mut HeaderMap) {
    let Some(code) = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
    else {
        return;
    };
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .map(|m| m.replace("%20", " "))
        .unwrap_or_default();
    if let Some(new) = standard(Code::from_i32(code), &message) {
        let value = HeaderValue::from_str(&(new as i32).to_string()).expect("digits");
        headers.insert("grpc-status", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(code: Code, message: &str, expect: Code) {
        let mut headers = HeaderMap::new();
        headers.insert("grpc-status", (code as i32).to_string().parse().unwrap());
        headers.insert("grpc-message", message.replace(' ', "%20").parse().unwrap());
        rewrite(&mut headers);
        assert_eq!(
            headers["grpc-status"],
            (expect as i32).to_string(),
            "{message}"
        );
    }

    #[test]
    fn decoding_failures_get_the_standard_codes_and_nothing_else_changes() {
        check(
            Code::OutOfRange,
            "Error, decoded message length too large: found 5 bytes, the limit is: 4 bytes",
            Code::ResourceExhausted,
        );
        check(
            Code::Internal,
            "failed to decode Protobuf message: Turn.text: invalid string value: data is not UTF-8 encoded",
            Code::InvalidArgument,
        );
        check(
            Code::Internal,
            "Unexpected EOF decoding stream.",
            Code::InvalidArgument,
        );
        check(Code::Internal, "store corrupt", Code::Internal);
        check(Code::OutOfRange, "sequence", Code::OutOfRange);
        check(
            Code::NotFound,
            "failed to decode Protobuf message",
            Code::NotFound,
        );
    }
}
