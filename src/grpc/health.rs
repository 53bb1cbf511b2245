//! `grpc.health.v1` as tonic-health serves it, except that open `Watch` streams end when the server
//! stops, so a load balancer's watch never holds the exit.

use futures_util::StreamExt;
use std::pin::Pin;
use tokio::sync::watch;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tonic_health::pb::health_server::{Health, HealthServer};
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};
use tonic_health::server::{HealthReporter, HealthService};

pub struct StoppingHealth {
    inner: HealthService,
    /// Flips to true when the server stops taking calls.
    stop: watch::Receiver<bool>,
}

/// The health service over `reporter`'s statuses; its watches end when `stop` turns true.
pub fn service(
    reporter: &HealthReporter,
    stop: watch::Receiver<bool>,
) -> HealthServer<StoppingHealth> {
    HealthServer::new(StoppingHealth {
        inner: HealthService::from_health_reporter(reporter.clone()),
        stop,
    })
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for StoppingHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.inner.check(request).await
    }

    type WatchStream = WatchStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let statuses = self.inner.watch(request).await?.into_inner();
        let mut stop = self.stop.clone();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        Ok(Response::new(Box::pin(statuses.take_until(stopped))))
    }
}
