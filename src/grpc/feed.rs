//! `HandoffFeed`: at-least-once delivery of handoff events to named consumer groups.
//!
//! Each subscription is a task that claims leased events from the store and sends them. When the
//! subscriber goes away its unacknowledged leases are released at once, so a reconnecting consumer
//! (or another of the same name) gets them again; leases also expire on their own after
//! `feed.lease_seconds` (a crashed replica, a consumer that never acks).

use super::auth::{Rpc, allow, allow_role, caller};
use super::convert::{self, Limits};
use super::error::RequestError;
use super::streams::{Slot, Streams};
use crate::pb::{self, handoff_feed_server::HandoffFeed};
use crate::state::{FeedFilter, SharedStore};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::{debug, warn};

/// How many events one claim hands out.
const BATCH: usize = 64;
/// How many handed-out event ids a subscription remembers for release on disconnect.
const REMEMBERED: usize = 10_000;

#[derive(Clone)]
pub struct FeedService {
    store: SharedStore,
    limits: Limits,
    /// Open streams per principal.
    streams: Streams,
    lease: Duration,
    poll: Duration,
    shutdown: watch::Receiver<bool>,
}

impl FeedService {
    pub fn new(
        store: SharedStore,
        limits: Limits,
        streams: Streams,
        lease: Duration,
        poll: Duration,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        FeedService {
            store,
            limits,
            streams,
            lease,
            poll,
            shutdown,
        }
    }
}

#[tonic::async_trait]
impl HandoffFeed for FeedService {
    type SubscribeStream = ReceiverStream<Result<pb::HandoffEvent, Status>>;

    async fn subscribe(
        &self,
        request: Request<pb::SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let consumer = convert::id("consumer", &req.consumer, self.limits)?;
        let tenant = (!req.tenant_id.is_empty()).then_some(req.tenant_id.as_str());
        allow(&principal, Rpc::Subscribe, tenant)?;
        let consumer = principal.consumer_group(&consumer);
        if req.queues.len() > self.limits.max_entries {
            return Err(RequestError::invalid(
                "queues",
                format!("at most {} queues", self.limits.max_entries),
            )
            .into());
        }
        for (i, q) in req.queues.iter().enumerate() {
            convert::id(&format!("queues[{i}]"), q, self.limits)?;
        }
        let slot = self.streams.open(&principal.name)?;
        let filter = FeedFilter {
            consumer,
            tenant_id: (!req.tenant_id.is_empty()).then_some(req.tenant_id),
            queues: req.queues,
        };
        crate::metrics::consumer_subscribed(&filter);
        let (tx, rx) = mpsc::channel(BATCH);
        crate::telemetry::spawn(deliver(self.clone(), filter, tx, slot));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn ack(
        &self,
        request: Request<pb::AckRequest>,
    ) -> Result<Response<pb::AckResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let consumer = convert::id("consumer", &req.consumer, self.limits)?;
        // Ack names no tenant: it only ever touches the caller's own consumer group.
        allow_role(&principal, Rpc::Ack)?;
        let consumer = principal.consumer_group(&consumer);
        if req.event_ids.is_empty() {
            return Err(RequestError::invalid("event_ids", "is empty").into());
        }
        for (i, id) in req.event_ids.iter().enumerate() {
            convert::id(&format!("event_ids[{i}]"), id, self.limits)?;
        }
        let acknowledged = self.store.ack(&consumer, &req.event_ids).await?;
        Ok(Response::new(pb::AckResponse { acknowledged }))
    }
}

/// One subscription: claim, send, wait for more; release what is outstanding when it ends.
async fn deliver(
    feed: FeedService,
    filter: FeedFilter,
    tx: mpsc::Sender<Result<pb::HandoffEvent, Status>>,
    _slot: Slot,
) {
    let notify = feed.store.event_notify();
    let mut shutdown = feed.shutdown.clone();
    let mut handed: VecDeque<String> = VecDeque::new();
    'outer: loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let events = match feed.store.claim(&filter, BATCH, feed.lease).await {
            Ok(events) => events,
            Err(e) => {
                warn!(error = %e, consumer = %filter.consumer, "feed claim failed");
                let _ = tx.send(Err(Status::unavailable(e.to_string()))).await;
                break;
            }
        };
        let idle = events.is_empty();
        crate::metrics::redelivered(events.iter().filter(|e| e.redeliveries > 0).count() as u64);
        for ev in events {
            let id = ev.event_id.clone();
            if tx.send(Ok(convert::event(&ev))).await.is_err() {
                handed.push_back(id);
                break 'outer;
            }
            if handed.len() >= REMEMBERED {
                handed.pop_front();
            }
            handed.push_back(id);
        }
        if idle {
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(feed.poll) => {}
                _ = tx.closed() => break,
                _ = shutdown.wait_for(|s| *s) => break,
            }
        } else if *shutdown.borrow() {
            break;
        }
    }
    debug!(consumer = %filter.consumer, outstanding = handed.len(), "subscription ended");
    let ids: Vec<String> = handed.into_iter().collect();
    if let Err(e) = feed.store.release(&filter.consumer, &ids).await {
        warn!(error = %e, "releasing leases failed; they will expire");
    }
}
