//! The SQL of the PostgreSQL store, and the writes that need a transaction.

use super::pg;
use super::pool::Conn;
use crate::state::codec::{Codec, CommitRow};
use crate::state::{CommitResult, StoreError};
use tokio_postgres::types::ToSql;

/// The state and its history rows (sequence numbers and records, in order), in one statement so
/// both are as of the same commit.
pub const LOAD: &str = "SELECT c.state,
         ARRAY(SELECT t.seq FROM turns t
               WHERE t.tenant_id = c.tenant_id AND t.conversation_id = c.conversation_id
               ORDER BY t.seq),
         ARRAY(SELECT t.record FROM turns t
               WHERE t.tenant_id = c.tenant_id AND t.conversation_id = c.conversation_id
               ORDER BY t.seq)
     FROM conversations c WHERE c.tenant_id = $1 AND c.conversation_id = $2";

/// A turn's history row (a racing writer's row of the same number is rolled back with its
/// transaction, or ours is: the version check decides).
const INSERT_TURN: &str = "INSERT INTO turns (tenant_id, conversation_id, seq, record)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, conversation_id, seq) DO UPDATE SET record = excluded.record";

/// History rows that left the conversation's recent turns.
const TRIM_TURNS: &str = "DELETE FROM turns
     WHERE tenant_id = $1 AND conversation_id = $2 AND seq <= $3";

pub const RECEIPT: &str = "SELECT receipt FROM receipts
     WHERE tenant_id = $1 AND conversation_id = $2 AND turn_id = $3";

pub const RECEIPT_AT: &str = "SELECT receipt FROM receipts
     WHERE tenant_id = $1 AND conversation_id = $2 AND sequence = $3";

const INSERT_CONVERSATION: &str = "INSERT INTO conversations
         (tenant_id, conversation_id, version, customer_id, updated_ms, state)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, conversation_id) DO NOTHING";

const UPDATE_CONVERSATION: &str = "UPDATE conversations
     SET version = $3, customer_id = $4, updated_ms = $5, state = $6
     WHERE tenant_id = $1 AND conversation_id = $2 AND version = $7";

const INSERT_RECEIPT: &str = "INSERT INTO receipts
         (tenant_id, conversation_id, turn_id, sequence, receipt)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, conversation_id, turn_id) DO NOTHING";

const TRIM_RECEIPTS: &str = "DELETE FROM receipts
     WHERE tenant_id = $1 AND conversation_id = $2 AND sequence <= $3";

/// Appends the event, pending for every known consumer group.
const INSERT_EVENT: &str = "
    WITH ev AS (
        INSERT INTO events (event_id, tenant_id, conversation_id, queue, created_ms, event)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq
    )
    INSERT INTO deliveries
        (consumer, event_id, seq, tenant_id, conversation_id, queue, deliveries, acked)
    SELECT c.consumer, $1, ev.seq, $2, $3, $4, 0, false FROM ev, consumers c";

/// Appends hold this shared and a new group's registration holds it exclusively, so a group
/// registering never misses an event appended at the same time.
const APPENDING: &str = "SELECT pg_advisory_xact_lock_shared(7306086744127054451)";

/// Makes `$1` a known consumer group (with `APPENDING` held exclusively); returns a row if new.
pub const REGISTER_LOCK: &str = "SELECT pg_advisory_xact_lock(7306086744127054451)";
pub const REGISTER: &str =
    "INSERT INTO consumers (consumer) VALUES ($1) ON CONFLICT DO NOTHING RETURNING consumer";
/// Every retained event becomes pending for a new group.
pub const BACKFILL: &str = "INSERT INTO deliveries
         (consumer, event_id, seq, tenant_id, conversation_id, queue, deliveries, acked)
     SELECT $1, event_id, seq, tenant_id, conversation_id, queue, 0, false FROM events
     ON CONFLICT (consumer, event_id) DO NOTHING";

/// First half of the two-key advisory lock a live process holds on its owner epoch (the second
/// half is the epoch): `pg_locks` then says which leases belong to a process that is gone.
pub const OWNER_LOCK_CLASS: i32 = 1_701_016_948;

const INSERT_HANDOFF: &str = "INSERT INTO handoffs
         (handoff_id, tenant_id, reason, seconds, language, channel, queue)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (handoff_id) DO NOTHING";

const ANNOUNCE: &str = "SELECT pg_notify('escalation_events', '')";

