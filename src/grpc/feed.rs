//! `HandoffFeed`: at-least-once delivery of handoff events to named consumer groups.
//!
//! Each subscription is a task that claims leased events from the store and sends them. When the
//! subscriber goes away its unacknowledged leases are released at once, so a reconnecting consumer
//! (or another of the same name) gets them again; leases also expire on their own after
//! `feed.lease_seconds` (a crashed replica, a consumer that never acks).
//!
//! An idle subscription waits for a notification (an append, release or ack in this process; with
//! PostgreSQL also another replica's append, by `NOTIFY`), not a timer. It looks again on its
//! own only when leases it handed out run out, and, when the store is shared by replicas, every
//! `feed.poll_ms` for what they do not announce (a release or an ack).

use super::auth::{Rpc, allow, allow_role, caller};
use super::convert::{self, Limits};
use super::error::RequestError;
use super::streams::{Slot, Streams};
use crate::engine::Engine;
use crate::pb::{self, handoff_feed_server::HandoffFeed};
use crate::state::FeedFilter;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::{debug, warn};

/// How many events one claim hands out.
const BATCH: usize = 64;
/// How many handed-out event ids a subscription remembers for release on disconnect.
const REMEMBERED: usize = 10_000;
/// Handouts closer together than this share one lease-expiry wake-up (the earlier ones are looked
/// at up to this much late), so the wake-up list stays short.
const EXPIRY_GRAIN: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct FeedService {
    engine: Engine,
    limits: Limits,
    /// Open streams per principal.
    streams: Streams,
    lease: Duration,
    /// Idle look-ups for what other replicas do not announce; `None` when no other process
    /// writes to the store.
    poll: Option<Duration>,
    shutdown: watch::Receiver<bool>,
}

impl FeedService {
    pub fn new(
        engine: Engine,
        limits: Limits,
        streams: Streams,
        lease: Duration,
        poll: Duration,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        FeedService {
            poll: engine.store_shared().then_some(poll),
            engine,
            limits,
            streams,
            lease,
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
        let acknowledged = self.engine.ack_events(&consumer, &req.event_ids).await?;
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
    let notify = feed.engine.event_notify();
    let mut shutdown = feed.shutdown.clone();
    let mut handed: VecDeque<String> = VecDeque::new();
    let mut expiries = Expiries::default();
    'outer: loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let events = match feed.engine.claim_events(&filter, BATCH, feed.lease).await {
            Ok(events) => events,
            Err(e) => {
                warn!(error = %e, consumer = %filter.consumer, "feed claim failed");
                let _ = tx.send(Err(Status::unavailable(e.to_string()))).await;
                break;
            }
        };
        let idle = events.is_empty();
        if !idle {
            expiries.handed_out(Instant::now() + feed.lease);
        }
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
            let poll = feed.poll.map(|p| Instant::now() + p);
            let wake = [expiries.next(), poll].into_iter().flatten().min();
            tokio::select! {
                _ = &mut notified => {}
                _ = sleep_until(wake) => {}
                _ = tx.closed() => break,
                _ = shutdown.wait_for(|s| *s) => break,
            }
            expiries.passed(Instant::now());
        } else if *shutdown.borrow() {
            break;
        }
    }
    debug!(consumer = %filter.consumer, outstanding = handed.len(), "subscription ended");
    let ids: Vec<String> = handed.into_iter().collect();
    if let Err(e) = feed.engine.release_events(&filter.consumer, &ids).await {
        warn!(error = %e, "releasing leases failed; they will expire");
    }
}

/// Sleeps until `at`, or forever.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// When leases this subscription handed out run out (a margin after), oldest first: it looks
/// again then, so an event its consumer never acknowledged is redelivered without polling.
#[derive(Default)]
struct Expiries(VecDeque<Instant>);

/// Looks a little after a lease's end, so the store sees it expired.
const EXPIRY_MARGIN: Duration = Duration::from_millis(50);

impl Expiries {
    fn handed_out(&mut self, lease_end: Instant) {
        let at = lease_end + EXPIRY_MARGIN;
        match self.0.back_mut() {
            Some(last) if at.saturating_duration_since(*last) < EXPIRY_GRAIN => *last = at,
            _ => self.0.push_back(at),
        }
    }

    fn next(&self) -> Option<Instant> {
        self.0.front().copied()
    }

    fn passed(&mut self, now: Instant) {
        while self.0.front().is_some_and(|t| *t <= now) {
            self.0.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handouts_close_together_share_one_wake_up_at_the_later_end() {
        let t0 = Instant::now();
        let mut e = Expiries::default();
        assert_eq!(e.next(), None, "nothing handed out: no timer");
        e.handed_out(t0);
        e.handed_out(t0 + Duration::from_millis(60));
        e.handed_out(t0 + Duration::from_secs(1));
        assert_eq!(
            e.next(),
            Some(t0 + Duration::from_millis(60) + EXPIRY_MARGIN)
        );
        e.passed(t0 + Duration::from_millis(500));
        assert_eq!(e.next(), Some(t0 + Duration::from_secs(1) + EXPIRY_MARGIN));
        e.passed(t0 + Duration::from_secs(2));
        assert_eq!(e.next(), None);
    }
}
