//! Any role can take an advisory lock, so the receivers' waits on the fleet's locks are
//! bounded, and the error names the session that holds one (its pid, user and program).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};
use calleague_testkit::TestPostgres;

/// The keys the receivers use ("calleagu", "catchup!").
const MIGRATION_LOCK: i64 = 0x6361_6c6c_6561_6775;
const CATCH_UP_LOCK: i64 = 0x6361_7463_6875_7021;

/// The psql process, ended with the test whatever happens.
struct Psql(Child);

impl Drop for Psql {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A psql session (as the program "stuck-psql") that takes `key` and sits on it.
fn hold(pg: &TestPostgres, db: &str, key: i64) -> (Psql, i32) {
    let child = Psql(
        Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres", "-d", db, "-q"])
            .args(["-c", &format!("SELECT pg_advisory_lock({key})"), "-c", "SELECT pg_sleep(120)"])
            .env("PGAPPNAME", "stuck-psql")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("psql (package postgresql-client)"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pid =
            pg.psql(db, "SELECT coalesce(max(pid), 0) FROM pg_locks WHERE locktype = 'advisory' AND granted").unwrap();
        let pid: i32 = pid.trim().parse().unwrap();
        if pid != 0 {
            return (child, pid);
        }
        assert!(Instant::now() < deadline, "psql never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_sitting_on_a_fleet_lock_is_named_and_waited_for_a_bounded_time() {
    let pg = TestPostgres::start().expect("a PostgreSQL server for the test");
    let url: DatabaseUrl = pg.create_database("locks").unwrap().parse().unwrap();
    let first = PgStore::connect(&url, PgOptions::default()).await.unwrap();

    // At start: the migration lock.
    let (psql, pid) = hold(&pg, "locks", MIGRATION_LOCK);
    let options = PgOptions { migration_lock_wait: Duration::from_secs(1), ..PgOptions::default() };
    let started = Instant::now();
    let refused = PgStore::connect(&url, options.clone()).await.err().expect("not started behind the lock");
    let message = refused.to_string();
    assert!(
        message.contains(&format!("the migration lock was held by pid {pid} (user postgres, application stuck-psql")),
        "{message}"
    );
    assert!(message.contains(&format!("SELECT pg_terminate_backend({pid})")), "{message}");
    println!("refused after {:?}: {message}", started.elapsed());
    // Ended as the message says.
    pg.psql("locks", &format!("SELECT pg_terminate_backend({pid})")).unwrap();
    drop(psql);
    PgStore::connect(&url, options.clone()).await.expect("starts once the session is gone");

    // Catch-up's lock: refused after the wait, the holder named; had once it is free.
    let (psql, pid) = hold(&pg, "locks", CATCH_UP_LOCK);
    let refused = first.lock_catch_up(Duration::from_secs(1)).await.err().expect("a bounded wait");
    assert!(refused.to_string().contains(&format!("the catch-up lock was held by pid {pid}")), "{refused}");
    pg.psql("locks", &format!("SELECT pg_terminate_backend({pid})")).unwrap();
    drop(psql);
    let _held = first.lock_catch_up(Duration::from_secs(5)).await.expect("free again");
}
