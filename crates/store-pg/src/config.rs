//! The connection string, TLS to the server, and error messages that never show the
//! password.

use std::fmt;
use std::io::BufReader;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

/// A PostgreSQL connection string (`postgres://user:password@host:port/db?sslmode=…` or
/// `host=… user=…`), parsed. Displays without its password.
///
/// TLS: `sslmode=verify-full` (and `require` and `verify-ca`, which are checked the same
/// way: rustls always checks the certificate's chain and name) encrypts and verifies the
/// server against the public roots, or against `sslrootcert=FILE` when given; `prefer`
/// (the default) and `disable` connect unencrypted, for a database on the same host or a
/// private network.
#[derive(Clone)]
pub struct DatabaseUrl {
    config: tokio_postgres::Config,
    tls: Option<Tls>,
}

/// How the server's certificate is checked.
#[derive(Clone)]
struct Tls {
    /// The CA certificates (PEM) to trust instead of the public roots.
    root_cert: Option<PathBuf>,
}

impl DatabaseUrl {
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// Whether connections are encrypted (and the server verified).
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The TLS connector for this server, or `None` to connect unencrypted.
    pub(crate) fn connector(&self) -> Result<Option<MakeRustlsConnect>, String> {
        let Some(tls) = &self.tls else { return Ok(None) };
        let mut roots = rustls::RootCertStore::empty();
        match &tls.root_cert {
            Some(path) => {
                let file = std::fs::File::open(path).map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                let certs = rustls_pemfile::certs(&mut BufReader::new(file))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                if certs.is_empty() {
                    return Err(format!("sslrootcert {}: no PEM certificate in it", path.display()));
                }
                for cert in certs {
                    roots.add(cert).map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Some(MakeRustlsConnect::new(config)))
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
        // libpq's TLS options that tokio-postgres does not read: taken out here.
        let (text, ssl_mode, root_cert) = take_tls_options(text);
        let mut config = tokio_postgres::Config::from_str(&text)
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
        let verified = match ssl_mode.as_deref() {
            None | Some("prefer") | Some("disable") | Some("allow") => false,
            Some("require") | Some("verify-ca") | Some("verify-full") => true,
            Some(other) => {
                return Err(format!("sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"))
            }
        };
        if root_cert.is_some() && !verified {
            return Err("sslrootcert is given but sslmode does not ask for TLS: add sslmode=verify-full".into());
        }
        config.ssl_mode(if verified { SslMode::Require } else { SslMode::Disable });
        let tls = verified.then(|| Tls { root_cert: root_cert.map(PathBuf::from) });
        Ok(Self { config, tls })
    }
}

/// Takes `sslmode` and `sslrootcert` out of a URL's query or a key=value string.
fn take_tls_options(text: &str) -> (String, Option<String>, Option<String>) {
    let (mut mode, mut root) = (None, None);
    let mut take = |key: &str, value: &str| match key {
        "sslmode" => {
            mode = Some(value.to_owned());
            true
        }
        "sslrootcert" => {
            root = Some(value.to_owned());
            true
        }
        _ => false,
    };
    let rest = if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        match text.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|pair| {
                        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                        !take(key, &percent_decoded(value))
                    })
                    .collect();
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => text.to_owned(),
        }
    } else {
        text.split_whitespace()
            .filter(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                !take(key.trim(), value.trim().trim_matches('\''))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    (rest, mode, root)
}

/// `%2F` and the like in a URL's query value (a file path, typically).
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(byte) =
                std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `postgres://user@host:port/database`, never the password.
fn redacted(config: &tokio_postgres::Config) -> String {
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
        f.write_str(&redacted(&self.config))?;
        if self.tls.is_some() {
            f.write_str("?sslmode=verify-full")?;
        }
        Ok(())
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
        let mode = err("postgres://u:pw-secret@h/db?sslmode=sometimes");
        assert!(mode.contains("sslmode=sometimes") && !mode.contains("pw-secret"), "{mode}");
        let root = err("postgres://u@h/db?sslrootcert=/etc/ca.pem");
        assert!(root.contains("sslmode=verify-full"), "{root}");

        let tls: DatabaseUrl =
            "postgres://u:pw@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x".parse().unwrap();
        assert!(tls.uses_tls());
        assert_eq!(tls.tls.as_ref().unwrap().root_cert.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        assert_eq!(tls.config().get_application_name(), Some("x"));
        assert_eq!(tls.to_string(), "postgres://u@h:5432/db?sslmode=verify-full");
        let kv: DatabaseUrl = "host=h user=u dbname=db sslmode=require sslrootcert=/ca.pem".parse().unwrap();
        assert!(kv.uses_tls());
        let plain: DatabaseUrl = "postgres://u@h/db".parse().unwrap();
        assert!(!plain.uses_tls());
        let url: DatabaseUrl = "postgres://u:pw-secret@db.internal:6543/calleague".parse().unwrap();
        assert_eq!(url.to_string(), "postgres://u@db.internal:6543/calleague");
        assert_eq!(format!("{url:?}"), "DatabaseUrl(postgres://u@db.internal:6543/calleague)");
        assert!(url.has_password());
    }
}
