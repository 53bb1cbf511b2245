//! The durable stores' copy of routers' queue status, so a turn does not read the database for it.
//!
//! Entries are filled from the store on first use per tenant and dropped when the status changes
//! (by this process's write, or, for PostgreSQL, another replica's `NOTIFY`). A fill that raced a
//! change is not kept: `invalidate` bumps the generation and `fill` keeps its rows only if the
//! generation is still the one it read under.

use super::QueueSnapshot;
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct QueueCache {
    /// Per tenant; the lock is held for a lookup or an insert only, never across an `.await`.
    tenants: RwLock<HashMap<String, QueueSnapshot>>,
    generation: AtomicU64,
}

impl QueueCache {
    /// The cached snapshot, or the generation a fill must be started under.
    pub fn get(&self, tenant_id: &str) -> Result<QueueSnapshot, u64> {
        let generation = self.generation.load(Ordering::SeqCst);
        let tenants = self.tenants.read().unwrap_or_else(|e| e.into_inner());
        tenants.get(tenant_id).cloned().ok_or(generation)
    }

    /// Keeps a snapshot read from the store, unless the status changed since `generation`.
    pub fn fill(&self, tenant_id: &str, snapshot: QueueSnapshot, generation: u64) {
        let mut tenants = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            tenants.insert(tenant_id.to_string(), snapshot);
        }
    }

    /// Forgets a tenant's snapshot (`None`: every tenant's) after a change.
    pub fn invalidate(&self, tenant_id: Option<&str>) {
        let mut tenants = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        match tenant_id {
            Some(t) => {
                tenants.remove(t);
            }
            None => tenants.clear(),
        }
    }
}
