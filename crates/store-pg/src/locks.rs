//! A fleet lock waited for too long: who holds it, in words an operator can act on. Any
//! role can take an advisory lock (no privilege is needed), so a viewer's session, a
//! forgotten psql or a hung receiver can hold one; the waits are bounded and the holder
//! named by its process id.

use calleague_store::StoreError;
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use crate::config::db_error;

/// The error for a lock that was not had within `wait` (or failed otherwise).
pub(crate) async fn waited_too_long(
    client: &Client,
    error: tokio_postgres::Error,
    key: i64,
    what: &str,
    wait: Option<std::time::Duration>,
) -> StoreError {
    if error.code() != Some(&SqlState::LOCK_NOT_AVAILABLE) {
        return StoreError::Unavailable(db_error(&error));
    }
    let waited = wait.map_or_else(String::new, |w| format!(" for {} s", w.as_secs()));
    let (holder, end) = match holder(client, key).await {
        Some((pid, holder)) => (holder, format!("SELECT pg_terminate_backend({pid})")),
        None => ("another session".into(), "pg_terminate_backend".into()),
    };
    StoreError::Unavailable(format!(
        "the {what} lock was held by {holder}{waited}: if that is not a receiver at work, end it with {end}"
    ))
}

/// The holder's pid and "pid 4242 (user calleague_viewer, application psql, from 10.0.0.7)".
async fn holder(client: &Client, key: i64) -> Option<(i32, String)> {
    // An advisory lock on a bigint key: its high half in classid, its low half in objid.
    let (high, low) = ((key >> 32) as u32, key as u32);
    let row = client
        .query_opt(
            "SELECT a.pid, coalesce(a.usename::text, ''), coalesce(a.application_name, ''), coalesce(host(a.client_addr), '')
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
               AND l.objsubid = 1
             LIMIT 1",
            &[&i64::from(high), &i64::from(low)],
        )
        .await
        .ok()??;
    let (pid, user, application, from): (i32, String, String, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let mut about = vec![format!("user {user}")];
    if !application.is_empty() {
        about.push(format!("application {application}"));
    }
    if !from.is_empty() {
        about.push(format!("from {from}"));
    }
    Some((pid, format!("pid {pid} ({})", about.join(", "))))
}
