//! The disk's own sync latency, measured in the same run as the receiver's steady rate.
//!
//! The receiver acknowledges after its commit's sync, so its p99 at a steady rate can be no
//! better than the disk's slowest syncs. On a virtual disk those vary by the hour (one
//! morning a sync took 0.28 ms at the median and 386 ms at worst, 49 of 65,000 over 20 ms):
//! printed beside the receiver's p99, they say whether a miss was the store's or the disk's.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the probe measured: every sync's latency, sorted.
pub struct DiskSyncs {
    pub latencies: Vec<Duration>,
}

impl DiskSyncs {
    /// Syncs slower than `limit`.
    pub fn over(&self, limit: Duration) -> usize {
        self.latencies.iter().filter(|d| **d > limit).count()
    }
}

/// Runs `work` while a thread appends 600 bytes to a file in `dir` and syncs it
/// (`fdatasync`) every `every`, as a commit's log would be, and returns both.
pub fn probe_while<T>(
    dir: &std::path::Path,
    every: Duration,
    work: impl FnOnce() -> T,
) -> anyhow::Result<(T, DiskSyncs)> {
    let path = dir.join("disk-probe");
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let probe = std::thread::spawn(move || -> std::io::Result<Vec<Duration>> {
        let record = [b'x'; 600];
        let mut latencies = Vec::new();
        while !stopped.load(Ordering::Relaxed) {
            file.write_all(&record)?;
            let started = Instant::now();
            file.sync_data()?;
            latencies.push(started.elapsed());
            std::thread::sleep(every);
        }
        Ok(latencies)
    });
    let result = work();
    stop.store(true, Ordering::Relaxed);
    let mut latencies = probe.join().map_err(|_| anyhow::anyhow!("the disk probe panicked"))??;
    let _ = std::fs::remove_file(&path);
    anyhow::ensure!(!latencies.is_empty(), "the disk probe took no measurement");
    latencies.sort();
    Ok((result, DiskSyncs { latencies }))
}
