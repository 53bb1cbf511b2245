//! The engine's sequencing: order, dedupe and the optimistic retry, on the in-memory store (the
//! same path every store takes).

use super::{Engine, EngineError, EngineSettings};
use crate::detect::Detector;
use crate::domain::{Action, ConversationState, HandoffEvent, Role, Turn, TurnReceipt};
use crate::policy::QueueStatus;
use crate::state::{
    self, Commit, CommitResult, FeedFilter, OutcomeRecord, QualityRow, QueueSnapshot, SharedStore,
    Store, StoreError,
};
use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

fn detector() -> Arc<Detector> {
    static DETECTOR: OnceLock<Arc<Detector>> = OnceLock::new();
    DETECTOR.get_or_init(|| Arc::new(Detector::new())).clone()
}

fn engine(store: SharedStore) -> Engine {
    Engine::new(detector(), store, EngineSettings::default())
}

async fn memory_engine() -> Engine {
    engine(state::open("memory", 16).await.unwrap())
}

fn turn(id: &str, sequence: u64, text: &str) -> Turn {
    Turn {
        tenant_id: "acme".into(),
        conversation_id: "c1".into(),
        turn_id: id.into(),
        sequence: Some(sequence),
        role: if sequence % 2 == 1 {
            Role::Customer
        } else {
            Role::Bot
        },
        text: text.into(),
        time_ms: 1_000 * sequence as i64,
        ..Default::default()
    }
}

async fn version(e: &Engine) -> (u64, u64) {
    let s = e.conversation("acme", "c1").await.unwrap();
    (s.version, s.turn_count)
}

#[tokio::test]
async fn a_turn_that_skips_ahead_is_refused_naming_the_expected_sequence_and_changes_nothing() {
    let e = memory_engine().await;
    e.process(turn("t1", 1, "Hello, where is my parcel?"))
        .await
        .unwrap();
    let err = e
        .process(turn("t3", 3, "Hello?"))
        .await
        .expect_err("a gap is refused");
    assert!(
        matches!(
            err,
            EngineError::SequenceGap {
                expected: 2,
                got: 3
            }
        ),
        "{err:?}"
    );
    assert_eq!(version(&e).await, (1, 1));
}

#[tokio::test]
async fn a_repeated_turn_gets_its_stored_decision_and_changes_nothing() {
    let e = memory_engine().await;
    let first = e
        .process(turn("t1", 1, "I want to talk to a human now!"))
        .await
        .unwrap();
    e.process(turn("t2", 2, "Sure, one moment.")).await.unwrap();
    let before = e.conversation("acme", "c1").await.unwrap();
    // Sent again (a retry after a lost answer), twice: the first decision, marked duplicate.
    for again in [
        turn("t1", 1, "I want to talk to a human now!"),
        turn("t1", 1, "I want to talk to a human now!"),
    ] {
        let d = e.process(again).await.unwrap();
        assert!(d.duplicate);
        assert_eq!(
            crate::domain::Decision {
                duplicate: false,
                ..d
            },
            super::compact(&first)
        );
    }
    assert_eq!(e.conversation("acme", "c1").await.unwrap(), before);
}

#[tokio::test]
async fn a_turn_id_or_sequence_reused_for_other_content_is_a_conflict() {
    let e = memory_engine().await;
    e.process(turn("t1", 1, "Where is my parcel?"))
        .await
        .unwrap();
    for other in [
        turn("t1", 1, "Something else entirely"),
        turn("t1-bis", 1, "Where is my parcel?"),
    ] {
        let err = e.process(other).await.expect_err("refused");
        assert!(
            matches!(err, EngineError::ConflictingTurnId { .. }),
            "{err:?}"
        );
    }
    assert_eq!(version(&e).await, (1, 1));
}

/// A store on which another writer (another replica) commits a status change to the
/// conversation just before this engine's first commit lands: the engine must reload and step
/// again on the fresh state.
struct RacedOnce {
    inner: SharedStore,
    raced: AtomicBool,
}

