//! Versioned migrations, applied in order, each once, under an advisory lock so that
//! receivers starting at the same moment do not apply one twice.

use calleague_store::{Result, StoreError};
use tokio_postgres::Client;

use crate::config::db_error;

const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_calls_fillfactor.sql")),
    (3, include_str!("../migrations/0003_uptime.sql")),
    (4, include_str!("../migrations/0004_search.sql")),
    (5, include_str!("../migrations/0005_alert_rules.sql")),
    (6, include_str!("../migrations/0006_agents.sql")),
    (7, include_str!("../migrations/0007_call_ends.sql")),
    (8, include_str!("../migrations/0008_dimensions.sql")),
];

/// The schema version this program writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Any number, the same in every receiver: the key of the migration lock.
const MIGRATION_LOCK: i64 = 0x6361_6c6c_6561_6775; // "calleagu"

/// Applies what is missing; waits at most `lock_wait` for another session's migration lock.
pub(crate) async fn migrate(client: &mut Client, lock_wait: std::time::Duration) -> Result<()> {
    let failed = |e: tokio_postgres::Error| StoreError::Unavailable(db_error(&e));
    let tx = client.transaction().await.map_err(failed)?;
    // Bounded: any role can take an advisory lock, and a session holding this one would
    // otherwise keep every receiver from starting, with nothing said.
    tx.batch_execute(&format!("SET LOCAL lock_timeout = {}", lock_wait.as_millis().max(1))).await.map_err(failed)?;
    if let Err(e) = tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await {
        // Asked outside the failed transaction: who holds the lock.
        drop(tx.rollback().await);
        return Err(crate::locks::waited_too_long(client, e, MIGRATION_LOCK, "migration", Some(lock_wait)).await);
    }
    tx.batch_execute("SET LOCAL lock_timeout = 0").await.map_err(failed)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(failed)?;
    let current: i32 =
        tx.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).await.map_err(failed)?.get(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found: current.into(), known: SCHEMA_VERSION.into() });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await.map_err(|e| {
            let hint = if *version == 4 && e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
                " (the search needs the pg_trgm extension: run CREATE EXTENSION pg_trgm; in this database as its owner or a superuser, as docs/team-mode.md says)"
            } else {
                ""
            };
            StoreError::Unavailable(format!("migration {version}: {}{hint}", db_error(&e)))
        })?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version]).await.map_err(failed)?;
        tracing::info!(version, "PostgreSQL schema migrated");
    }
    tx.commit().await.map_err(failed)
}

/// For a viewer, which never migrates: the schema must be there (a receiver made it) and
/// not newer than this program.
pub(crate) async fn check(client: &Client) -> Result<()> {
    let failed = |e: tokio_postgres::Error| StoreError::Unavailable(db_error(&e));
    let exists: bool =
        client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await.map_err(failed)?.get(0);
    let current: i32 = if exists {
        client.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[]).await.map_err(failed)?.get(0)
    } else {
        0
    };
    if current == 0 {
        return Err(StoreError::Unavailable(
            "this database holds no Calleague schema yet: start a receiver on it first (calleague-receiver serve --database)".into(),
        ));
    }
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found: current.into(), known: SCHEMA_VERSION.into() });
    }
    Ok(())
}
