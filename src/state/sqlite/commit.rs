//! The SQL of a turn's commit and of the reads that find its rows again. Runs on the writer thread
//! inside a savepoint of the current batch's transaction (`writer`); nothing here commits.
//!
//! Every b-tree page a commit touches is written to the log again at the batch's end, so the
//! layout keeps that number small (schema 5): a turn appends one row (its history record and its
//! receipt) at the end of `turns` and one entry to the small index `turns_key`, and rewrites its
//! conversation's row, naming only the columns that change (an assigned column rewrites its index
//! entries even when the value is the same).

use super::sql;
use crate::domain::TurnReceipt;
use crate::state::codec::{Codec, CommitRow, EventRow};
use crate::state::{CommitResult, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

/// Expiry finds idle conversations by this coarse key (`conversations_idle`), which a turn
/// changes at most once a minute.
pub fn idle_minute(updated_ms: i64) -> i64 {
    updated_ms / 60_000
}

/// The receipt of `turn_id` among the conversation's kept receipts (the index holds the turn ids,
/// so only the matching row is read).
pub fn receipt_by_turn(
    conn: &Connection,
    codec: &Codec,
    tenant_id: &str,
    conversation_id: &str,
    turn_id: &str,
) -> Result<Option<TurnReceipt>, StoreError> {
    let blob: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT receipt FROM turns INDEXED BY turns_key
             WHERE tenant_id = ?1 AND conversation_id = ?2 AND turn_id = ?3",
        )
        .and_then(|mut s| {
            s.query_row(params![tenant_id, conversation_id, turn_id], |r| r.get(0))
                .optional()
        })
        .map_err(sql)?;
    blob.map(|b| codec.decode(&b, "turns")).transpose()
}

/// The receipt of the turn with this sequence number, if it is still kept.
pub fn receipt_at(
    conn: &Connection,
    codec: &Codec,
    tenant_id: &str,
    conversation_id: &str,
    sequence: i64,
) -> Result<Option<TurnReceipt>, StoreError> {
    let blob: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT receipt FROM turns INDEXED BY turns_key
             WHERE tenant_id = ?1 AND conversation_id = ?2 AND seq = ?3 AND turn_id IS NOT NULL",
        )
        .and_then(|mut s| {
            s.query_row(params![tenant_id, conversation_id, sequence], |r| r.get(0))
                .optional()
        })
        .map_err(sql)?;
    blob.map(|b| codec.decode(&b, "turns")).transpose()
}

/// A conversation's rows as stored: its state record and its history rows `(seq, record)` in order.
pub type StoredConversation = (Vec<u8>, Vec<(i64, Vec<u8>)>);