#[async_trait]
impl Store for RacedOnce {
    async fn load(&self, t: &str, c: &str) -> Result<Option<Arc<ConversationState>>, StoreError> {
        self.inner.load(t, c).await
    }
    async fn receipt(&self, t: &str, c: &str, id: &str) -> Result<Option<TurnReceipt>, StoreError> {
        self.inner.receipt(t, c, id).await
    }
    async fn receipt_at(
        &self,
        t: &str,
        c: &str,
        seq: u64,
    ) -> Result<Option<TurnReceipt>, StoreError> {
        self.inner.receipt_at(t, c, seq).await
    }
    async fn commit(&self, commit: Commit) -> Result<CommitResult, StoreError> {
        if !self.raced.swap(true, Ordering::SeqCst) {
            let mut other = Arc::unwrap_or_clone(
                self.inner
                    .load(&commit.state.tenant_id, &commit.state.conversation_id)
                    .await?
                    .expect("the conversation exists"),
            );
            let expected_version = other.version;
            other.version += 1;
            other.last_action = Action::Continue;
            other.updated_ms += 1;
            let raced = Commit {
                state: other,
                expected_version,
                receipt: None,
                event: None,
            };
            assert_eq!(self.inner.commit(raced).await?, CommitResult::Committed);
        }
        self.inner.commit(commit).await
    }
    async fn claim(
        &self,
        f: &FeedFilter,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<HandoffEvent>, StoreError> {
        self.inner.claim(f, limit, lease).await
    }
    async fn release(&self, consumer: &str, ids: &[String]) -> Result<(), StoreError> {
        self.inner.release(consumer, ids).await
    }
    async fn backlog(&self, f: &FeedFilter) -> Result<u64, StoreError> {
        self.inner.backlog(f).await
    }
    async fn ack(&self, consumer: &str, ids: &[String]) -> Result<u32, StoreError> {
        self.inner.ack(consumer, ids).await
    }
    async fn forget(&self, t: &str, c: Option<&str>, k: Option<&str>) -> Result<u64, StoreError> {
        self.inner.forget(t, c, k).await
    }
    async fn expire(&self, idle: i64, delivered: i64) -> Result<(u64, u64), StoreError> {
        self.inner.expire(idle, delivered).await
    }
    async fn record_outcome(&self, o: OutcomeRecord) -> Result<bool, StoreError> {
        self.inner.record_outcome(o).await
    }
    async fn quality(&self, t: Option<&str>) -> Result<Vec<QualityRow>, StoreError> {
        self.inner.quality(t).await
    }
    async fn update_queues(
        &self,
        t: &str,
        q: Vec<(String, QueueStatus)>,
    ) -> Result<(), StoreError> {
        self.inner.update_queues(t, q).await
    }
    async fn queues(&self, t: &str) -> Result<QueueSnapshot, StoreError> {
        self.inner.queues(t).await
    }
    fn event_notify(&self) -> Arc<Notify> {
        self.inner.event_notify()
    }
    fn shared(&self) -> bool {
        self.inner.shared()
    }
}

#[tokio::test]
async fn a_racing_writer_makes_the_turn_step_again_on_fresh_state() {
    let inner = state::open("memory", 16).await.unwrap();
    let plain = engine(inner.clone());
    plain
        .process(turn("t1", 1, "Where is my parcel?"))
        .await
        .unwrap();
    let raced = engine(Arc::new(RacedOnce {
        inner: inner.clone(),
        raced: AtomicBool::new(false),
    }));
    let d = raced
        .process(turn("t2", 2, "It is on its way."))
        .await
        .unwrap();
    assert!(!d.duplicate);
    assert_eq!(d.sequence, 2);
    // Turn 1, the racing writer's change, then turn 2 stepped on top of it: nothing lost.
    let end = plain.conversation("acme", "c1").await.unwrap();
    assert_eq!((end.version, end.turn_count), (3, 2));
    assert_eq!(end.updated_ms, 2_000);
    assert_eq!(
        end.recent
            .iter()
            .map(|r| r.turn_id.as_str())
            .collect::<Vec<_>>(),
        ["t1", "t2"]
    );
}

/// Retention counts idleness from when the server received the last turn, not from the time the
/// client stamped on it: a turn stamped an hour ago (within the allowed skew) keeps its
/// conversation past a 30-minute idle limit, on every store kind.
#[tokio::test]
async fn retention_runs_on_the_server_receive_time_not_the_turn_time() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}/r.db", dir.path().display());
    for url in ["memory", sqlite.as_str()] {
        let e = engine(state::open(url, 16).await.unwrap());
        let now = crate::clock::now_ms();
        let mut t = turn("t1", 1, "Hello, where is my parcel?");
        t.time_ms = now - 3_600_000;
        e.process(t).await.unwrap();
        let stored = e.conversation("acme", "c1").await.unwrap();
        assert_eq!(stored.updated_ms, now - 3_600_000, "{url}");
        assert!(stored.received_ms >= now, "{url}");
        let (gone, _) = e.store().expire(now - 1_800_000, 0).await.unwrap();
        assert_eq!(
            gone, 0,
            "{url}: a conversation received just now is not idle"
        );
        let (gone, _) = e.store().expire(now + 60_000, 0).await.unwrap();
        assert_eq!(
            gone, 1,
            "{url}: idle once the limit passes its receive time"
        );
    }
}

