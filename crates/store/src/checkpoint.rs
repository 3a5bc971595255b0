//! Copying the write-ahead log back into the database, off the writer's thread.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that
//! commit copies the log's pages into the database and syncs the database file before it
//! returns. perf and strace on the receiver under load showed such commits taking 60–170 ms
//! (the database file's sync), during which no delivery was acknowledged. So the writer's
//! connection runs with `wal_autocheckpoint=0` (a log hook counts the log's frames after
//! each commit instead) and this thread, on its own connection, checkpoints in `PASSIVE`
//! mode once the log passes [`CHECKPOINT_AT`] frames: it never waits for the writer and the
//! writer never waits for it. Durability does not change: a commit is durable once the
//! log is synced, which the writer still does at every commit (`synchronous=FULL`).
//!
//! The log restarts from its beginning only when a write transaction begins with every
//! frame copied; a checkpointer racing a busy writer rarely sees that moment. So when the
//! log has grown past [`RESTART_AT`] frames, the checkpointer asks the writer to run a
//! checkpoint itself between two batches ([`Checkpointer::take_restart_request`]): it
//! copies only what came since this thread's last pass, and the writer's next transaction
//! starts the log over. The log stays bounded under any load.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

use crate::Result;

/// The log's length (in frames, i.e. pages) at which the checkpointer copies it: SQLite's
/// own threshold for its automatic checkpoint (4 MiB of 4 KiB pages).
const CHECKPOINT_AT: i64 = 1_000;
/// How long the checkpointer waits after a pass before it takes another.
const PACE: Duration = Duration::from_millis(20);
/// Frames in the log past which, after a pass, the writer is asked to let it start over.
const RESTART_AT: i64 = CHECKPOINT_AT;

/// The writer's side: a nudge after each commit, and the checkpointer's requests.
pub(crate) struct Checkpointer {
    wake: Option<SyncSender<()>>,
    restart: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the checkpoint thread on a connection of its own to `path`. It takes a last
    /// checkpoint and stops when the returned handle is dropped (with the writer).
    pub fn start(path: &Path, busy_timeout_ms: u64) -> Result<Self> {
        let conn = Connection::open(path)?;
        crate::schema::configure(&conn, busy_timeout_ms)?;
        let (wake, woken) = mpsc::sync_channel(1);
        let restart = Arc::new(AtomicBool::new(false));
        let asked = restart.clone();
        let thread = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(conn, woken, asked))
            .map_err(|e| crate::StoreError::Unavailable(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Self { wake: Some(wake), restart, thread: Some(thread) })
    }

    /// After a commit (on the writer's thread): once the log holds [`CHECKPOINT_AT`] frames
    /// the checkpointer copies them. Never waits.
    pub fn committed(&self) {
        if LOG_FRAMES.with(|f| f.get()) < CHECKPOINT_AT {
            return;
        }
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }

    /// Whether the checkpointer asked the writer to checkpoint (and clears the request).
    pub fn take_restart_request(&self) -> bool {
        self.restart.swap(false, Ordering::Relaxed)
    }
}

impl Drop for Checkpointer {
    /// Stops the thread and waits for it: once the writer is gone, no connection is left.
    fn drop(&mut self) {
        self.wake.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

std::thread_local! {
    /// Frames in the log after the last commit on this thread's connection (the writer's:
    /// its thread is the only one that commits on it).
    static LOG_FRAMES: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

fn count_frames(_: &rusqlite::hooks::Wal, frames: std::os::raw::c_int) -> rusqlite::Result<()> {
    LOG_FRAMES.with(|f| f.set(i64::from(frames)));
    Ok(())
}

/// Turns off SQLite's checkpoint-inside-commit on the writer's connection; instead each
/// commit notes how long the log is, for [`Checkpointer::committed`].
pub(crate) fn disable_automatic(conn: &Connection) -> Result<()> {
    // The pragma replaces the connection's log hook, so it goes first.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.wal_hook(Some(count_frames));
    Ok(())
}

/// A `PASSIVE` checkpoint: copies what no reader still needs, never waits. Returns how
/// many frames the log holds.
pub(crate) fn passive(conn: &Connection) -> Result<i64> {
    let (_busy, log, _copied): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(log)
}

fn run(conn: Connection, woken: Receiver<()>, restart: Arc<AtomicBool>) {
    while woken.recv().is_ok() {
        match passive(&conn) {
            Ok(log) if log >= RESTART_AT => restart.store(true, Ordering::Relaxed),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "a checkpoint failed; the next commit tries again"),
        }
        // Not again at once: the writer's nudges meanwhile are for the pass just taken.
        std::thread::sleep(PACE);
        match woken.try_recv() {
            Ok(()) | Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => break,
        }
    }
    // The writer is gone: copy what is left, so the log is small for the next start.
    if let Err(e) = passive(&conn) {
        tracing::debug!(error = %e, "the last checkpoint failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commits that together write `pages` pages or more.
    fn write_pages(conn: &Connection, pages: usize) {
        let blob = vec![7u8; 3_500]; // under a 4 KiB page: one page per row
        for _ in 0..pages / 50 {
            let tx = conn.unchecked_transaction().unwrap();
            for _ in 0..50 {
                tx.execute("INSERT INTO t (b) VALUES (?1)", [&blob]).unwrap();
            }
            tx.commit().unwrap();
        }
    }

    #[test]
    fn commits_leave_the_log_to_the_checkpointer_and_count_its_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)").unwrap();
        disable_automatic(&conn).unwrap();
        write_pages(&conn, 3_000);
        // SQLite's automatic checkpoint would have copied the log at 1,000 frames and the
        // next commit would have started it over: the count would be far smaller.
        let frames = LOG_FRAMES.with(|f| f.get());
        assert!(frames >= 3_000, "the log holds {frames} frames");

        // A nudge past the threshold: the checkpointer copies the log and, as it is still
        // long, asks the writer for the checkpoint that lets it start over.
        let checkpointer = Checkpointer::start(&path, 1_000).unwrap();
        checkpointer.committed();
        let asked = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            checkpointer.take_restart_request()
        });
        assert!(asked, "the checkpointer never asked the writer to checkpoint");
        assert_eq!(passive(&conn).unwrap(), frames, "the writer's pass copies the rest");
        conn.execute("INSERT INTO t (b) VALUES (x'00')", []).unwrap();
        let after = LOG_FRAMES.with(|f| f.get());
        assert!(after < 10, "the log started over: {after} frames");
        drop(checkpointer);
        let rows: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 3_001);
    }
}
