//! The process-wide admission limit: at most `server.max_in_flight` calls to the router and feed
//! services run at once, over all connections together. A call over the limit is refused at once
//! with `UNAVAILABLE` and a `RetryInfo` (turns are idempotent, so retrying is safe); nothing
//! queues, so overload cannot grow memory, and health checks (not behind this limit) keep answering.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Semaphore;
use tonic::codegen::http;
use tonic::server::NamedService;

/// Wraps one service; clones share the permits.
#[derive(Clone)]
pub struct Admission<S> {
    inner: S,
    permits: Arc<Semaphore>,
}

impl<S> Admission<S> {
    pub fn new(inner: S, permits: Arc<Semaphore>) -> Self {
        Admission { inner, permits }
    }
}

impl<S: NamedService> NamedService for Admission<S> {
    const NAME: &'static str = S::NAME;
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for Admission<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let call = self.inner.call(request);
                Box::pin(async move {
                    let response = call.await;
                    drop(permit);
                    response
                })
            }
            Err(_) => {
                let status = super::error::shed(
                    tonic::Code::Unavailable,
                    "overloaded: the server is at server.max_in_flight calls; retry after the delay",
                    Duration::from_millis(100),
                );
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}
