//! The connection string, TLS to the server, and error messages that never show the
//! password.

use std::fmt;
use std::io::BufReader;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::tls_options::{take_tls_options, TlsOptions};

/// A PostgreSQL connection string (`postgres://user:password@host:port/db?sslmode=…` or
/// `host=… user=…`), parsed. Displays without its password.
///
/// TLS: `sslmode=verify-full` (and `require` and `verify-ca`, which are checked the same
/// way: rustls always checks the certificate's chain and name) encrypts and verifies the
/// server against the public roots, or against `sslrootcert=FILE` when given. To another
/// computer that is also what no `sslmode`, `prefer` and `allow` mean: without TLS the
/// driver answers a server's request for the password in clear, so anyone on the path
/// would read it. `sslmode=disable` to another computer is refused unless parsed with
/// [`DatabaseUrl::parse_allowing_plaintext`]. A database on this computer (loopback,
/// `localhost`, a Unix socket) is reached unencrypted unless TLS is asked for.
#[derive(Clone)]
pub struct DatabaseUrl {
    config: tokio_postgres::Config,
    tls: Option<Tls>,
}

/// tokio-postgres's own keepalive idle time, left in place when a string names none.
const DRIVER_KEEPALIVES_IDLE: std::time::Duration = std::time::Duration::from_secs(2 * 60 * 60);

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

    /// The same database, every session opened read-only (a viewer's).
    pub(crate) fn read_only(&self) -> DatabaseUrl {
        let mut url = self.clone();
        let options = self.config.get_options().unwrap_or_default();
        url.config.options(format!("{options} -c default_transaction_read_only=on").trim());
        url
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

    /// Parses and checks the string; `sslmode=disable` to another computer is refused (see
    /// [`DatabaseUrl::parse_allowing_plaintext`]).
    fn from_str(text: &str) -> Result<Self, String> {
        Self::parse(text, false)
    }
}

impl DatabaseUrl {
    /// Like `parse`, but `sslmode=disable` to another computer is taken: the user opted out
    /// of encryption in so many words (`--database-allow-plaintext`, the welcome form's box).
    /// Without TLS the password travels in clear when the server asks for it so.
    pub fn parse_allowing_plaintext(text: &str) -> Result<Self, String> {
        Self::parse(text, true)
    }

    fn parse(text: &str, allow_plaintext: bool) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the database URL is empty (expected postgres://user@host:port/database)".into());
        }
        // libpq's TLS options that tokio-postgres does not read (or reads differently) are
        // taken out here, found the way the driver finds every option (keys percent-decoded
        // too); the driver reads the rest.
        let TlsOptions { rest, mode, root_cert } = take_tls_options(text);
        let mut config = tokio_postgres::Config::from_str(&rest)
            // tokio-postgres's message can quote the string, password included: not shown.
            .map_err(|_| {
                "not a PostgreSQL connection string (expected postgres://user@host:port/database)".to_owned()
            })?;
        // Parsed once: had the driver found a TLS option this reading did not, it would now
        // hold a mode of its own. Refused rather than guessed.
        if config.get_ssl_mode() != SslMode::Prefer {
            return Err("the TLS options of the database URL read two ways (an sslmode written in an unusual form): write it as sslmode=verify-full".into());
        }
        if config.get_dbname().is_none() {
            return Err("the database URL names no database (postgres://user@host:port/DATABASE)".into());
        }
        if config.get_user().is_none() {
            return Err("the database URL names no user (postgres://USER@host:port/database)".into());
        }
        let this_computer = on_this_computer(&config);
        let encrypted = match mode.as_deref() {
            Some("require") | Some("verify-ca") | Some("verify-full") => true,
            // Another computer: verified TLS unless opted out in so many words.
            None | Some("prefer") | Some("allow") => !this_computer,
            Some("disable") if this_computer || allow_plaintext => false,
            Some("disable") => {
                return Err(format!(
                    "sslmode=disable to {} would send the password and every call unencrypted over the network: use TLS (sslmode=verify-full), or opt out of encryption explicitly",
                    host_of(&config)
                ))
            }
            Some(other) => {
                return Err(format!("sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"))
            }
        };
        if root_cert.is_some() && !encrypted {
            return Err("sslrootcert is given but sslmode does not ask for TLS: add sslmode=verify-full".into());
        }
        config.ssl_mode(if encrypted { SslMode::Require } else { SslMode::Disable });
        // A link that dies without a word (a NAT's table, a dropped route) is noticed:
        // TCP keepalives after 30 s idle, then every 10 s, three tries (the driver's default
        // waits two hours); connecting gives up after 10 s. The string's own values (as the
        // driver read them) win.
        if config.get_keepalives_idle() == DRIVER_KEEPALIVES_IDLE {
            config.keepalives_idle(std::time::Duration::from_secs(30));
        }
        if config.get_keepalives_interval().is_none() {
            config.keepalives_interval(std::time::Duration::from_secs(10));
        }
        if config.get_keepalives_retries().is_none() {
            config.keepalives_retries(3);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        let tls = encrypted.then(|| Tls { root_cert: root_cert.map(PathBuf::from) });
        Ok(Self { config, tls })
    }
}

