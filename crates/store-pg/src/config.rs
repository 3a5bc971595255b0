//! The connection string, and error messages that never show its password.

use std::fmt;
use std::str::FromStr;

use tokio_postgres::config::Host;

/// A PostgreSQL connection string (`postgres://user:password@host:port/db?sslmode=…` or
/// `host=… user=…`), parsed. Displays without its password.
#[derive(Clone)]
pub struct DatabaseUrl {
    config: tokio_postgres::Config,
}

impl DatabaseUrl {
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    pub fn has_password(&self) -> bool {
        self.config.get_password().is_some()
    }

    /// The password from elsewhere than the string (e.g. `PGPASSWORD`), as libpq would.
    pub fn set_password(&mut self, password: &str) {
        self.config.password(password);
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the database URL is empty (expected postgres://user@host:port/database)".into());
        }
        if text.contains("sslmode=verify-") {
            return Err(
                "TLS to the database (sslmode=verify-ca/verify-full) is not supported yet: see docs/team-mode.md"
                    .into(),
            );
        }
        let config = tokio_postgres::Config::from_str(text)
            // tokio-postgres's message can quote the string, password included: not shown.
            .map_err(|_| {
                "not a PostgreSQL connection string (expected postgres://user@host:port/database)".to_owned()
            })?;
        if config.get_dbname().is_none() {
            return Err("the database URL names no database (postgres://user@host:port/DATABASE)".into());
        }
        if config.get_user().is_none() {
            return Err("the database URL names no user (postgres://USER@host:port/database)".into());
        }
        Ok(Self { config })
    }
}

/// `postgres://user@host:port/database`, never the password.
pub fn redacted(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("postgres://{}@{host}:{port}/{}", config.get_user().unwrap_or(""), config.get_dbname().unwrap_or(""))
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redacted(&self.config))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// A database error as one line: the server's own message when it sent one.
pub(crate) fn db_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None if e.is_closed() => "the connection to PostgreSQL was closed".into(),
        None => e.to_string(),
    }
}

/// Why no connection could be had from the pool.
pub(crate) fn pool_error(e: &deadpool_postgres::PoolError) -> String {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Timeout(_) => "no connection to PostgreSQL within the time allowed".into(),
        PoolError::Backend(e) => format!("PostgreSQL: {}", db_error(e)),
        other => format!("PostgreSQL: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_string_gets_a_clear_error_without_its_password() {
        let err = |text: &str| text.parse::<DatabaseUrl>().expect_err("refused");
        assert!(err("").contains("empty"));
        assert!(err("postgres://u:pw-secret@h").contains("names no database"));
        let bad = err("postgres://u:pw-secret@h:port/db");
        assert!(bad.contains("not a PostgreSQL connection string") && !bad.contains("pw-secret"), "{bad}");
        let tls = err("postgres://u:pw-secret@h/db?sslmode=verify-full");
        assert!(tls.contains("TLS") && !tls.contains("pw-secret"), "{tls}");
        let url: DatabaseUrl = "postgres://u:pw-secret@db.internal:6543/calleague".parse().unwrap();
        assert_eq!(url.to_string(), "postgres://u@db.internal:6543/calleague");
        assert_eq!(format!("{url:?}"), "DatabaseUrl(postgres://u@db.internal:6543/calleague)");
        assert!(url.has_password());
    }
}
