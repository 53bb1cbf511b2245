//! `StreamTurns`: many conversations over one stream. Turns of different conversations run
//! concurrently; turns of one conversation run in the order they arrived (each waits for its
//! predecessor's completion signal).
//!
//! Bounded: the stream stops reading while `limits.max_pending_turns_per_stream` of its turns are
//! unanswered (or their answers unread), so a client that writes without reading cannot grow our
//! memory. A client that goes away cancels its pending work (a cancelled turn may or may not have
//! been committed; it was never answered, and resending it is safe because turns are idempotent).
//! On shutdown the stream stops reading, answers what it has read, and ends `UNAVAILABLE`, never OK,
//! so the client knows to reconnect and resend what is unanswered.

use super::RouterService;
use super::decode_status;
use crate::config::auth::Principal;
use crate::pb;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_stream::{Stream, StreamExt, wrappers::ReceiverStream};
use tonic::{Status, Streaming};

pub type TurnStream = Pin<Box<dyn Stream<Item = Result<pb::StreamTurnsResponse, Status>> + Send>>;
type Sender = mpsc::Sender<Result<pb::StreamTurnsResponse, Status>>;
/// The last turn taken per conversation: its number and its completion signal.
type Order = Arc<Mutex<HashMap<(String, String), (u64, oneshot::Receiver<()>)>>>;

/// Why reading stopped.
enum End {
    /// The client half-closed: answer everything read, then end OK.
    Done,
    /// The client is gone: cancel what is pending.
    Gone,
    /// End with this status once what was read is answered.
    Fail(Status),
}

/// Starts serving `input`; `hold` (the principal's stream slot) is kept until the stream ends.
pub fn serve<H: Send + 'static>(
    service: RouterService,
    principal: Arc<Principal>,
    mut input: Streaming<pb::ProcessTurnRequest>,
    hold: H,
) -> TurnStream {
    let bound = service.limits.max_pending_turns_per_stream;
    let (tx, rx) = mpsc::channel(bound);
    crate::telemetry::spawn(async move {
        let _hold = hold;
        let mut shutdown = service.shutdown.clone();
        let pending = Arc::new(Semaphore::new(bound));
        let order: Order = Arc::default();
        let mut tasks = JoinSet::new();
        let mut next_id = 0u64;
        let end = loop {
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                p = pending.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                _ = tx.closed() => break End::Gone,
                _ = shutdown.wait_for(|s| *s) => break End::Fail(shutting_down()),
            };
            let msg = tokio::select! {
                m = input.next() => m,
                _ = tx.closed() => break End::Gone,
                _ = shutdown.wait_for(|s| *s) => break End::Fail(shutting_down()),
            };
            let req = match msg {
                Some(Ok(req)) => req,
                Some(Err(status)) => break End::Fail(decode_status::status(status)),
                None => break End::Done,
            };
            next_id += 1;
            let turn = start(&service, &principal, &order, next_id, req, tx.clone());
            tasks.spawn(tracing::Instrument::in_current_span(async move {
                turn.await;
                drop(permit);
            }));
        };
        match end {
            End::Gone => tasks.abort_all(),
            End::Done | End::Fail(_) => {
                // Answer what was read; stop early if the client goes meanwhile.
                loop {
                    tokio::select! {
                        next = tasks.join_next() => if next.is_none() { break },
                        _ = tx.closed() => { tasks.abort_all(); break }
                    }
                }
                if let End::Fail(status) = end {
                    let _ = tx.send(Err(status)).await;
                }
            }
        }
    });
    Box::pin(ReceiverStream::new(rx))
}

fn shutting_down() -> Status {
    Status::unavailable("the server is shutting down; reconnect and resend unanswered turns")
}

/// The work for one turn: wait for the conversation's previous turn, process, answer.
fn start(
    service: &RouterService,
    principal: &Arc<Principal>,
    order: &Order,
    id: u64,
    req: pb::ProcessTurnRequest,
    tx: Sender,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let (tenant_id, conversation_id, turn_id) = req
        .turn
        .as_ref()
        .map(|t| {
            (
                t.tenant_id.clone(),
                t.conversation_id.clone(),
                t.turn_id.clone(),
            )
        })
        .unwrap_or_default();
    let key = (tenant_id.clone(), conversation_id.clone());
    let (done_tx, done_rx) = oneshot::channel();
    let previous = lock(order).insert(key.clone(), (id, done_rx));
    let (service, principal, order) = (service.clone(), principal.clone(), order.clone());
    async move {
        if let Some((_, prev)) = previous {
            let _ = prev.await;
        }
        let started = std::time::Instant::now();
        let result = match service.process(&principal, req).await {
            Ok(d) => {
                crate::metrics::turn_seconds("StreamTurns", started.elapsed());
                pb::stream_turns_response::Result::Decision(d)
            }
            Err(s) => pb::stream_turns_response::Result::Error(pb::TurnError {
                code: s.code() as i32,
                message: s.message().to_string(),
                retry_delay: tonic_types::StatusExt::get_details_retry_info(&s)
                    .and_then(|r| r.retry_delay)
                    .and_then(|d| prost_types::Duration::try_from(d).ok()),
            }),
        };
        let _ = tx
            .send(Ok(pb::StreamTurnsResponse {
                tenant_id,
                conversation_id,
                turn_id,
                result: Some(result),
            }))
            .await;
        let mut order = lock(&order);
        if order.get(&key).is_some_and(|(i, _)| *i == id) {
            order.remove(&key);
        }
        drop(order);
        let _ = done_tx.send(());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
