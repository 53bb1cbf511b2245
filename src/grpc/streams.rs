//! Open streams per principal (`StreamTurns` and `Subscribe` together), bounded by
//! `limits.max_streams_per_principal`: one principal cannot hold thousands of streams open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tonic::Status;

/// Shared by both services; cheap to clone.
#[derive(Clone)]
pub struct Streams {
    limit: usize,
    /// Open streams by principal name. A sync mutex: held for a lookup, never across `.await`.
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open stream; dropping it frees the slot.
pub struct Slot {
    streams: Streams,
    principal: String,
}

impl Streams {
    pub fn new(limit: usize) -> Self {
        Streams {
            limit,
            open: Arc::default(),
        }
    }

    /// Takes a slot for `principal`, or RESOURCE_EXHAUSTED when it has `limit` streams open.
    pub fn open(&self, principal: &str) -> Result<Slot, Status> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(principal.to_string()).or_default();
        if *n >= self.limit {
            return Err(Status::resource_exhausted(format!(
                "principal `{principal}` has {n} streams open, the limit \
                 (limits.max_streams_per_principal); close one first"
            )));
        }
        *n += 1;
        Ok(Slot {
            streams: self.clone(),
            principal: principal.to_string(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.principal) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.principal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_gets_its_limit_of_streams_and_a_closed_one_frees_a_slot() {
        let streams = Streams::new(2);
        let a = streams.open("a").unwrap();
        let _b = streams.open("a").unwrap();
        assert_eq!(
            streams.open("a").err().unwrap().code(),
            tonic::Code::ResourceExhausted
        );
        let _other = streams
            .open("b")
            .expect("another principal has its own count");
        drop(a);
        streams.open("a").expect("a slot came free");
    }
}