/// The conversation's rows, read in one transaction so both are as of the same commit.
pub fn conversation(
    conn: &Connection,
    tenant_id: &str,
    conversation_id: &str,
) -> Result<Option<StoredConversation>, StoreError> {
    let tx = conn.unchecked_transaction().map_err(sql)?;
    let row: Option<(Vec<u8>, i64)> = tx
        .prepare_cached(
            "SELECT state, history_from FROM conversations
             WHERE tenant_id = ?1 AND conversation_id = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![tenant_id, conversation_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
        })
        .map_err(sql)?;
    let Some((state, history_from)) = row else {
        return Ok(None);
    };
    let turns = tx
        .prepare_cached(
            "SELECT seq, record FROM turns INDEXED BY turns_key
             WHERE tenant_id = ?1 AND conversation_id = ?2 AND seq > ?3 AND record IS NOT NULL
             ORDER BY seq",
        )
        .and_then(|mut s| {
            s.query_map(params![tenant_id, conversation_id, history_from], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<Vec<(i64, Vec<u8>)>, _>>()
        })
        .map_err(sql)?;
    Ok(Some((state, turns)))
}

/// What the commit needs of the conversation's row as last committed.
struct Current {
    version: i64,
    customer_id: Option<String>,
    idle_minute: i64,
    history_from: i64,
}

/// Duplicate turn id first, then the version check, then state + turn row + event.
/// `receipt_window`: receipts older than this many turns of the conversation are dropped.
pub fn commit(
    conn: &Connection,
    codec: &Codec,
    row: &CommitRow,
    receipt_window: i64,
) -> Result<CommitResult, StoreError> {
    let (t, c) = (&row.tenant_id, &row.conversation_id);
    if let Some((turn_id, _, _)) = &row.receipt
        && let Some(seen) = receipt_by_turn(conn, codec, t, c, turn_id)?
    {
        return Ok(CommitResult::Duplicate(Box::new(seen)));
    }
    let current: Option<Current> = conn
        .prepare_cached(
            "SELECT version, customer_id, idle_minute, history_from FROM conversations
             WHERE tenant_id = ?1 AND conversation_id = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![t, c], |r| {
                Ok(Current {
                    version: r.get(0)?,
                    customer_id: r.get(1)?,
                    idle_minute: r.get(2)?,
                    history_from: r.get(3)?,
                })
            })
            .optional()
        })
        .map_err(sql)?;
    if current.as_ref().map_or(0, |c| c.version) != row.expected_version {
        return Ok(CommitResult::Conflict);
    }
    write_conversation(conn, row, current.as_ref())?;
    append_turn(conn, row)?;
    let history_from = current.as_ref().map_or(0, |c| c.history_from);
    trim_turns(conn, row, history_from, receipt_window)?;
    if let Some(e) = &row.event {
        append_event(conn, t, c, e)?;
    }
    Ok(CommitResult::Committed)
}

fn write_conversation(
    conn: &Connection,
    row: &CommitRow,
    current: Option<&Current>,
) -> Result<(), StoreError> {
    let (t, c) = (&row.tenant_id, &row.conversation_id);
    let minute = idle_minute(row.updated_ms);
    let Some(current) = current else {
        return conn
            .prepare_cached(
                "INSERT INTO conversations (tenant_id, conversation_id, version, customer_id,
                     updated_ms, state, history_from, idle_minute)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    t,
                    c,
                    row.version,
                    row.customer_id,
                    row.updated_ms,
                    row.state,
                    row.history_before,
                    minute
                ])
            })
            .map(drop)
            .map_err(sql);
    };
    conn.prepare_cached(
        "UPDATE conversations SET version = ?3, updated_ms = ?4, state = ?5, history_from = ?6
         WHERE tenant_id = ?1 AND conversation_id = ?2",
    )
    .and_then(|mut s| {
        s.execute(params![
            t,
            c,
            row.version,
            row.updated_ms,
            row.state,
            row.history_before
        ])
    })
    .map_err(sql)?;
    // The indexed columns only when they change (rarely: a new customer id, a new minute).
    if current.customer_id != row.customer_id {
        conn.prepare_cached(
            "UPDATE conversations SET customer_id = ?3 WHERE tenant_id = ?1 AND conversation_id = ?2",
        )
        .and_then(|mut s| s.execute(params![t, c, row.customer_id]))
        .map_err(sql)?;
    }
    if current.idle_minute != minute {
        conn.prepare_cached(
            "UPDATE conversations SET idle_minute = ?3 WHERE tenant_id = ?1 AND conversation_id = ?2",
        )
        .and_then(|mut s| s.execute(params![t, c, minute]))
        .map_err(sql)?;
    }
    Ok(())
}

/// The turn's row: its history record and its receipt (a turn's commit carries both, for the
/// same sequence number; anything else is written as it comes).
fn append_turn(conn: &Connection, row: &CommitRow) -> Result<(), StoreError> {
    let insert =
        |seq: i64, turn_id: Option<&str>, record: Option<&[u8]>, receipt: Option<&[u8]>| {
            conn.prepare_cached(
                "INSERT INTO turns (tenant_id, conversation_id, seq, turn_id, record, receipt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    row.tenant_id,
                    row.conversation_id,
                    seq,
                    turn_id,
                    record,
                    receipt
                ])
            })
            .map_err(sql)
        };
    match (&row.turn, &row.receipt) {
        (Some((seq, record)), Some((turn_id, sequence, receipt))) if seq == sequence => {
            insert(*seq, Some(turn_id), Some(record), Some(receipt))?;
        }
        (turn, receipt) => {
            if let Some((seq, record)) = turn {
                insert(*seq, None, Some(record), None)?;
            }
            if let Some((turn_id, sequence, body)) = receipt {
                insert(*sequence, Some(turn_id), None, Some(body))?;
            }
        }
    }
    Ok(())
}