/// Handoff ids are fresh UUIDs: blanked so two runs compare.
fn without_ids(mut d: crate::domain::Decision) -> crate::domain::Decision {
    if let Some(h) = &mut d.handoff {
        h.handoff_id.clear();
    }
    d
}

#[tokio::test]
async fn a_memory_store_packing_every_state_decides_exactly_as_one_keeping_them_decoded() {
    use crate::domain::{BotFacts, CustomerProfile};
    use crate::state::memory::MemoryStore;
    let decoded = engine(Arc::new(MemoryStore::with_decoded(16, usize::MAX)));
    let packed = engine(Arc::new(MemoryStore::with_decoded(16, 0)));
    let texts = [
        "Hallo, ich möchte meine Lieferadresse für Bestellung 4711-2231 ändern, meine Mail ist k@example.de",
        "Das habe ich leider nicht verstanden.",
        "Das ist jetzt schon das dritte Mal, ich bin echt sauer!",
        "Können Sie das bitte anders formulieren?",
        "Bitte verbinden Sie mich mit einem Mitarbeiter",
        "Einen Moment, ich verbinde Sie.",
        "Hallo? Ich warte immer noch, Bestellung 4711-2231.",
        "Ist da jemand?",
    ];
    for (i, text) in texts.iter().enumerate() {
        let n = i as u64 + 1;
        let mut t = turn(&format!("t{n}"), n, text);
        if t.role == Role::Customer {
            t.customer = Some(CustomerProfile {
                customer_id: "k-7".into(),
                ..Default::default()
            });
            t.metadata.insert("order".into(), format!("4711-{n}"));
        } else {
            t.bot = Some(BotFacts {
                fallback: n == 2,
                action: "lookup_order".into(),
                action_failed: n == 4,
            });
        }
        let a = decoded.process(t.clone()).await.unwrap();
        let b = packed.process(t).await.unwrap();
        assert_eq!(without_ids(a), without_ids(b), "turn {n}");
    }
    let (a, b) = (
        decoded.conversation("acme", "c1").await.unwrap(),
        packed.conversation("acme", "c1").await.unwrap(),
    );
    let blank = |s: &ConversationState| {
        let mut s = s.clone();
        if let Some(o) = &mut s.open_handoff {
            o.handoff_id.clear();
        }
        s
    };
    assert!(a.open_handoff.as_ref().is_some_and(|o| o.context.is_some()));
    assert_eq!(blank(&a), blank(&b));
    // A turn seen before gets the same stored decision from both.
    let again = turn("t3", 3, texts[2]);
    assert_eq!(
        without_ids(decoded.process(again.clone()).await.unwrap()),
        without_ids(packed.process(again).await.unwrap())
    );
}
