//! The ways load is sent: closed loop (a fixed number of requests in flight, for saturation
//! throughput) and fixed rate (open loop: requests go out at scheduled times whatever the server
//! does, and latency counts from the scheduled time, so a stall is not hidden by coordinated
//! omission). Unary `ProcessTurn` supports both; `StreamTurns` runs closed loop with a window of
//! turns in flight per stream.

use crate::corpus::{Cursor, ReplayConversation, TextShape};
use crate::stats::Recorder;
use escalation_router::pb::{
    self, escalation_router_client::EscalationRouterClient, stream_turns_response,
};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

pub type Client = EscalationRouterClient<Channel>;

/// The conversations in progress. A conversation is taken out while one of its turns is in flight,
/// so its turns are sent strictly in order; a finished conversation is replaced by a new one, so
/// the number of conversations in rotation stays constant.
pub struct Pool {
    free: VecDeque<Cursor>,
    prefix: String,
    next: u64,
    turns: u32,
    shape: TextShape,
    replay: Option<Vec<Arc<ReplayConversation>>>,
    seed: u64,
}

impl Pool {
    pub fn new(
        size: usize,
        prefix: String,
        turns: u32,
        shape: TextShape,
        replay: Option<Vec<Arc<ReplayConversation>>>,
        seed: u64,
    ) -> Self {
        let mut pool = Pool {
            free: VecDeque::with_capacity(size),
            prefix,
            next: 0,
            turns,
            shape,
            replay,
            seed,
        };
        for _ in 0..size {
            let c = pool.fresh();
            pool.free.push_back(c);
        }
        pool
    }

    fn fresh(&mut self) -> Cursor {
        self.next += 1;
        let id = format!("{}-{}", self.prefix, self.next);
        let seed = self
            .seed
            .wrapping_add(self.next.wrapping_mul(0x2545_f491_4f6c_dd1d));
        match &self.replay {
            Some(convs) => {
                let c = convs[(self.next as usize - 1) % convs.len()].clone();
                Cursor::replayed(id, c, seed)
            }
            None => Cursor::generated(id, self.turns, self.shape, seed),
        }
    }

    fn take(&mut self) -> Cursor {
        match self.free.pop_front() {
            Some(c) => c,
            None => self.fresh(),
        }
    }

    fn give(&mut self, c: Cursor) {
        let c = if c.finished() { self.fresh() } else { c };
        self.free.push_back(c);
    }
}

/// When to record and when to stop.
#[derive(Clone)]
pub struct Window {
    /// Requests sent from here on are recorded (the end of the warm-up).
    pub measure_from: Instant,
    /// No request is sent after this; completions after it are not recorded.
    pub until: Instant,
    /// Stop after this many requests were sent (a fill run); `u64::MAX`: no limit.
    pub max_requests: u64,
}

struct Shared {
    pool: Mutex<Pool>,
    recorder: Arc<Recorder>,
    window: Window,
    sent: AtomicU64,
}

impl Shared {
    /// Claims the right to send one more request, or `None` when the run is over.
    fn claim(&self) -> Option<Cursor> {
        if Instant::now() >= self.window.until {
            return None;
        }
        if self.sent.fetch_add(1, Ordering::Relaxed) >= self.window.max_requests {
            return None;
        }
        Some(lock(&self.pool).take())
    }

    fn finish(&self, cursor: Cursor) {
        lock(&self.pool).give(cursor);
    }

    fn records(&self, intended: Instant) -> bool {
        intended >= self.window.measure_from && Instant::now() <= self.window.until
    }