/// Turns that left the history (`history_from` moved from `before` to the commit's) lose their
/// record; receipts that left the window lose their receipt; a row left with neither goes. Each
/// statement reads an exact range of the index, so a turn's commit touches one or two old rows at
/// most, and none while the conversation is shorter than both windows.
fn trim_turns(
    conn: &Connection,
    row: &CommitRow,
    before: i64,
    receipt_window: i64,
) -> Result<(), StoreError> {
    let (t, c) = (&row.tenant_id, &row.conversation_id);
    let run = |sql_text: &str, from: i64, to: i64| {
        conn.prepare_cached(sql_text)
            .and_then(|mut s| s.execute(params![t, c, from, to]))
            .map_err(sql)
    };
    let history_from = row.history_before;
    if history_from > before {
        run(
            "DELETE FROM turns INDEXED BY turns_key
             WHERE tenant_id = ?1 AND conversation_id = ?2 AND seq > ?3 AND seq <= ?4
               AND turn_id IS NULL",
            before,
            history_from,
        )?;
        run(
            "UPDATE turns INDEXED BY turns_key SET record = NULL
             WHERE tenant_id = ?1 AND conversation_id = ?2 AND seq > ?3 AND seq <= ?4",
            before,
            history_from,
        )?;
    }
    let Some((_, sequence, _)) = &row.receipt else {
        return Ok(());
    };
    let cutoff = sequence - receipt_window;
    if cutoff < 1 {
        return Ok(());
    }
    // Out of both windows: gone.
    run(
        "DELETE FROM turns INDEXED BY turns_key
         WHERE tenant_id = ?1 AND conversation_id = ?2 AND seq > ?3 AND seq <= ?4",
        i64::MIN,
        cutoff.min(history_from),
    )?;
    // Out of the receipt window but still in the history (a window shorter than the history).
    if cutoff > history_from {
        run(
            "UPDATE turns INDEXED BY turns_key SET turn_id = NULL, receipt = NULL
             WHERE tenant_id = ?1 AND conversation_id = ?2 AND seq > ?3 AND seq <= ?4
               AND turn_id IS NOT NULL",
            history_from,
            cutoff,
        )?;
    }
    Ok(())
}

fn append_event(conn: &Connection, t: &str, c: &str, e: &EventRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO events (event_id, tenant_id, conversation_id, queue, created_ms, event)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut s| s.execute(params![e.event_id, t, c, e.queue, e.created_ms, e.body]))
    .map_err(sql)?;
    // Pending for every known consumer group (a group claiming for the first time gets its
    // rows from `register`).
    let seq = conn.last_insert_rowid();
    conn.prepare_cached(
        "INSERT INTO deliveries (consumer, seq, event_id, tenant_id, conversation_id, queue)
         SELECT consumer, ?1, ?2, ?3, ?4, ?5 FROM consumers",
    )
    .and_then(|mut s| s.execute(params![seq, e.event_id, t, c, e.queue]))
    .map_err(sql)?;
    conn.prepare_cached(
        "INSERT INTO handoffs (handoff_id, tenant_id, reason, seconds, language, channel, queue)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (handoff_id) DO NOTHING",
    )
    .and_then(|mut s| {
        s.execute(params![
            e.handoff_id,
            t,
            e.reason,
            e.seconds,
            e.language,
            e.channel,
            e.queue
        ])
    })
    .map_err(sql)?;
    Ok(())
}