/// Every host is this computer: a loopback address, `localhost` or a Unix socket.
fn on_this_computer(config: &tokio_postgres::Config) -> bool {
    let hosts = config.get_hosts();
    // No host: libpq's default, the local socket.
    hosts.iter().all(|host| match host {
        Host::Tcp(name) => {
            let name = name.trim_start_matches('[').trim_end_matches(']');
            name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    })
}

fn host_of(config: &tokio_postgres::Config) -> String {
    match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    }
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
        let root = err("postgres://u@localhost/db?sslrootcert=/etc/ca.pem");
        assert!(root.contains("sslmode=verify-full"), "{root}");

        let tls: DatabaseUrl =
            "postgres://u:pw@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x".parse().unwrap();
        assert!(tls.uses_tls());
        assert_eq!(tls.tls.as_ref().unwrap().root_cert.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
        assert_eq!(tls.config().get_application_name(), Some("x"));
        assert_eq!(tls.to_string(), "postgres://u@h:5432/db?sslmode=verify-full");
        let kv: DatabaseUrl = "host=h user=u dbname=db sslmode=require sslrootcert=/ca.pem".parse().unwrap();
        assert!(kv.uses_tls());
        let local: DatabaseUrl = "postgres://u@127.0.0.1/db".parse().unwrap();
        assert!(!local.uses_tls(), "this computer: unencrypted unless asked");
        let url: DatabaseUrl = "postgres://u:pw-secret@db.internal:6543/calleague?sslmode=verify-full".parse().unwrap();
        assert_eq!(url.to_string(), "postgres://u@db.internal:6543/calleague?sslmode=verify-full");
        assert_eq!(format!("{url:?}"), "DatabaseUrl(postgres://u@db.internal:6543/calleague?sslmode=verify-full)");
        assert!(url.has_password());
    }

    /// One reading of the string: keys and values percent-decoded as the driver decodes
    /// them, passwords holding what a URL must encode, quoted key=value values.
    #[test]
    fn the_tls_options_are_read_as_the_driver_reads_the_rest() {
        let tls = |text: &str| text.parse::<DatabaseUrl>().map(|u| u.uses_tls());
        // A percent-encoded key or value is the same option.
        for text in [
            "postgres://u@127.0.0.1/db?ssl%6Dode=require",
            "postgres://u@127.0.0.1/db?%73slmode=%72equire",
            "postgres://u@127.0.0.1/db?application_name=a&sslmode=require",
            "host=127.0.0.1 user=u dbname=db sslmode = 'require'",
        ] {
            assert_eq!(tls(text), Ok(true), "{text}");
        }
        // Passwords with ?, @, # and % (percent-encoded, as a URL requires): the query is
        // where the driver finds it, and the password reaches the driver whole.
        let url: DatabaseUrl = "postgres://u:p%3Fw%40r%23d%25x@127.0.0.1:5433/db?sslmode=require".parse().unwrap();
        assert!(url.uses_tls());
        assert_eq!(url.config().get_password(), Some("p?w@r#d%x".as_bytes()));
        assert_eq!(url.config().get_ports(), [5433]);
        // A raw ? inside the password (before the @): still the driver's reading.
        let raw: DatabaseUrl = "postgres://u:p?w@127.0.0.1/db?sslmode=require".parse().unwrap();
        assert_eq!((raw.uses_tls(), raw.config().get_password()), (true, Some("p?w".as_bytes())));
        let quoted: DatabaseUrl =
            r"host=127.0.0.1 user=u dbname=db password='it\'s a secret' sslmode=require".parse().unwrap();
        assert_eq!(quoted.config().get_password(), Some("it's a secret".as_bytes()));
        assert!(quoted.uses_tls());
        // An sslrootcert the driver would read but this reading did not is never silently
        // dropped: the driver refuses an option it does not know.
        assert!("postgres://u@127.0.0.1/db?sslrootcert%=x".parse::<DatabaseUrl>().is_err());
    }

    /// To another computer: verified TLS by default; plaintext only when opted out of.
    #[test]
    fn another_computer_gets_verified_tls_unless_the_user_opts_out() {
        for text in [
            "postgres://u@db.example.com/db",
            "postgres://u@db.example.com/db?sslmode=prefer",
            "postgres://u@10.0.0.5/db?sslmode=allow",
            "host=db.example.com user=u dbname=db",
        ] {
            let url: DatabaseUrl = text.parse().unwrap();
            assert!(url.uses_tls(), "{text}");
            assert!(url.to_string().ends_with("?sslmode=verify-full"), "shown as it is: {url}");
        }
        let refused = "postgres://u:pw-secret@db.example.com/db?sslmode=disable".parse::<DatabaseUrl>().unwrap_err();
        assert!(refused.contains("db.example.com") && refused.contains("unencrypted"), "{refused}");
        assert!(!refused.contains("pw-secret"));
        let opted_out =
            DatabaseUrl::parse_allowing_plaintext("postgres://u@db.example.com/db?sslmode=disable").unwrap();
        assert!(!opted_out.uses_tls());
        // This computer: plaintext by default, TLS when asked.
        for text in ["postgres://u@localhost/db", "postgres://u@[::1]/db", "host=/run/postgresql user=u dbname=db"] {
            assert!(!text.parse::<DatabaseUrl>().unwrap().uses_tls(), "{text}");
        }
        assert!("postgres://u@localhost/db?sslmode=verify-full".parse::<DatabaseUrl>().unwrap().uses_tls());
    }

    /// A link that dies silently is noticed in about a minute, not the driver's two hours;
    /// the string's own keepalive settings win.
    #[test]
    fn keepalives_and_a_connect_timeout_by_default() {
        let url: DatabaseUrl = "postgres://u@127.0.0.1/db".parse().unwrap();
        let config = url.config();
        assert_eq!(config.get_keepalives_idle(), std::time::Duration::from_secs(30));
        assert_eq!(config.get_keepalives_interval(), Some(std::time::Duration::from_secs(10)));
        assert_eq!(config.get_keepalives_retries(), Some(3));
        assert_eq!(config.get_connect_timeout(), Some(&std::time::Duration::from_secs(10)));
        let own: DatabaseUrl =
            "postgres://u@127.0.0.1/db?keepalives_idle=5&keepalives_interval=2&keepalives_retries=9&connect_timeout=3"
                .parse()
                .unwrap();
        let config = own.config();
        assert_eq!(config.get_keepalives_idle(), std::time::Duration::from_secs(5));
        assert_eq!(config.get_keepalives_interval(), Some(std::time::Duration::from_secs(2)));
        assert_eq!(config.get_keepalives_retries(), Some(9));
        assert_eq!(config.get_connect_timeout(), Some(&std::time::Duration::from_secs(3)));
    }
}
