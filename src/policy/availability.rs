//! Live queue status pushed by routers (`UpdateQueueStatus`), per tenant and queue.
//!
//! The registry lives in this process; `decide` gets a snapshot of one tenant's queues so it stays
//! pure. A queue nobody has reported on is assumed able to take conversations (business hours
//! still apply).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// What a router last said about one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStatus {
    pub agents_available: u32,
    pub expected_wait_seconds: u32,
    /// False: closed regardless of business hours.
    pub open: bool,
    /// When it was reported (Unix ms).
    pub updated_ms: i64,
}

/// One tenant's queues at one moment, by queue name.
pub type Snapshot = Arc<BTreeMap<String, QueueStatus>>;

/// Cheap to clone; shared by the engine (reads on every turn) and the router service (writes).
#[derive(Clone, Default)]
pub struct Availability {
    /// Per tenant, replaced as a whole on every update so readers only clone an `Arc`. The lock is
    /// held for a map lookup or insert only, never across an `.await`.
    tenants: Arc<RwLock<HashMap<String, Snapshot>>>,
}

impl Availability {
    /// Merges reported queues into the tenant's status; queues not named keep their last status.
    pub fn update(&self, tenant_id: &str, queues: impl IntoIterator<Item = (String, QueueStatus)>) {
        let mut tenants = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        let mut next: BTreeMap<String, QueueStatus> = tenants
            .get(tenant_id)
            .map(|s| (**s).clone())
            .unwrap_or_default();
        next.extend(queues);
        tenants.insert(tenant_id.to_string(), Arc::new(next));
    }

    /// The tenant's queues as last reported (empty when never reported).
    pub fn snapshot(&self, tenant_id: &str) -> Snapshot {
        self.tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(tenant_id)
            .cloned()
            .unwrap_or_default()
    }
}
