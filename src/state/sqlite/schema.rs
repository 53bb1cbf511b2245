//! The SQLite schema and its migrations, applied at start-up; `PRAGMA user_version` is the version.

use rusqlite::{Connection, TransactionBehavior};

/// Migration `i` takes the schema from version `i` to `i + 1`. Append only; never edit a released one.
const MIGRATIONS: &[&str] = &[
    // 1: conversations, receipts, the outbox with per-consumer delivery state, outcomes.
    "
    CREATE TABLE conversations (
        tenant_id       TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        version         INTEGER NOT NULL,
        customer_id     TEXT,
        updated_ms      INTEGER NOT NULL,
        state           BLOB NOT NULL,
        PRIMARY KEY (tenant_id, conversation_id)
    ) WITHOUT ROWID;
    CREATE INDEX conversations_customer ON conversations (tenant_id, customer_id);
    CREATE INDEX conversations_updated ON conversations (updated_ms);

    CREATE TABLE receipts (
        tenant_id       TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        turn_id         TEXT NOT NULL,
        sequence        INTEGER NOT NULL,
        receipt         BLOB NOT NULL,
        PRIMARY KEY (tenant_id, conversation_id, turn_id)
    ) WITHOUT ROWID;
    CREATE INDEX receipts_sequence ON receipts (tenant_id, conversation_id, sequence);

    CREATE TABLE events (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id        TEXT NOT NULL UNIQUE,
        tenant_id       TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        queue           TEXT NOT NULL,
        created_ms      INTEGER NOT NULL,
        event           BLOB NOT NULL
    );
    CREATE INDEX events_conversation ON events (tenant_id, conversation_id, seq);

    CREATE TABLE deliveries (
        consumer        TEXT NOT NULL,
        event_id        TEXT NOT NULL,
        leased_until_ms INTEGER,
        deliveries      INTEGER NOT NULL,
        acked           INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (consumer, event_id)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_event ON deliveries (event_id);

    CREATE TABLE handoffs (
        handoff_id TEXT PRIMARY KEY,
        tenant_id  TEXT NOT NULL,
        reason     TEXT NOT NULL,
        seconds    REAL NOT NULL
    );

    CREATE TABLE outcomes (
        id              INTEGER PRIMARY KEY,
        tenant_id       TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        handoff_id      TEXT NOT NULL,
        resolved        INTEGER NOT NULL,
        satisfaction    INTEGER NOT NULL,
        verdict         TEXT NOT NULL
    );
    CREATE INDEX outcomes_handoff ON outcomes (handoff_id);
    CREATE INDEX outcomes_conversation ON outcomes (tenant_id, conversation_id);
    ",
    // 2: the feed's delivery rows are written for every known consumer group when an event is
    // appended (and for every retained event when a group first claims), so a claim reads the
    // group's unacknowledged rows through a partial index and never walks acknowledged events.
    // Queue status pushed by routers.
    "
    CREATE TABLE consumers (consumer TEXT PRIMARY KEY) WITHOUT ROWID;
    INSERT INTO consumers SELECT DISTINCT consumer FROM deliveries;
    CREATE TABLE feed (
        consumer        TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        event_id        TEXT NOT NULL,
        tenant_id       TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        queue           TEXT NOT NULL,
        leased_until_ms INTEGER,
        deliveries      INTEGER NOT NULL DEFAULT 0,
        acked           INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (consumer, seq)
    ) WITHOUT ROWID;
    INSERT INTO feed
        SELECT d.consumer, e.seq, e.event_id, e.tenant_id, e.conversation_id, e.queue,
               d.leased_until_ms, d.deliveries, d.acked
        FROM deliveries d JOIN events e ON e.event_id = d.event_id;
    INSERT INTO feed (consumer, seq, event_id, tenant_id, conversation_id, queue)
        SELECT c.consumer, e.seq, e.event_id, e.tenant_id, e.conversation_id, e.queue
        FROM consumers c CROSS JOIN events e WHERE true
        ON CONFLICT (consumer, seq) DO NOTHING;
    DROP TABLE deliveries;
    ALTER TABLE feed RENAME TO deliveries;
    CREATE UNIQUE INDEX deliveries_consumer_event ON deliveries (consumer, event_id);
    CREATE INDEX deliveries_event ON deliveries (event_id);
    CREATE INDEX deliveries_pending ON deliveries (consumer, seq) WHERE acked = 0;
    CREATE INDEX deliveries_pending_tenant ON deliveries (consumer, tenant_id, seq) WHERE acked = 0;

    CREATE TABLE queue_status (
        tenant_id             TEXT NOT NULL,
        queue                 TEXT NOT NULL,
        agents_available      INTEGER NOT NULL,
        expected_wait_seconds INTEGER NOT NULL,
        open                  INTEGER NOT NULL,
        updated_ms            INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, queue)
    ) WITHOUT ROWID;
    ",
    // 3: decision quality by language, channel and queue as well as by reason.
    "
    ALTER TABLE handoffs ADD COLUMN language TEXT NOT NULL DEFAULT '';
    ALTER TABLE handoffs ADD COLUMN channel TEXT NOT NULL DEFAULT '';
    ALTER TABLE handoffs ADD COLUMN queue TEXT NOT NULL DEFAULT '';
    ",
    // 4: a conversation's recent turns are rows of their own, so a turn writes only itself (not
    // the whole history again); records are MessagePack from now on (`codec`), and the JSON
    // written before stays readable: the history moves out of each JSON state as it is. Stored
    // settings (the encryption key check).
    "
    CREATE TABLE turns (
        tenant_id       TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        record          BLOB NOT NULL,
        PRIMARY KEY (tenant_id, conversation_id, seq)
    ) WITHOUT ROWID;
    INSERT INTO turns (tenant_id, conversation_id, seq, record)
        SELECT c.tenant_id, c.conversation_id,
               json_extract(CAST(c.state AS TEXT), '$.turn_count')
                   - json_array_length(CAST(c.state AS TEXT), '$.recent') + j.key + 1,
               CAST(j.value AS BLOB)
        FROM conversations c, json_each(CAST(c.state AS TEXT), '$.recent') j;
    UPDATE conversations SET state = CAST(json_remove(CAST(state AS TEXT), '$.recent') AS BLOB);
    CREATE TABLE store_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
    ",
    // 5: fewer pages written per turn (every page a turn touches is written to the log again).
    // A turn's history record and its receipt share one row, appended at the end of a rowid table
    // and found through one small index (the turn id in it, for dedupe), instead of three rows in
    // the middle of three b-trees (history, receipts, receipts by sequence). A row keeps its
    // record while the turn is in the conversation's history (`history_from` says where that
    // starts) and its receipt while it is in the receipt window; a row with neither is deleted.
    // Idle expiry finds conversations by the minute they went idle, which changes (and rewrites
    // its index) at most once a minute, not on every turn.
    "
    CREATE TABLE turn_rows (
        id              INTEGER PRIMARY KEY,
        tenant_id       TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        seq             INTEGER NOT NULL,
        turn_id         TEXT,
        record          BLOB,
        receipt         BLOB
    );
    INSERT INTO turn_rows (tenant_id, conversation_id, seq, turn_id, record, receipt)
        SELECT t.tenant_id, t.conversation_id, t.seq, r.turn_id, t.record, r.receipt
        FROM turns t LEFT JOIN receipts r ON r.tenant_id = t.tenant_id
            AND r.conversation_id = t.conversation_id AND r.sequence = t.seq
        UNION ALL
        SELECT r.tenant_id, r.conversation_id, r.sequence, r.turn_id, NULL, r.receipt
        FROM receipts r WHERE NOT EXISTS (SELECT 1 FROM turns t WHERE t.tenant_id = r.tenant_id
            AND t.conversation_id = r.conversation_id AND t.seq = r.sequence)
        ORDER BY 1, 2, 3;
    ALTER TABLE conversations ADD COLUMN history_from INTEGER NOT NULL DEFAULT 0;
    UPDATE conversations SET history_from = coalesce((SELECT min(t.seq) - 1 FROM turns t
        WHERE t.tenant_id = conversations.tenant_id
          AND t.conversation_id = conversations.conversation_id), 0);
    DROP TABLE turns;
    DROP TABLE receipts;
    ALTER TABLE turn_rows RENAME TO turns;
    CREATE INDEX turns_key ON turns (tenant_id, conversation_id, seq, turn_id);
    ALTER TABLE conversations ADD COLUMN idle_minute INTEGER NOT NULL DEFAULT 0;
    UPDATE conversations SET idle_minute = updated_ms / 60000;
    DROP INDEX conversations_updated;
    CREATE INDEX conversations_idle ON conversations (idle_minute);
    ",
];

/// The schema version this build writes.
pub const VERSION: usize = MIGRATIONS.len();

/// Brings the file's schema to `VERSION` in one transaction; refuses a file from a newer build.
pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    migrate_to(conn, VERSION)
}

/// Brings the file's schema to `target` (tests build files as older releases left them).
pub fn migrate_to(conn: &mut Connection, target: usize) -> Result<(), String> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| format!("starting migration: {e}"))?;
    let current: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| format!("reading schema version: {e}"))?;
    let current = current as usize;
    if current > VERSION {
        return Err(format!(
            "database schema version {current} is newer than this build ({VERSION})"
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().take(target).skip(current) {
        tx.execute_batch(sql)
            .map_err(|e| format!("migration {}: {e}", i + 1))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(|e| format!("recording schema version {}: {e}", i + 1))?;
    }
    tx.commit()
        .map_err(|e| format!("committing migration: {e}"))
}
