//! Whether the store can take a delivery now, for the receiver's `/readyz`: enough free
//! space beside the database, and a write committed (synced) through the writer like a
//! delivery's. A full disk is told by the space alone: a small write may still fit in the
//! write-ahead log's old frames while a delivery no longer does.

use crate::writer::Write;
use crate::{Result, Store, StoreError};

/// Below this much free space the store says it is not ready: a delivery (up to 1 MiB by
/// default) might not fit.
pub const MIN_FREE_BYTES: u64 = 1024 * 1024;

impl Store {
    /// Ok when a delivery would commit now; else why not.
    pub async fn check_ready(&self) -> Result<()> {
        if let Some(free) = free_bytes(self.path()) {
            if free < MIN_FREE_BYTES {
                return Err(StoreError::Unavailable(format!("the disk is full ({free} bytes free)")));
            }
        }
        self.submit(Write::CheckReady).await.map(|_| ())
    }
}

/// Free space for an unprivileged writer on the database's file system.
#[cfg(unix)]
fn free_bytes(path: &std::path::Path) -> Option<u64> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let stats = rustix::fs::statvfs(dir).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}

#[cfg(not(unix))]
fn free_bytes(_path: &std::path::Path) -> Option<u64> {
    None
}
