//! The service's one wall clock: milliseconds since the Unix epoch. Turn times, queue-status ages,
//! leases and retention all read it here; the pure core (`step`) reads no clock at all and gets the
//! time with the turn.

use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