/// An event is a candidate when the group has not acknowledged it, no live lease holds it (a
/// lease is dead when it ran out or its owner process is gone), and the group has acknowledged
/// every older matching event of its conversation (one at a time, in order). Only the group's
/// unacknowledged rows are read (partial indexes). Candidates are locked with `SKIP LOCKED` so
/// concurrent claimers take disjoint sets; the update's `WHERE` re-checks each row as last
/// committed. Returns the event and its delivery count.
pub const CLAIM: &str = "
    WITH live AS (
        SELECT coalesce(array_agg(objid::bigint), '{}') AS owners FROM pg_locks
        WHERE locktype = 'advisory' AND classid::bigint = 1701016948 AND objsubid = 2 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    ), candidates AS (
        SELECT d.consumer, d.seq FROM deliveries d, live
        WHERE d.consumer = $1 AND NOT d.acked
          AND ($2::text IS NULL OR d.tenant_id = $2)
          AND (cardinality($3::text[]) = 0 OR d.queue = ANY($3))
          AND (d.leased_until IS NULL OR d.leased_until <= now()
               OR NOT (d.owner = ANY(live.owners)))
          AND NOT EXISTS (
              SELECT 1 FROM deliveries o
              WHERE o.consumer = $1 AND NOT o.acked
                AND o.tenant_id = d.tenant_id AND o.conversation_id = d.conversation_id
                AND o.seq < d.seq
                AND (cardinality($3::text[]) = 0 OR o.queue = ANY($3)))
        ORDER BY d.seq
        LIMIT $4
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE deliveries d
    SET leased_until = now() + $5::bigint * interval '1 millisecond',
        deliveries = d.deliveries + 1, owner = $6
    FROM candidates c, live
    WHERE d.consumer = c.consumer AND d.seq = c.seq AND NOT d.acked
      AND (d.leased_until IS NULL OR d.leased_until <= now() OR NOT (d.owner = ANY(live.owners)))
    RETURNING d.seq, d.deliveries, (SELECT e.event FROM events e WHERE e.seq = d.seq)";

pub const UPDATE_QUEUE: &str = "INSERT INTO queue_status
         (tenant_id, queue, agents_available, expected_wait_seconds, open, updated_ms)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, queue) DO UPDATE SET
         agents_available = excluded.agents_available,
         expected_wait_seconds = excluded.expected_wait_seconds,
         open = excluded.open, updated_ms = excluded.updated_ms";

pub const ANNOUNCE_QUEUES: &str = "SELECT pg_notify('escalation_queues', $1)";

pub const QUEUES: &str = "SELECT queue, agents_available, expected_wait_seconds, open, updated_ms
     FROM queue_status WHERE tenant_id = $1";

/// The group's unacknowledged matching events: its pending rows, or every retained matching
/// event for a group that never claimed.
pub const BACKLOG: &str = "SELECT
     (SELECT count(*) FROM deliveries d
      WHERE d.consumer = $1 AND NOT d.acked
        AND ($2::text IS NULL OR d.tenant_id = $2)
        AND (cardinality($3::text[]) = 0 OR d.queue = ANY($3)))
   + (SELECT count(*) FROM events e
      WHERE NOT EXISTS (SELECT 1 FROM consumers c WHERE c.consumer = $1)
        AND ($2::text IS NULL OR e.tenant_id = $2)
        AND (cardinality($3::text[]) = 0 OR e.queue = ANY($3)))";

pub const RELEASE: &str = "UPDATE deliveries SET leased_until = NULL
     WHERE consumer = $1 AND event_id = ANY($2) AND NOT acked";

pub const ACK: &str = "UPDATE deliveries SET acked = true, leased_until = NULL
     WHERE consumer = $1 AND event_id = ANY($2) AND NOT acked";

/// The handoff an outcome is reported for, in the reporting tenant, locked until commit.
pub const OUTCOME_HANDOFF: &str =
    "SELECT 1 FROM handoffs WHERE handoff_id = $1 AND tenant_id = $2 FOR UPDATE";

/// One outcome per handoff: the earlier report goes.
pub const OUTCOME_REPLACE: &str = "DELETE FROM outcomes WHERE handoff_id = $1 AND tenant_id = $2";

pub const OUTCOME: &str = "INSERT INTO outcomes
         (tenant_id, conversation_id, handoff_id, resolved, satisfaction, verdict)
     VALUES ($1, $2, $3, $4, $5, $6)";

