//! The SQL of every SQLite write. Each function runs on the writer thread inside a savepoint of
//! the current batch's transaction; none of them commits.

use super::sql;
use crate::domain::{HandoffEvent, TurnReceipt};
use crate::state::codec::{self, CommitRow, decode};
use crate::state::{CommitResult, FeedFilter, OutcomeRecord, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashSet;

pub fn receipt_by_turn(
    conn: &Connection,
    tenant_id: &str,
    conversation_id: &str,
    turn_id: &str,
) -> Result<Option<TurnReceipt>, StoreError> {
    let blob: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT receipt FROM receipts
             WHERE tenant_id = ?1 AND conversation_id = ?2 AND turn_id = ?3",
        )
        .and_then(|mut s| {
            s.query_row(params![tenant_id, conversation_id, turn_id], |r| r.get(0))
                .optional()
        })
        .map_err(sql)?;
    blob.map(|b| decode(&b, "receipts")).transpose()
}

/// Duplicate turn id first, then the version check, then state + receipt + event.
/// `receipt_window`: receipts older than this many turns of the conversation are dropped.
pub fn commit(
    conn: &Connection,
    row: &CommitRow,
    receipt_window: i64,
) -> Result<CommitResult, StoreError> {
    let (t, c) = (&row.tenant_id, &row.conversation_id);
    if let Some((turn_id, _, _)) = &row.receipt
        && let Some(seen) = receipt_by_turn(conn, t, c, turn_id)?
    {
        return Ok(CommitResult::Duplicate(Box::new(seen)));
    }
    let current: i64 = conn
        .prepare_cached(
            "SELECT version FROM conversations WHERE tenant_id = ?1 AND conversation_id = ?2",
        )
        .and_then(|mut s| s.query_row(params![t, c], |r| r.get(0)).optional())
        .map_err(sql)?
        .unwrap_or(0);
    if current != row.expected_version {
        return Ok(CommitResult::Conflict);
    }
    conn.prepare_cached(
        "INSERT INTO conversations
             (tenant_id, conversation_id, version, customer_id, updated_ms, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
             version = excluded.version, customer_id = excluded.customer_id,
             updated_ms = excluded.updated_ms, state = excluded.state",
    )
    .and_then(|mut s| {
        s.execute(params![
            t,
            c,
            row.version,
            row.customer_id,
            row.updated_ms,
            row.state
        ])
    })
    .map_err(sql)?;
    if let Some((turn_id, sequence, body)) = &row.receipt {
        conn.prepare_cached(
            "INSERT INTO receipts (tenant_id, conversation_id, turn_id, sequence, receipt)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| s.execute(params![t, c, turn_id, sequence, body]))
        .map_err(sql)?;
        conn.prepare_cached(
            "DELETE FROM receipts WHERE tenant_id = ?1 AND conversation_id = ?2 AND sequence <= ?3",
        )
        .and_then(|mut s| s.execute(params![t, c, sequence - receipt_window]))
        .map_err(sql)?;
    }
    if let Some(e) = &row.event {
        conn.prepare_cached(
            "INSERT INTO events (event_id, tenant_id, conversation_id, queue, created_ms, event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| s.execute(params![e.event_id, t, c, e.queue, e.created_ms, e.body]))
        .map_err(sql)?;
        conn.prepare_cached(
            "INSERT INTO handoffs (handoff_id, tenant_id, reason, seconds) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (handoff_id) DO NOTHING",
        )
        .and_then(|mut s| s.execute(params![e.handoff_id, t, e.reason, e.seconds]))
        .map_err(sql)?;
    }
    Ok(CommitResult::Committed)
}

/// The events a claim may lease, oldest first: matching, neither acknowledged by the group nor
/// leased to it, and not waiting behind an older unacknowledged event of their conversation.
/// Runs on a read connection, so a long outbox never holds up the writer; `lease` re-checks.
pub fn claimable(
    conn: &Connection,
    filter: &FeedFilter,
    limit: usize,
) -> Result<Vec<HandoffEvent>, StoreError> {
    let now = codec::now_ms();
    let mut out = Vec::new();
    let mut s = conn
        .prepare_cached(
            "SELECT e.tenant_id, e.conversation_id, e.queue, e.event,
                    coalesce(d.leased_until_ms > ?2, 0)
             FROM events e
             LEFT JOIN deliveries d ON d.consumer = ?1 AND d.event_id = e.event_id
             WHERE (d.event_id IS NULL OR d.acked = 0)
               AND (?3 IS NULL OR e.tenant_id = ?3)
             ORDER BY e.seq",
        )
        .map_err(sql)?;
    let mut rows = s
        .query(params![filter.consumer, now, filter.tenant_id])
        .map_err(sql)?;
    let mut waiting: HashSet<(String, String)> = HashSet::new();
    while out.len() < limit {
        let Some(r) = rows.next().map_err(sql)? else {
            break;
        };
        let queue: String = r.get(2).map_err(sql)?;
        if !filter.queues.is_empty() && !filter.queues.contains(&queue) {
            continue;
        }
        let key: (String, String) = (r.get(0).map_err(sql)?, r.get(1).map_err(sql)?);
        let leased: bool = r.get(4).map_err(sql)?;
        if !waiting.insert(key) || leased {
            continue;
        }
        out.push(decode(&r.get::<_, Vec<u8>>(3).map_err(sql)?, "events")?);
    }
    Ok(out)
}

/// Leases the `claimable` events that are still free as last committed, in order; once one is
/// not (another subscriber of the group took it meanwhile), the later events of its conversation
/// are left too. Sets each event's `redeliveries`.
pub fn lease(
    conn: &Connection,
    consumer: &str,
    candidates: Vec<HandoffEvent>,
    lease_ms: i64,
) -> Result<Vec<HandoffEvent>, StoreError> {
    let now = codec::now_ms();
    let mut s = conn
        .prepare_cached(
            "INSERT INTO deliveries (consumer, event_id, leased_until_ms, deliveries, acked)
             SELECT ?1, ?2, ?3, 1, 0 WHERE EXISTS (SELECT 1 FROM events WHERE event_id = ?2)
             ON CONFLICT (consumer, event_id) DO UPDATE SET
                 leased_until_ms = excluded.leased_until_ms, deliveries = deliveries + 1
             WHERE acked = 0 AND (leased_until_ms IS NULL OR leased_until_ms <= ?4)
             RETURNING deliveries",
        )
        .map_err(sql)?;
    let mut blocked: HashSet<(String, String)> = HashSet::new();
    let mut out = Vec::with_capacity(candidates.len());
    for mut ev in candidates {
        let key = (ev.tenant_id.clone(), ev.conversation_id.clone());
        if blocked.contains(&key) {
            continue;
        }
        let deliveries: Option<i64> = s
            .query_row(params![consumer, ev.event_id, now + lease_ms, now], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        match deliveries {
            Some(n) => {
                ev.redeliveries = (n - 1).max(0) as u32;
                out.push(ev);
            }
            None => {
                blocked.insert(key);
            }
        }
    }
    Ok(out)
}

pub fn release(conn: &Connection, consumer: &str, ids: &[String]) -> Result<(), StoreError> {
    let mut s = conn
        .prepare_cached(
            "UPDATE deliveries SET leased_until_ms = NULL
             WHERE consumer = ?1 AND event_id = ?2 AND acked = 0",
        )
        .map_err(sql)?;
    for id in ids {
        s.execute(params![consumer, id]).map_err(sql)?;
    }
    Ok(())
}

/// Events matching the filter that its consumer group has not acknowledged.
pub fn backlog(conn: &Connection, filter: &FeedFilter) -> Result<u64, StoreError> {
    let mut s = conn
        .prepare_cached(
            "SELECT e.queue FROM events e
             LEFT JOIN deliveries d ON d.consumer = ?1 AND d.event_id = e.event_id
             WHERE (d.event_id IS NULL OR d.acked = 0)
               AND (?2 IS NULL OR e.tenant_id = ?2)",
        )
        .map_err(sql)?;
    let mut rows = s
        .query(params![filter.consumer, filter.tenant_id])
        .map_err(sql)?;
    let mut n = 0;
    while let Some(r) = rows.next().map_err(sql)? {
        let queue: String = r.get(0).map_err(sql)?;
        if filter.queues.is_empty() || filter.queues.contains(&queue) {
            n += 1;
        }
    }
    Ok(n)
}

pub fn ack(conn: &Connection, consumer: &str, ids: &[String]) -> Result<u32, StoreError> {
    let mut s = conn
        .prepare_cached(
            "UPDATE deliveries SET acked = 1, leased_until_ms = NULL
             WHERE consumer = ?1 AND event_id = ?2 AND acked = 0",
        )
        .map_err(sql)?;
    let mut n = 0;
    for id in ids {
        n += s.execute(params![consumer, id]).map_err(sql)? as u32;
    }
    Ok(n)
}

/// Erases conversations by id or customer id, with their receipts, events and outcomes.
pub fn forget(
    conn: &Connection,
    tenant_id: &str,
    conversation_id: Option<&str>,
    customer_id: Option<&str>,
) -> Result<u64, StoreError> {
    let mut ids: Vec<String> = conn
        .prepare_cached(
            "SELECT conversation_id FROM conversations
             WHERE tenant_id = ?1 AND (conversation_id = ?2 OR customer_id = ?3)",
        )
        .and_then(|mut s| {
            s.query_map(params![tenant_id, conversation_id, customer_id], |r| {
                r.get(0)
            })?
            .collect()
        })
        .map_err(sql)?;
    let removed = ids.len() as u64;
    // Events and outcomes may outlive an expired conversation's state: erase them by id too.
    if let Some(c) = conversation_id
        && !ids.iter().any(|i| i == c)
    {
        ids.push(c.to_string());
    }
    for c in &ids {
        for stmt in [
            "DELETE FROM conversations WHERE tenant_id = ?1 AND conversation_id = ?2",
            "DELETE FROM receipts WHERE tenant_id = ?1 AND conversation_id = ?2",
            "DELETE FROM deliveries WHERE event_id IN
                 (SELECT event_id FROM events WHERE tenant_id = ?1 AND conversation_id = ?2)",
            "DELETE FROM events WHERE tenant_id = ?1 AND conversation_id = ?2",
            "DELETE FROM outcomes WHERE tenant_id = ?1 AND conversation_id = ?2",
        ] {
            conn.prepare_cached(stmt)
                .and_then(|mut s| s.execute(params![tenant_id, c]))
                .map_err(sql)?;
        }
    }
    Ok(removed)
}

/// Idle conversations (with their receipts) and acknowledged events past retention.
pub fn expire(
    conn: &Connection,
    idle_before_ms: i64,
    delivered_before_ms: i64,
) -> Result<(u64, u64), StoreError> {
    let run = |stmt: &str, p: i64| {
        conn.prepare_cached(stmt)
            .and_then(|mut s| s.execute(params![p]))
            .map_err(sql)
    };
    run(
        "DELETE FROM receipts WHERE (tenant_id, conversation_id) IN
             (SELECT tenant_id, conversation_id FROM conversations WHERE updated_ms < ?1)",
        idle_before_ms,
    )?;
    let conversations = run(
        "DELETE FROM conversations WHERE updated_ms < ?1",
        idle_before_ms,
    )?;
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS purge (event_id TEXT PRIMARY KEY); DELETE FROM temp.purge;",
    )
    .map_err(sql)?;
    run(
        "INSERT INTO temp.purge SELECT e.event_id FROM events e
         WHERE e.created_ms < ?1
           AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.event_id AND d.acked = 1)",
        delivered_before_ms,
    )?;
    conn.execute(
        "DELETE FROM deliveries WHERE event_id IN (SELECT event_id FROM temp.purge)",
        [],
    )
    .map_err(sql)?;
    let events = conn
        .execute(
            "DELETE FROM events WHERE event_id IN (SELECT event_id FROM temp.purge)",
            [],
        )
        .map_err(sql)?;
    Ok((conversations as u64, events as u64))
}

pub fn record_outcome(conn: &Connection, o: &OutcomeRecord) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO outcomes
             (tenant_id, conversation_id, handoff_id, resolved, satisfaction, verdict)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| {
        s.execute(params![
            o.tenant_id,
            o.conversation_id,
            o.handoff_id,
            o.resolved,
            o.satisfaction,
            codec::verdict_text(o.verdict)
        ])
    })
    .map_err(sql)?;
    Ok(())
}