    fn record(
        &self,
        intended: Instant,
        text_len: usize,
        result: Result<&pb::Decision, &tonic::Status>,
    ) {
        if !self.records(intended) {
            return;
        }
        let latency = intended.elapsed();
        self.recorder.sent_text(text_len);
        match result {
            Ok(d) => self.recorder.decision(latency, Some(d)),
            Err(s) => self.recorder.error(latency, s.code(), s.message()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One unary call; returns the conversation to the pool.
async fn unary_call(
    shared: Arc<Shared>,
    mut client: Client,
    mut cursor: Cursor,
    intended: Instant,
) {
    let turn = cursor.next_turn();
    let text_len = turn.text.len();
    let result = client
        .process_turn(pb::ProcessTurnRequest { turn: Some(turn) })
        .await;
    let decision = result.map(|r| r.into_inner().decision.unwrap_or_default());
    shared.record(intended, text_len, decision.as_ref());
    if let Err(s) = &decision
        && matches!(
            s.code(),
            tonic::Code::Unavailable | tonic::Code::ResourceExhausted
        )
    {
        cursor.unsend();
    }
    shared.finish(cursor);
}

/// Closed loop: `inflight` workers, each sending its next request when the last one answered.
pub async fn unary_closed(
    clients: &[Client],
    inflight: usize,
    pool: Pool,
    recorder: Arc<Recorder>,
    window: Window,
) {
    let shared = shared(pool, recorder, window);
    let mut workers = Vec::with_capacity(inflight);
    for w in 0..inflight {
        let client = clients[w % clients.len()].clone();
        let shared = shared.clone();
        workers.push(tokio::spawn(async move {
            while let Some(cursor) = shared.claim() {
                unary_call(shared.clone(), client.clone(), cursor, Instant::now()).await;
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
}

/// Fixed rate: request `i` is due at `start + i / rate`. The scheduler sleeps while the next send is
/// far off and spins (yielding to the responses) when it is near, so sends leave on time; latency is
/// measured from the due time.
pub async fn unary_rate(
    clients: &[Client],
    rate: f64,
    pool: Pool,
    recorder: Arc<Recorder>,
    window: Window,
) {
    let shared = shared(pool, recorder, window);
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut i: u64 = 0;
    'schedule: loop {
        let now = Instant::now();
        loop {
            let due = start + interval.mul_f64(i as f64);
            if due > now {
                break;
            }
            let Some(cursor) = shared.claim() else {
                break 'schedule;
            };
            let client = clients[(i as usize) % clients.len()].clone();
            tasks.spawn(unary_call(shared.clone(), client, cursor, due));
            i += 1;
        }
        while tasks.try_join_next().is_some() {}
        let due = start + interval.mul_f64(i as f64);
        if due > now + Duration::from_millis(2) {
            tokio::time::sleep_until(due - Duration::from_millis(1)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
    let grace = tokio::time::sleep(Duration::from_secs(10));
    tokio::pin!(grace);
    loop {
        tokio::select! {
            r = tasks.join_next() => if r.is_none() { break },
            _ = &mut grace => break,
        }
    }
}

/// Closed loop over `StreamTurns`: one stream per client with up to `window` turns in flight each.
pub async fn stream_closed(
    clients: &[Client],
    inflight: usize,
    pool: Pool,
    recorder: Arc<Recorder>,
    window: Window,
) -> anyhow::Result<()> {
    let shared = shared(pool, recorder, window);
    let per_stream = inflight.div_ceil(clients.len()).max(1);
    let mut tasks = Vec::new();
    for client in clients {
        tasks.push(tokio::spawn(one_stream(
            client.clone(),
            per_stream,
            shared.clone(),
        )));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

type Pending = Mutex<HashMap<String, (Instant, usize, Cursor)>>;

async fn one_stream(mut client: Client, window: usize, shared: Arc<Shared>) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel::<pb::ProcessTurnRequest>(window);
    let pending: Arc<Pending> = Arc::new(Mutex::new(HashMap::with_capacity(window)));
    let permits = Arc::new(Semaphore::new(window));
    let sender = {
        let (pending, permits, shared) = (pending.clone(), permits.clone(), shared.clone());
        tokio::spawn(async move {
            loop {
                let Ok(permit) = permits.acquire().await else {
                    break;
                };
                permit.forget();
                let Some(mut cursor) = shared.claim() else {
                    break;
                };
                let turn = cursor.next_turn();
                let entry = (Instant::now(), turn.text.len(), cursor);
                lock(&pending).insert(turn.turn_id.clone(), entry);
                if tx
                    .send(pb::ProcessTurnRequest { turn: Some(turn) })
                    .await
                    .is_err()
                {
                    break;
                }
            }
        })
    };
    let mut responses = client
        .stream_turns(ReceiverStream::new(rx))
        .await?
        .into_inner();
    while let Some(msg) = responses.message().await? {
        let Some((sent, text_len, cursor)) = lock(&pending).remove(&msg.turn_id) else {
            continue;
        };
        match &msg.result {
            Some(stream_turns_response::Result::Decision(d)) => {
                shared.record(sent, text_len, Ok(d))
            }
            Some(stream_turns_response::Result::Error(e)) => {
                let status = tonic::Status::new(tonic::Code::from_i32(e.code), e.message.clone());
                shared.record(sent, text_len, Err(&status));
            }
            None => {}
        }
        shared.finish(cursor);
        permits.add_permits(1);
        if sender.is_finished() && lock(&pending).is_empty() {
            break;
        }
    }
    sender.abort();
    Ok(())
}

fn shared(pool: Pool, recorder: Arc<Recorder>, window: Window) -> Arc<Shared> {
    Arc::new(Shared {
        pool: Mutex::new(pool),
        recorder,
        window,
        sent: AtomicU64::new(0),
    })
}
