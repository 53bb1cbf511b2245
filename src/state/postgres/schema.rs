//! The PostgreSQL schema and its migrations, applied at start-up by whichever replica gets the
//! advisory lock first; the others wait for it and then find nothing left to do.

use super::pg;
use crate::state::StoreError;
use crate::state::codec::Codec;
use tokio_postgres::Client;

/// Migration `i` takes the schema from version `i` to `i + 1`. Append only.
const MIGRATIONS: &[&str] = &[
    // 1: conversations, receipts, the outbox with per-consumer delivery state, outcomes.
    "
    CREATE TABLE conversations (
        tenant_id       text NOT NULL,
        conversation_id text NOT NULL,
        version         bigint NOT NULL,
        customer_id     text,
        updated_ms      bigint NOT NULL,
        state           bytea NOT NULL,
        PRIMARY KEY (tenant_id, conversation_id)
    );
    CREATE INDEX conversations_customer ON conversations (tenant_id, customer_id);
    CREATE INDEX conversations_updated ON conversations (updated_ms);

    CREATE TABLE receipts (
        tenant_id       text NOT NULL,
        conversation_id text NOT NULL,
        turn_id         text NOT NULL,
        sequence        bigint NOT NULL,
        receipt         bytea NOT NULL,
        PRIMARY KEY (tenant_id, conversation_id, turn_id)
    );
    CREATE INDEX receipts_sequence ON receipts (tenant_id, conversation_id, sequence);

    CREATE TABLE events (
        seq             bigserial PRIMARY KEY,
        event_id        text NOT NULL UNIQUE,
        tenant_id       text NOT NULL,
        conversation_id text NOT NULL,
        queue           text NOT NULL,
        created_ms      bigint NOT NULL,
        event           bytea NOT NULL
    );
    CREATE INDEX events_conversation ON events (tenant_id, conversation_id, seq);

    CREATE TABLE deliveries (
        consumer     text NOT NULL,
        event_id     text NOT NULL,
        leased_until timestamptz,
        deliveries   integer NOT NULL,
        acked        boolean NOT NULL DEFAULT false,
        PRIMARY KEY (consumer, event_id)
    );
    CREATE INDEX deliveries_event ON deliveries (event_id);

    CREATE TABLE handoffs (
        handoff_id text PRIMARY KEY,
        tenant_id  text NOT NULL,
        reason     text NOT NULL,
        seconds    double precision NOT NULL
    );

    CREATE TABLE outcomes (
        id              bigserial PRIMARY KEY,
        tenant_id       text NOT NULL,
        conversation_id text NOT NULL,
        handoff_id      text NOT NULL,
        resolved        boolean NOT NULL,
        satisfaction    integer NOT NULL,
        verdict         text NOT NULL
    );
    CREATE INDEX outcomes_handoff ON outcomes (handoff_id);
    CREATE INDEX outcomes_conversation ON outcomes (tenant_id, conversation_id);
    ",
    // 2: delivery rows written for every known consumer group when an event is appended (and for
    // every retained event when a group first claims), so claims read a group's unacknowledged
    // rows through a partial index; each lease records its owner (a process's epoch, alive while
    // that process holds its advisory lock); queue status pushed by routers.
    "
    CREATE SEQUENCE owner_epochs;
    CREATE TABLE consumers (consumer text PRIMARY KEY);
    INSERT INTO consumers SELECT DISTINCT consumer FROM deliveries;
    ALTER TABLE deliveries
        ADD COLUMN seq bigint, ADD COLUMN tenant_id text, ADD COLUMN conversation_id text,
        ADD COLUMN queue text, ADD COLUMN owner bigint;
    UPDATE deliveries d
        SET seq = e.seq, tenant_id = e.tenant_id, conversation_id = e.conversation_id,
            queue = e.queue
        FROM events e WHERE e.event_id = d.event_id;
    DELETE FROM deliveries WHERE seq IS NULL;
    INSERT INTO deliveries
        (consumer, event_id, seq, tenant_id, conversation_id, queue, deliveries, acked)
        SELECT c.consumer, e.event_id, e.seq, e.tenant_id, e.conversation_id, e.queue, 0, false
        FROM consumers c CROSS JOIN events e
        ON CONFLICT (consumer, event_id) DO NOTHING;
    ALTER TABLE deliveries
        ALTER COLUMN seq SET NOT NULL, ALTER COLUMN tenant_id SET NOT NULL,
        ALTER COLUMN conversation_id SET NOT NULL, ALTER COLUMN queue SET NOT NULL;
    CREATE INDEX deliveries_pending ON deliveries (consumer, seq) WHERE NOT acked;
    CREATE INDEX deliveries_pending_conversation
        ON deliveries (consumer, tenant_id, conversation_id, seq) WHERE NOT acked;

    CREATE TABLE queue_status (
        tenant_id             text NOT NULL,
        queue                 text NOT NULL,
        agents_available      bigint NOT NULL,
        expected_wait_seconds bigint NOT NULL,
        open                  boolean NOT NULL,
        updated_ms            bigint NOT NULL,
        PRIMARY KEY (tenant_id, queue)
    );
    ",
    // 3: decision quality by language, channel and queue as well as by reason.
    "
    ALTER TABLE handoffs
        ADD COLUMN language text NOT NULL DEFAULT '',
        ADD COLUMN channel text NOT NULL DEFAULT '',
        ADD COLUMN queue text NOT NULL DEFAULT '';
    ",
    // 4: a conversation's recent turns are rows of their own, so a turn writes only itself;
    // records are MessagePack from now on (`codec`) and the JSON written before stays readable:
    // the history moves out of each JSON state as it is. Stored settings (the key check).
    "
    CREATE TABLE turns (
        tenant_id       text NOT NULL,
        conversation_id text NOT NULL,
        seq             bigint NOT NULL,
        record          bytea NOT NULL,
        PRIMARY KEY (tenant_id, conversation_id, seq)
    );
    INSERT INTO turns (tenant_id, conversation_id, seq, record)
        SELECT c.tenant_id, c.conversation_id,
               (s.j->>'turn_count')::bigint - jsonb_array_length(s.j->'recent') + e.ord,
               convert_to(e.value::text, 'UTF8')
        FROM conversations c
        CROSS JOIN LATERAL (SELECT convert_from(c.state, 'UTF8')::jsonb AS j) s
        CROSS JOIN LATERAL jsonb_array_elements(s.j->'recent') WITH ORDINALITY e(value, ord);
    UPDATE conversations
        SET state = convert_to((convert_from(state, 'UTF8')::jsonb - 'recent')::text, 'UTF8');
    CREATE TABLE store_meta (key text PRIMARY KEY, value bytea NOT NULL);
    ",
];

