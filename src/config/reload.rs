//! Reloads the tenant policies and the `[auth]` keys without a restart: on SIGHUP, and when the file changes if
//! `policy.watch_seconds` is set. A file that does not load or validate is rejected with a logged
//! reason and the running policy stays.

use super::Config;
use super::auth::KeyringHandle;
use crate::policy::PolicyHandle;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use tracing::{info, warn};

/// Starts watching; the SIGHUP handler is installed before this returns, so a SIGHUP never ends
/// the process (without a file it is logged and ignored). Runs until `stop` turns true.
pub fn spawn(
    path: Option<PathBuf>,
    handle: PolicyHandle,
    keys: KeyringHandle,
    watch_seconds: u64,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let hangup = hangup();
    tokio::spawn(run(path, handle, keys, watch_seconds, hangup, stop))
}

async fn run(
    path: Option<PathBuf>,
    handle: PolicyHandle,
    keys: KeyringHandle,
    watch_seconds: u64,
    mut hangup: Hangup,
    mut stop: watch::Receiver<bool>,
) {
    let every = Duration::from_secs(watch_seconds.max(1));
    let mut seen = path.as_deref().and_then(modified);
    loop {
        let poll = async {
            if watch_seconds == 0 || path.is_none() {
                std::future::pending::<()>().await
            }
            tokio::time::sleep(every).await
        };
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            Some(()) = recv(&mut hangup) => match &path {
                Some(path) => {
                    info!(file = %path.display(), "SIGHUP: reloading policy");
                    seen = modified(path);
                    reload(path, &handle, &keys);
                }
                None => warn!("SIGHUP ignored: the server was started without a config file"),
            },
            _ = poll => {
                let Some(path) = &path else { continue };
                let now = modified(path);
                if now != seen {
                    seen = now;
                    info!(file = %path.display(), "config file changed: reloading policy");
                    reload(path, &handle, &keys);
                }
            }
        }
    }
}

/// Loads the file (with the environment overrides, as at start-up) and swaps in its policy and
/// keys, both or neither.
pub fn reload(path: &Path, handle: &PolicyHandle, keys: &KeyringHandle) -> bool {
    let compiled = Config::load(Some(path), std::env::vars())
        .map_err(|e| e.to_string())
        .and_then(|c| {
            let policy = c.policy.compile().map_err(|e| e.to_string())?;
            Ok((policy, c.keyring()?))
        });
    match compiled {
        Ok((policy, keyring)) => {
            handle.store(policy);
            let principals = keyring.principals.len();
            keys.store(std::sync::Arc::new(keyring));
            info!(
                tenants = handle.load().tenants.len(),
                principals, "policy and keys reloaded"
            );
            true
        }
        Err(error) => {
            warn!(%error, "policy reload rejected; keeping the running policy");
            false
        }
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

#[cfg(unix)]
fn hangup() -> Hangup {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup())
        .map_err(
            |e| warn!(error = %e, "cannot listen for SIGHUP; policy reloads on file change only"),
        )
        .ok()
}

#[cfg(not(unix))]
fn hangup() -> Hangup {
    None
}

/// The next SIGHUP; never resolves when there is no handler.
async fn recv(hangup: &mut Hangup) -> Option<()> {
    #[cfg(unix)]
    if let Some(s) = hangup {
        return s.recv().await;
    }
    let _ = hangup;
    std::future::pending().await
}
