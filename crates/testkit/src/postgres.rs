//! A throwaway PostgreSQL server for tests: Debian's own binaries, a fresh cluster in a
//! temporary directory, on a free loopback port, stopped and removed when dropped.
//!
//! `initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user
//! (created by Debian's package) and every server command runs through `runuser`. No
//! server found is an error, never a skipped test: `cargo xtask test` installs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use std::io::{Error, Result};

/// A running test cluster. Its superuser is `postgres`, trusted on loopback.
pub struct TestPostgres {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    as_postgres: bool,
    /// More `-c name=value` server options (TLS).
    extra: String,
}

/// The newest installed server's programs (`/usr/lib/postgresql/N/bin`), else `initdb`
/// on the PATH.
fn server_bin() -> Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let found = Command::new("sh").args(["-c", "command -v initdb"]).output()?;
    let path = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    if found.status.success() && !path.is_empty() {
        return Ok(Path::new(&path).parent().unwrap_or(Path::new("/")).to_path_buf());
    }
    Err(Error::other(
        "no PostgreSQL server found (looked in /usr/lib/postgresql/*/bin and the PATH): install Debian's \
         `postgresql` package (cargo xtask test does)",
    ))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// A directory no other cluster uses. Named by the process and a counter, and created with
/// `create_dir`, which fails on one that exists: two tests of one process once got the
/// same name from the clock (same nanosecond) and the second initdb found the first's data.
fn fresh_dir() -> Result<PathBuf> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("calleague-pg-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            // Left by an earlier process that had this one's id.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn checked(what: &str, output: Output) -> Result<Output> {
    if output.status.success() {
        Ok(output)
    } else {
        Err(Error::other(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

impl TestPostgres {
    /// Creates and starts a cluster; returns once it accepts connections.
    pub fn start() -> Result<Self> {
        Self::start_with(None)
    }

    /// The same, serving TLS with this certificate and key (PEM) besides plain connections.
    pub fn start_with_tls(cert_pem: &str, key_pem: &str) -> Result<Self> {
        Self::start_with(Some((cert_pem, key_pem)))
    }

    fn start_with(tls: Option<(&str, &str)>) -> Result<Self> {
        let bin = server_bin()?;
        let as_postgres = is_root();
        let base = fresh_dir()?;
        let mut pg = Self { bin, dir: base, port: free_port()?, as_postgres, extra: String::new() };
        if let Some((cert, key)) = tls {
            use std::os::unix::fs::PermissionsExt;
            let (cert_path, key_path) = (pg.dir.join("server.crt"), pg.dir.join("server.key"));
            std::fs::write(&cert_path, cert)?;
            std::fs::write(&key_path, key)?;
            // The server refuses a key others can read.
            std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))?;
            if as_postgres {
                checked(
                    "chown postgres",
                    Command::new("chown").arg("postgres:postgres").arg(&cert_path).arg(&key_path).output()?,
                )?;
            }
            pg.extra =
                format!(" -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}", cert_path.display(), key_path.display());
        }
        if as_postgres {
            checked("chown postgres", Command::new("chown").args(["postgres:postgres"]).arg(&pg.dir).output()?)?;
        }
        checked(
            "initdb",
            pg.command("initdb")
                .args(["-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "-D"])
                .arg(pg.data())
                .output()?,
        )?;
        // The superuser (the tests' own set-up) needs no password; every other role must
        // give its own, as on a real server: a wrong one is refused.
        std::fs::write(
            pg.data().join("pg_hba.conf"),
            "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
        )?;
        pg.start_server()?;
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A server program, run as `postgres` when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn start_server(&self) -> Result<()> {
        // Loopback only, the socket in our directory (not /var/run/postgresql), fsync on as
        // in production: acknowledgements must mean what they say in tests too.
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={}{}",
            self.port,
            self.dir.display(),
            self.extra
        );
        checked(
            "pg_ctl start",
            self.command("pg_ctl")
                .args(["-w", "-t", "60", "-D"])
                .arg(self.data())
                .args(["-l"])
                .arg(self.dir.join("server.log"))
                .args(["-o", &options, "start"])
                .output()?,
        )?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return Err(Error::other(format!("PostgreSQL did not listen on port {} within 30 s", self.port)));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Stops the server at once (`immediate`: like a crash, recovery at the next start).
    pub fn stop(&self) -> Result<()> {
        checked(
            "pg_ctl stop",
            self.command("pg_ctl").args(["-w", "-m", "immediate", "-D"]).arg(self.data()).arg("stop").output()?,
        )
        .map(|_| ())
    }

    /// Starts the stopped server again on the same port.
    pub fn restart(&self) -> Result<()> {
        self.start_server()
    }

    /// A connection string for the superuser on database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL as the superuser with psql (database `postgres`), e.g. to create a
    /// database or a role; returns psql's output.
    pub fn psql(&self, db: &str, sql: &str) -> Result<String> {
        let psql = self.bin.join("psql");
        let psql = if psql.exists() { psql } else { PathBuf::from("psql") };
        let out = checked(
            "psql",
            Command::new(psql)
                .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres"])
                .args(["-p", &self.port.to_string(), "-d", db, "-c", sql])
                .output()?,
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// A new empty database; returns its connection string.
    pub fn create_database(&self, name: &str) -> Result<String> {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""))?;
        Ok(self.url(name))
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["-w", "-m", "immediate", "-D"]).arg(self.data()).arg("stop").output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