/// Refuses a database whose records were sealed under another key (or any key, when none is
/// set); the first start with a key leaves a sealed check record in `store_meta` (replicas
/// starting together: the first insert wins and the others check against it).
pub async fn check_key(client: &Client, codec: &Codec) -> Result<(), StoreError> {
    let read = || async {
        client
            .query_opt("SELECT value FROM store_meta WHERE key = 'key_check'", &[])
            .await
            .map_err(pg)
            .map(|r| r.map(|r| r.get::<_, Vec<u8>>(0)))
    };
    if let Some(record) = codec.check_key(read().await?.as_deref())? {
        client
            .execute(
                "INSERT INTO store_meta (key, value) VALUES ('key_check', $1)
                 ON CONFLICT (key) DO NOTHING",
                &[&record],
            )
            .await
            .map_err(pg)?;
        codec.check_key(read().await?.as_deref())?;
    }
    Ok(())
}

/// Key of the advisory lock that serialises migrations across replicas ("escalat" in ASCII).
const LOCK_KEY: i64 = 0x65_73_63_61_6c_61_74;

pub async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(pg)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        .await
        .map_err(pg)?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .await
        .map_err(pg)?
        .get(0);
    let current = current as usize;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Unavailable(format!(
            "database schema version {current} is newer than this build ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.batch_execute(sql)
            .await
            .map_err(|e| StoreError::Unavailable(format!("postgres migration {}: {e}", i + 1)))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&((i + 1) as i32)],
        )
        .await
        .map_err(pg)?;
    }
    tx.commit().await.map_err(pg)
}