pub const QUALITY_HANDOFFS: &str = "
    SELECT tenant_id, reason, language, channel, queue, count(*),
           coalesce(sum(seconds), 0)::double precision
    FROM handoffs WHERE $1::text IS NULL OR tenant_id = $1
    GROUP BY tenant_id, reason, language, channel, queue";

pub const QUALITY_OUTCOMES: &str = "
    SELECT h.tenant_id, h.reason, h.language, h.channel, h.queue, o.resolved, o.satisfaction,
           o.verdict
    FROM outcomes o JOIN handoffs h ON h.handoff_id = o.handoff_id
    WHERE $1::text IS NULL OR h.tenant_id = $1";

/// The version check first (it takes the conversation's row lock, so racing writers queue behind
/// it), then the receipt (unique per turn id), then the event; all or nothing.
///
/// The statements are pipelined (sent together, answered together): a lost version check or a
/// receipt that already exists rolls the whole transaction back, so nothing needs to wait for the
/// answer of the statement before it.
pub async fn commit(
    conn: &mut Conn,
    codec: &Codec,
    row: &CommitRow,
    receipt_window: i64,
) -> Result<CommitResult, StoreError> {
    let tx = conn.transaction().await.map_err(pg)?;
    let (t, c) = (&row.tenant_id, &row.conversation_id);
    let insert = row.expected_version == 0;
    let conversation = tx
        .prepare_cached(if insert {
            INSERT_CONVERSATION
        } else {
            UPDATE_CONVERSATION
        })
        .await
        .map_err(pg)?;
    let receipt = tx.prepare_cached(INSERT_RECEIPT).await.map_err(pg)?;
    let trim = tx.prepare_cached(TRIM_RECEIPTS).await.map_err(pg)?;
    let appending = tx.prepare_cached(APPENDING).await.map_err(pg)?;
    let event = tx.prepare_cached(INSERT_EVENT).await.map_err(pg)?;
    let handoff = tx.prepare_cached(INSERT_HANDOFF).await.map_err(pg)?;
    let announce = tx.prepare_cached(ANNOUNCE).await.map_err(pg)?;
    let insert_turn = tx.prepare_cached(INSERT_TURN).await.map_err(pg)?;
    let trim_turns = tx.prepare_cached(TRIM_TURNS).await.map_err(pg)?;

    let state_params: [&(dyn ToSql + Sync); 7] = [
        t,
        c,
        &row.version,
        &row.customer_id,
        &row.updated_ms,
        &row.state,
        &row.expected_version,
    ];
    let state_params = if insert {
        &state_params[..6]
    } else {
        &state_params[..]
    };
    let written = tx.execute(&conversation, state_params);
    let history_written = async {
        let trim_params: [&(dyn ToSql + Sync); 3] = [t, c, &row.history_before];
        match &row.turn {
            Some((seq, record)) => {
                let turn_params: [&(dyn ToSql + Sync); 4] = [t, c, seq, record];
                tokio::try_join!(
                    tx.execute(&insert_turn, &turn_params),
                    tx.execute(&trim_turns, &trim_params),
                )?;
            }
            None => {
                tx.execute(&trim_turns, &trim_params).await?;
            }
        }
        Ok(())
    };
    let receipt_written = async {
        let Some((turn_id, sequence, body)) = &row.receipt else {
            return Ok(1);
        };
        let oldest_dropped = sequence - receipt_window;
        let insert_params: [&(dyn ToSql + Sync); 5] = [t, c, turn_id, sequence, body];
        let trim_params: [&(dyn ToSql + Sync); 3] = [t, c, &oldest_dropped];
        let (n, _) = tokio::try_join!(
            tx.execute(&receipt, &insert_params),
            tx.execute(&trim, &trim_params),
        )?;
        Ok(n)
    };
    let event_written = async {
        let Some(e) = &row.event else {
            return Ok(());
        };
        let event_params: [&(dyn ToSql + Sync); 6] =
            [&e.event_id, t, c, &e.queue, &e.created_ms, &e.body];
        let handoff_params: [&(dyn ToSql + Sync); 7] = [
            &e.handoff_id,
            t,
            &e.reason,
            &e.seconds,
            &e.language,
            &e.channel,
            &e.queue,
        ];
        tokio::try_join!(
            tx.execute(&appending, &[]),
            tx.execute(&event, &event_params),
            tx.execute(&handoff, &handoff_params),
            tx.execute(&announce, &[]),
        )?;
        Ok(())
    };
    let (written, (), receipt_written, ()) =
        tokio::try_join!(written, history_written, receipt_written, event_written).map_err(pg)?;
    if written == 0 || receipt_written == 0 {
        tx.rollback().await.map_err(pg)?;
        return duplicate_or(conn, codec, row, CommitResult::Conflict).await;
    }
    tx.commit().await.map_err(pg)?;
    Ok(CommitResult::Committed)
}

