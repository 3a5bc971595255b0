//! Checks for Debian packages and installs the missing ones.

use std::process::Command;

/// What building the workspace needs: a C compiler for SQLite and ring, and the libraries
/// the Tauri app links against.
pub const BUILD: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    // The app plays recordings through WebKitGTK, which uses GStreamer.
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
];

/// What the Rust tests add: strace, with which a fault test counts the fsyncs before each
/// acknowledgement; PostgreSQL's server, which team mode's tests start a throwaway cluster of.
pub const TEST: &[&str] = &[
    "strace",
    "postgresql",
    // dbus-daemon and dbus-send: the engine's wake test sends logind's and NetworkManager's
    // signals on a bus of its own.
    "dbus",
];

/// What the package test's service check adds: openssl makes the service's TLS
/// certificate, curl sends it https requests.
pub const SERVICE_CHECK: &[&str] = &["openssl", "curl"];

/// What the benchmarks add: wrk, the external HTTP load generator of `bench ingest`.
pub const BENCH: &[&str] = &["wrk"];

/// What the end-to-end tests add: a virtual display, a private D-Bus session with a keyring
/// and a notification server, and the WebDriver server for WebKitGTK.
pub const E2E: &[&str] = &[
    "postgresql",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "dbus",
    "dbus-x11",
    "gnome-keyring",
    "libsecret-tools",
    "python3-dbusmock",
    "xdotool",
    // xprop: the package test reads the installed app's window class.
    "x11-utils",
];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

pub fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Makes sure every package in `wanted` is installed.
pub fn ensure(wanted: &[&str]) -> Result<(), String> {
    if !have("dpkg-query") || !have("apt-get") {
        return Err(format!(
            "this needs a Debian or Ubuntu system (apt-get and dpkg). On another system install the equivalents of: {}",
            wanted.join(" ")
        ));
    }
    let missing: Vec<&str> = wanted.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("==> installing missing system packages: {}", missing.join(" "));
    let sudo = if is_root() {
        None
    } else if have("sudo") {
        eprintln!("    (through sudo, which may ask for your password)");
        Some("sudo")
    } else {
        return Err(format!("not root and no sudo: install these packages yourself: {}", missing.join(" ")));
    };
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut command = match sudo {
            Some(sudo) => {
                let mut c = Command::new(sudo);
                c.arg("apt-get");
                c
            }
            None => Command::new("apt-get"),
        };
        command.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        let status = command.status().map_err(|e| format!("cannot run apt-get: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("apt-get {} failed ({status})", args.join(" ")))
        }
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)?;
    let still: Vec<&str> = missing.iter().copied().filter(|p| !installed(p)).collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!("these packages are still missing after apt-get: {}", still.join(" ")))
    }
}
