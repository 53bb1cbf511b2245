//! Admission: the one place a call is shed for overload. At most `server.max_in_flight` calls to
//! the router and feed services run at once over all connections together, and at most
//! `server.concurrency_per_connection` from any one connection (so one busy client cannot take the
//! whole budget). A call over either limit is refused at once with `UNAVAILABLE` and a `RetryInfo`
//! (`error::shed`: counted and logged once per burst); turns are idempotent, so retrying is safe.
//! Nothing queues, so overload cannot grow memory, and health checks (not behind these limits)
//! keep answering.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::codegen::http;
use tonic::server::NamedService;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// How long a shed client is asked to wait before retrying.
const RETRY_AFTER: Duration = Duration::from_millis(100);

/// The limits shared by every connection and both services.
pub struct Limiter {
    /// Calls running over all connections (`server.max_in_flight`).
    permits: Arc<Semaphore>,
    /// Calls one connection may have running (`server.concurrency_per_connection`).
    per_connection: usize,
    /// Running calls by connection (its peer address); an entry goes when its count reaches 0, so
    /// the map never holds more entries than calls running. The lock is held for a map update
    /// only, never across an `.await`.
    connections: Mutex<HashMap<SocketAddr, usize>>,
}

/// A running call's share of the limits, given back on drop.
pub struct Admitted {
    limiter: Arc<Limiter>,
    connection: Option<SocketAddr>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        if let Some(peer) = self.connection {
            self.limiter.leave(peer);
        }
    }
}

impl Limiter {
    pub fn new(max_in_flight: usize, per_connection: usize) -> Arc<Self> {
        Arc::new(Limiter {
            permits: Arc::new(Semaphore::new(max_in_flight)),
            per_connection,
            connections: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a place for one call from `connection`, or the status that sheds it.
    pub fn admit(
        self: &Arc<Self>,
        connection: Option<SocketAddr>,
    ) -> Result<Admitted, tonic::Status> {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return Err(super::error::shed(
                tonic::Code::Unavailable,
                "overloaded: the server is at server.max_in_flight calls; retry after the delay",
                RETRY_AFTER,
            ));
        };
        if let Some(peer) = connection {
            let mut connections = self.lock();
            let running = connections.entry(peer).or_insert(0);
            if *running >= self.per_connection {
                drop(connections);
                return Err(super::error::shed(
                    tonic::Code::Unavailable,
                    "overloaded: this connection is at server.concurrency_per_connection calls; \
                     retry after the delay",
                    RETRY_AFTER,
                ));
            }
            *running += 1;
        }
        Ok(Admitted {
            limiter: self.clone(),
            connection,
            _permit: permit,
        })
    }

    fn leave(&self, peer: SocketAddr) {
        let mut connections = self.lock();
        if let Some(running) = connections.get_mut(&peer) {
            *running -= 1;
            if *running == 0 {
                connections.remove(&peer);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, usize>> {
        self.connections.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connections with calls running (for tests: the map does not outgrow the calls).
    pub fn connections_running(&self) -> usize {
        self.lock().len()
    }
}

/// The peer a request came from (plaintext or TLS), as tonic's connection layer records it.
fn peer<B>(request: &http::Request<B>) -> Option<SocketAddr> {
    let ext = request.extensions();
    ext.get::<TcpConnectInfo>()
        .and_then(|i| i.remote_addr())
        .or_else(|| {
            ext.get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|i| i.get_ref().remote_addr())
        })
}

/// Wraps one service; clones share the limiter.
#[derive(Clone)]
pub struct Admission<S> {
    inner: S,
    limiter: Arc<Limiter>,
}

impl<S> Admission<S> {
    pub fn new(inner: S, limiter: Arc<Limiter>) -> Self {
        Admission { inner, limiter }
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
        match self.limiter.admit(peer(&request)) {
            Ok(admitted) => {
                let call = self.inner.call(request);
                Box::pin(async move {
                    let response = call.await;
                    drop(admitted);
                    response
                })
            }
            Err(status) => Box::pin(async move { Ok(status.into_http()) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    #[test]
    fn one_connection_cannot_take_more_than_its_share_and_places_come_back() {
        let limiter = Limiter::new(10, 2);
        let a = limiter.admit(addr(1)).unwrap();
        let _b = limiter.admit(addr(1)).unwrap();
        let shed = limiter
            .admit(addr(1))
            .err()
            .expect("third call on one connection");
        assert_eq!(shed.code(), tonic::Code::Unavailable);
        // Another connection still gets in, and the shed call gave its global permit back.
        let _c = limiter.admit(addr(2)).unwrap();
        assert_eq!(limiter.permits.available_permits(), 7);
        drop(a);
        let _d = limiter.admit(addr(1)).unwrap();
        assert_eq!(limiter.connections_running(), 2);
    }

    #[test]
    fn the_global_limit_sheds_every_connection_and_entries_go_with_their_calls() {
        let limiter = Limiter::new(2, 10);
        let a = limiter.admit(addr(1)).unwrap();
        let b = limiter.admit(addr(2)).unwrap();
        let shed = limiter.admit(addr(3)).err().expect("over max_in_flight");
        assert_eq!(shed.code(), tonic::Code::Unavailable);
        assert!(
            tonic_types::StatusExt::get_details_retry_info(&shed).is_some(),
            "{shed:?}"
        );
        drop((a, b));
        assert_eq!(limiter.connections_running(), 0);
        let _none = limiter.admit(None).unwrap();
    }
}
