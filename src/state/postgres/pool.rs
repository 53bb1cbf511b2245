//! A small connection pool: at most `size` connections, each with its own prepared statements.
//!
//! Connections are opened on demand and dropped when found closed; a waiter gets the next free one.

use super::pg;
use crate::state::StoreError;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::{Client, GenericClient, NoTls, Statement};
use tracing::warn;

pub struct Pool {
    config: tokio_postgres::Config,
    idle: Mutex<Vec<Conn>>,
    /// One permit per connection that may exist.
    permits: Semaphore,
}

/// A connection with the statements prepared on it.
pub struct Conn {
    pub client: Client,
    pub statements: Statements,
}

/// Prepared statements by their SQL text (each is prepared once per connection).
#[derive(Default)]
pub struct Statements(HashMap<&'static str, Statement>);

impl Statements {
    /// The prepared form of `sql` on the connection `client` belongs to.
    pub async fn get(
        &mut self,
        client: &impl GenericClient,
        sql: &'static str,
    ) -> Result<Statement, StoreError> {
        if let Some(s) = self.0.get(sql) {
            return Ok(s.clone());
        }
        let s = client.prepare(sql).await.map_err(pg)?;
        self.0.insert(sql, s.clone());
        Ok(s)
    }
}

pub struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
    _permit: SemaphorePermit<'a>,
}

impl Pool {
    pub fn new(config: tokio_postgres::Config, size: usize) -> Self {
        Pool {
            config,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1)),
        }
    }

    pub async fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("postgres pool closed".into()))?;
        let idle = loop {
            let c = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match c {
                Some(c) if c.client.is_closed() => continue,
                other => break other,
            }
        };
        let conn = match idle {
            Some(c) => c,
            None => Conn {
                client: connect(&self.config).await?,
                statements: Statements::default(),
            },
        };
        Ok(Pooled {
            pool: self,
            conn: Some(conn),
            _permit: permit,
        })
    }
}

/// Opens one connection and drives it on a task of its own.
pub async fn connect(config: &tokio_postgres::Config) -> Result<Client, StoreError> {
    let (client, connection) = config.connect(NoTls).await.map_err(pg)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            warn!(error = %e, "postgres connection ended");
        }
    });
    Ok(client)
}

impl Deref for Pooled<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("present until drop")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take()
            && !c.client.is_closed()
        {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(c);
        }
    }
}
