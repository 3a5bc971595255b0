//! Another program holding a SQLite database locked: a separate process (python3's sqlite3
//! in an exclusive transaction), as another program holding the lock would be.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The lock, held until dropped.
pub struct SqliteLock(Child);

impl Drop for SqliteLock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Takes an exclusive lock on the database at `path`; returns once it is held.
pub fn lock_sqlite(path: &Path) -> SqliteLock {
    let mut child = Command::new("python3")
        .args(["-c", "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)"])
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    let read = BufReader::new(child.stdout.as_mut().expect("piped")).read_line(&mut line);
    let lock = SqliteLock(child);
    assert!(read.is_ok() && line.trim() == "locked", "the database could not be locked: {line:?}");
    lock
}