/// After a lost race: `Duplicate` when the turn id is already committed, else `otherwise`.
async fn duplicate_or(
    conn: &Conn,
    codec: &Codec,
    row: &CommitRow,
    otherwise: CommitResult,
) -> Result<CommitResult, StoreError> {
    let Some((turn_id, _, _)) = &row.receipt else {
        return Ok(otherwise);
    };
    let st = conn.prepare_cached(RECEIPT).await.map_err(pg)?;
    let seen = conn
        .query_opt(&st, &[&row.tenant_id, &row.conversation_id, turn_id])
        .await
        .map_err(pg)?;
    Ok(match seen {
        Some(r) => {
            CommitResult::Duplicate(Box::new(codec.decode(r.get::<_, &[u8]>(0), "receipts")?))
        }
        None => otherwise,
    })
}

/// Erases conversations by id or customer id, with their receipts, events and outcomes.
pub async fn forget(
    conn: &mut Conn,
    tenant_id: &str,
    conversation_id: Option<&str>,
    customer_id: Option<&str>,
) -> Result<u64, StoreError> {
    let tx = conn.transaction().await.map_err(pg)?;
    let mut ids: Vec<String> = tx
        .query(
            "DELETE FROM conversations
             WHERE tenant_id = $1 AND (conversation_id = $2 OR customer_id = $3)
             RETURNING conversation_id",
            &[&tenant_id, &conversation_id, &customer_id],
        )
        .await
        .map_err(pg)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let removed = ids.len() as u64;
    // Events and outcomes may outlive an expired conversation's state: erase them by id too.
    if let Some(c) = conversation_id
        && !ids.iter().any(|i| i == c)
    {
        ids.push(c.to_string());
    }
    for stmt in [
        "DELETE FROM turns WHERE tenant_id = $1 AND conversation_id = ANY($2)",
        "DELETE FROM receipts WHERE tenant_id = $1 AND conversation_id = ANY($2)",
        "DELETE FROM deliveries WHERE event_id IN
             (SELECT event_id FROM events WHERE tenant_id = $1 AND conversation_id = ANY($2))",
        "DELETE FROM events WHERE tenant_id = $1 AND conversation_id = ANY($2)",
        "DELETE FROM outcomes WHERE tenant_id = $1 AND conversation_id = ANY($2)",
    ] {
        tx.execute(stmt, &[&tenant_id, &ids]).await.map_err(pg)?;
    }
    tx.commit().await.map_err(pg)?;
    Ok(removed)
}

/// Idle conversations (with their receipts) and acknowledged events past retention.
pub async fn expire(
    conn: &mut Conn,
    idle_before_ms: i64,
    delivered_before_ms: i64,
) -> Result<(u64, u64), StoreError> {
    let tx = conn.transaction().await.map_err(pg)?;
    let conversations: i64 = tx
        .query_one(
            "WITH gone AS (
                 DELETE FROM conversations WHERE updated_ms < $1
                 RETURNING tenant_id, conversation_id
             ), receipts_gone AS (
                 DELETE FROM receipts r USING gone g
                 WHERE r.tenant_id = g.tenant_id AND r.conversation_id = g.conversation_id
             ), turns_gone AS (
                 DELETE FROM turns t USING gone g
                 WHERE t.tenant_id = g.tenant_id AND t.conversation_id = g.conversation_id
             )
             SELECT count(*) FROM gone",
            &[&idle_before_ms],
        )
        .await
        .map_err(pg)?
        .get(0);
    let events: i64 = tx
        .query_one(
            "WITH purge AS (
                 SELECT e.event_id FROM events e
                 WHERE e.created_ms < $1
                   AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.event_id AND d.acked)
             ), deliveries_gone AS (
                 DELETE FROM deliveries WHERE event_id IN (SELECT event_id FROM purge)
             ), events_gone AS (
                 DELETE FROM events WHERE event_id IN (SELECT event_id FROM purge) RETURNING 1
             )
             SELECT count(*) FROM events_gone",
            &[&delivered_before_ms],
        )
        .await
        .map_err(pg)?
        .get(0);
    tx.commit().await.map_err(pg)?;
    Ok((conversations as u64, events as u64))
}
