//! The SQL of every SQLite write. Each function runs on the writer thread inside a savepoint of
//! the current batch's transaction; none of them commits.

use super::sql;
use crate::domain::HandoffEvent;
use crate::policy::QueueStatus;
use crate::state::codec::{self, Codec};
use crate::state::{FeedFilter, OutcomeRecord, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::{BTreeMap, HashSet};

/// Makes `consumer` a known group: from now on every appended event is pending for it, and every
/// retained event is pending for it now. Returns whether it was new.
pub fn register(conn: &Connection, consumer: &str) -> Result<bool, StoreError> {
    let new = conn
        .prepare_cached("INSERT INTO consumers (consumer) VALUES (?1) ON CONFLICT DO NOTHING")
        .and_then(|mut s| s.execute(params![consumer]))
        .map_err(sql)?
        > 0;
    if new {
        conn.prepare_cached(
            "INSERT INTO deliveries (consumer, seq, event_id, tenant_id, conversation_id, queue)
             SELECT ?1, seq, event_id, tenant_id, conversation_id, queue FROM events",
        )
        .and_then(|mut s| s.execute(params![consumer]))
        .map_err(sql)?;
    }
    Ok(new)
}

/// The events a claim may lease, oldest first, with their append order: matching, neither
/// acknowledged by the group nor leased to it, and not waiting behind an older unacknowledged
/// event of their conversation. Reads only the group's unacknowledged rows (a partial index), and
/// the event itself only when it is chosen. Runs on a read connection, so a long backlog never
/// holds up the writer; `lease` re-checks.
pub fn claimable(
    conn: &Connection,
    codec: &Codec,
    filter: &FeedFilter,
    limit: usize,
) -> Result<Vec<(i64, HandoffEvent)>, StoreError> {
    let now = crate::clock::now_ms(); // lease deadlines survive a restart
    let mut out = Vec::new();
    let mut s = match filter.tenant_id {
        None => conn.prepare_cached(
            "SELECT seq, tenant_id, conversation_id, queue, coalesce(leased_until_ms > ?2, 0)
             FROM deliveries INDEXED BY deliveries_pending
             WHERE consumer = ?1 AND acked = 0 ORDER BY seq",
        ),
        Some(_) => conn.prepare_cached(
            "SELECT seq, tenant_id, conversation_id, queue, coalesce(leased_until_ms > ?2, 0)
             FROM deliveries INDEXED BY deliveries_pending_tenant
             WHERE consumer = ?1 AND acked = 0 AND tenant_id = ?3 ORDER BY seq",
        ),
    }
    .map_err(sql)?;
    let mut rows = match &filter.tenant_id {
        None => s.query(params![filter.consumer, now]),
        Some(t) => s.query(params![filter.consumer, now, t]),
    }
    .map_err(sql)?;
    let mut body = conn
        .prepare_cached("SELECT event FROM events WHERE seq = ?1")
        .map_err(sql)?;
    let mut waiting: HashSet<(String, String)> = HashSet::new();
    while out.len() < limit {
        let Some(r) = rows.next().map_err(sql)? else {
            break;
        };
        let queue: String = r.get(3).map_err(sql)?;
        if !filter.queues.is_empty() && !filter.queues.contains(&queue) {
            continue;
        }
        let key: (String, String) = (r.get(1).map_err(sql)?, r.get(2).map_err(sql)?);
        let leased: bool = r.get(4).map_err(sql)?;
        if !waiting.insert(key) || leased {
            continue;
        }
        let seq: i64 = r.get(0).map_err(sql)?;
        let blob: Option<Vec<u8>> = body
            .query_row(params![seq], |r| r.get(0))
            .optional()
            .map_err(sql)?;
        if let Some(blob) = blob {
            out.push((seq, codec.decode(&blob, "events")?));
        }
    }
    Ok(out)
}

/// Leases the `claimable` events that are still free as last committed, in order; once one is
/// not (another subscriber of the group took it meanwhile), the later events of its conversation
/// are left too. Sets each event's `redeliveries`.
pub fn lease(
    conn: &Connection,
    consumer: &str,
    candidates: Vec<(i64, HandoffEvent)>,
    lease_ms: i64,
) -> Result<Vec<HandoffEvent>, StoreError> {
    let now = crate::clock::now_ms(); // lease deadlines survive a restart
    let mut s = conn
        .prepare_cached(
            "UPDATE deliveries SET leased_until_ms = ?3, deliveries = deliveries + 1
             WHERE consumer = ?1 AND seq = ?2 AND acked = 0
               AND (leased_until_ms IS NULL OR leased_until_ms <= ?4)
             RETURNING deliveries",
        )
        .map_err(sql)?;
    let mut blocked: HashSet<(String, String)> = HashSet::new();
    let mut out = Vec::with_capacity(candidates.len());
    for (seq, mut ev) in candidates {
        let key = (ev.tenant_id.clone(), ev.conversation_id.clone());
        if blocked.contains(&key) {
            continue;
        }
        let deliveries: Option<i64> = s
            .query_row(params![consumer, seq, now + lease_ms, now], |r| r.get(0))
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

/// A new owner epoch: the file has one owner process at a time, so every lease in it belongs to
/// a process that has died; its events go out again at once instead of after their lease.
pub fn release_dead_leases(conn: &Connection) -> Result<usize, StoreError> {
    conn.execute(
        "UPDATE deliveries SET leased_until_ms = NULL
         WHERE acked = 0 AND leased_until_ms IS NOT NULL",
        [],
    )
    .map_err(sql)
}

pub fn update_queues(
    conn: &Connection,
    tenant_id: &str,
    queues: &[(String, QueueStatus)],
) -> Result<(), StoreError> {
    let mut s = conn
        .prepare_cached(
            "INSERT INTO queue_status
                 (tenant_id, queue, agents_available, expected_wait_seconds, open, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (tenant_id, queue) DO UPDATE SET
                 agents_available = excluded.agents_available,
                 expected_wait_seconds = excluded.expected_wait_seconds,
                 open = excluded.open, updated_ms = excluded.updated_ms",
        )
        .map_err(sql)?;
    for (queue, q) in queues {
        s.execute(params![
            tenant_id,
            queue,
            q.agents_available,
            q.expected_wait_seconds,
            q.open,
            q.updated_ms
        ])
        .map_err(sql)?;
    }
    Ok(())
}

pub fn queues(
    conn: &Connection,
    tenant_id: &str,
) -> Result<BTreeMap<String, QueueStatus>, StoreError> {
    let mut s = conn
        .prepare_cached(
            "SELECT queue, agents_available, expected_wait_seconds, open, updated_ms
             FROM queue_status WHERE tenant_id = ?1",
        )
        .map_err(sql)?;
    let rows = s
        .query_map(params![tenant_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                QueueStatus {
                    agents_available: r.get(1)?,
                    expected_wait_seconds: r.get(2)?,
                    open: r.get(3)?,
                    updated_ms: r.get(4)?,
                },
            ))
        })
        .map_err(sql)?;
    rows.collect::<Result<_, _>>().map_err(sql)
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

/// Events matching the filter that its consumer group has not acknowledged: the group's pending
/// rows, or every retained event for a group that never claimed.
pub fn backlog(conn: &Connection, filter: &FeedFilter) -> Result<u64, StoreError> {
    let mut s = conn
        .prepare_cached(
            "SELECT queue FROM deliveries INDEXED BY deliveries_pending
             WHERE consumer = ?1 AND acked = 0 AND (?2 IS NULL OR tenant_id = ?2)
             UNION ALL
             SELECT queue FROM events
             WHERE NOT EXISTS (SELECT 1 FROM consumers WHERE consumer = ?1)
               AND (?2 IS NULL OR tenant_id = ?2)",
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
            "DELETE FROM turns WHERE tenant_id = ?1 AND conversation_id = ?2",
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

/// Idle conversations (with their turns and receipts) and acknowledged events past retention.
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
    // Idle conversations are found through the minute they went idle (`conversations_idle`).
    let minute = super::commit::idle_minute(idle_before_ms);
    let idle = |stmt: &str| {
        conn.prepare_cached(stmt)
            .and_then(|mut s| s.execute(params![minute, idle_before_ms]))
            .map_err(sql)
    };
    idle(
        "DELETE FROM turns WHERE (tenant_id, conversation_id) IN
             (SELECT tenant_id, conversation_id FROM conversations
              WHERE idle_minute <= ?1 AND updated_ms < ?2)",
    )?;
    let conversations =
        idle("DELETE FROM conversations WHERE idle_minute <= ?1 AND updated_ms < ?2")?;
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

/// One outcome per handoff: a repeat replaces the earlier one. `false` for a handoff the tenant
/// does not have.
pub fn record_outcome(conn: &Connection, o: &OutcomeRecord) -> Result<bool, StoreError> {
    let known = conn
        .prepare_cached("SELECT 1 FROM handoffs WHERE handoff_id = ?1 AND tenant_id = ?2")
        .and_then(|mut s| s.exists(params![o.handoff_id, o.tenant_id]))
        .map_err(sql)?;
    if !known {
        return Ok(false);
    }
    conn.prepare_cached("DELETE FROM outcomes WHERE handoff_id = ?1 AND tenant_id = ?2")
        .and_then(|mut s| s.execute(params![o.handoff_id, o.tenant_id]))
        .map_err(sql)?;
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
    Ok(true)
}

/// Refuses a file whose records were sealed under another key (or any key, when none is set);
/// the first start with a key leaves a sealed check record in `store_meta`.
pub fn check_key(conn: &Connection, codec: &Codec) -> Result<(), StoreError> {
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM store_meta WHERE key = 'key_check'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql)?;
    if let Some(record) = codec.check_key(stored.as_deref())? {
        conn.execute(
            "INSERT INTO store_meta (key, value) VALUES ('key_check', ?1)",
            params![record],
        )
        .map_err(sql)?;
    }
    Ok(())
}
