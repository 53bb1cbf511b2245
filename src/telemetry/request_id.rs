//! `x-request-id`: taken from the call's metadata or generated, recorded on a span that every log
//! line of the call carries, and returned in the response metadata. The same span is the call's
//! OpenTelemetry span (`traces`).

use http::{HeaderValue, Request, Response};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};
use tracing::Instrument;

/// The metadata key.
pub const REQUEST_ID: &str = "x-request-id";
/// Longest request id taken from a client; longer or non-visible ones are replaced.
const MAX_LEN: usize = 128;

/// Adds the request id span and response header to every call.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestId<S>;
    fn layer(&self, inner: S) -> RequestId<S> {
        RequestId { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RequestId<S> {
    inner: S,
}

/// The client's id if it is a short printable ASCII string, else a new UUID.
pub fn take_or_generate(header: Option<&HeaderValue>) -> HeaderValue {
    header
        .filter(|v| {
            !v.is_empty() && v.len() <= MAX_LEN && v.as_bytes().iter().all(|b| b.is_ascii_graphic())
        })
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::now_v7().to_string()).expect("a UUID is ASCII")
        })
}

impl<S, B, R> Service<Request<B>> for RequestId<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<R>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let id = take_or_generate(req.headers().get(REQUEST_ID));
        req.headers_mut().insert(REQUEST_ID, id.clone());
        let path = req.uri().path();
        let request_id = id.to_str().unwrap_or_default();
        // Health checks (probes every few seconds) get their own span, which is never traced.
        let span = if path.starts_with("/grpc.health.v1.Health/") {
            tracing::info_span!("health", request_id, rpc = path)
        } else {
            let span = tracing::info_span!(
                "rpc",
                request_id,
                rpc = path,
                tenant_id = tracing::field::Empty,
                conversation_id = tracing::field::Empty,
                trace_id = tracing::field::Empty,
                otel.name = tracing::field::Empty,
                otel.kind = tracing::field::Empty,
            );
            super::traces::call_started(&span, req.headers(), path);
            span
        };
        let future = span.in_scope(|| self.inner.call(req));
        Box::pin(
            async move {
                let mut response = future.await?;
                super::traces::call_answered(&tracing::Span::current(), response.headers());
                response.headers_mut().insert(REQUEST_ID, id);
                Ok(response)
            }
            .instrument(span),
        )
    }
}
