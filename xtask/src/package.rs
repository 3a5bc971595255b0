//! `cargo xtask bundle`: the release `.deb` (the app, the headless receiver and the
//! simulator, a systemd unit, icons), built with Tauri's bundler.
//!
//! `cargo xtask package-test`: installs that package on this machine with apt-get, opens
//! the installed app under Xvfb over WebDriver, runs the installed `calleague-receiver`
//! (and its systemd unit under a real systemd: `systemd.rs`), removes the package and checks that nothing of it is left in /usr. Root only: it
//! installs into the system. `.ci/run` runs it after the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, packages, step, target_dir, workspace_root};

/// The package's name, as dpkg knows it (Tauri derives it from the product name).
const PACKAGE_NAME: &str = "calleague-monitor";

pub fn bundle() -> Result<PathBuf, String> {
    packages::ensure(packages::BUILD)?;
    crate::ui::build()?;
    step(
        "cargo build --release (the headless receiver and the simulator, for /usr/bin)",
        cargo().args(["build", "--release", "--locked", "-p", "calleague-headless", "-p", "calleague-sim"]),
    )?;
    let release = target_dir().join("release");
    let extra = |name: &str| release.join(name).display().to_string();
    // Paths that depend on this machine's target folder, merged into tauri.conf.json.
    let config = format!(
        r#"{{"build":{{"beforeBuildCommand":""}},"bundle":{{"linux":{{"deb":{{"files":{{"/usr/bin/calleague-receiver":{receiver:?},"/usr/bin/calleague-sim":{sim:?}}}}}}}}}}}"#,
        receiver = extra("calleague-receiver"),
        sim = extra("calleague-sim"),
    );
    let out_dir = release.join("bundle").join("deb");
    let _ = std::fs::remove_dir_all(&out_dir);
    step(
        "tauri build --bundles deb (the app in release, then the package)",
        Command::new(crate::ui::dir().join("node_modules/.bin/tauri"))
            .current_dir(workspace_root().join("src-tauri"))
            .args(["build", "--bundles", "deb", "--ci", "--config", &config])
            .env("CARGO_TARGET_DIR", target_dir()),
    )?;
    let deb = std::fs::read_dir(&out_dir)
        .map_err(|e| format!("{}: {e}", out_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| format!("no .deb in {}", out_dir.display()))?;
    let size = std::fs::metadata(&deb).map(|m| m.len()).unwrap_or(0);
    eprintln!("\n==> {} ({:.1} MB)", deb.display(), size as f64 / 1e6);
    Ok(deb)
}

pub fn test() -> Result<(), String> {
    if !packages::is_root() {
        return Err("the package test installs into /usr: run it as root (CI does)".into());
    }
    let deb = bundle()?;
    packages::ensure(packages::E2E)?;
    crate::e2e::ensure_tauri_driver()?;
    // A leftover from an earlier run would hide what this install brings.
    if installed_files().is_ok() {
        step("apt-get remove (a leftover install)", Command::new("apt-get").args(["remove", "-y", PACKAGE_NAME]))?;
    }
    step(
        "apt-get install ./the.deb (its dependencies resolved by apt)",
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .arg(&deb)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    let installed = installed_files()?;
    let owned = installed_paths()?;
    let result = check_installed(&installed);
    step(
        "apt-get remove calleague-monitor",
        Command::new("apt-get").args(["remove", "-y", PACKAGE_NAME]).env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    result?;
    // Its files, and the folders that are its own (shared ones like /usr/bin stay).
    let left: Vec<&PathBuf> = owned
        .iter()
        .filter(|p| p.starts_with("/usr") && p.exists())
        .filter(|p| p.is_file() || p.to_string_lossy().contains("calleague"))
        .collect();
    if !left.is_empty() {
        return Err(format!("left in /usr after removal: {left:?}"));
    }
    eprintln!(
        "\n==> removed: none of the package's {} files, nor a folder of its own, is left in /usr",
        installed.len()
    );
    Ok(())
}

/// Every path the installed package lists (files and folders), from dpkg.
fn installed_paths() -> Result<Vec<PathBuf>, String> {
    let out = Command::new("dpkg").args(["-L", PACKAGE_NAME]).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("dpkg -L {PACKAGE_NAME}: the package is not installed"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(PathBuf::from).collect())
}

/// The files (not folders) the installed package owns.
fn installed_files() -> Result<Vec<PathBuf>, String> {
    Ok(installed_paths()?.into_iter().filter(|p| p.is_file()).collect())
}

fn check_installed(installed: &[PathBuf]) -> Result<(), String> {
    eprintln!("\n==> the package installed {} files:", installed.len());
    for path in installed {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        eprintln!("    {:>10}  {}", size, path.display());
    }
    for wanted in [
        "/usr/bin/calleague-monitor",
        "/usr/bin/calleague-receiver",
        "/usr/bin/calleague-sim",
        "/usr/share/applications/Calleague Monitor.desktop",
        "/usr/lib/systemd/system/calleague-receiver.service",
    ] {
        if !installed.iter().any(|p| p == Path::new(wanted)) {
            return Err(format!("the package has no {wanted}"));
        }
    }
    // The unit as systemd reads it: a typo in a directive fails here, not on a server.
    let verify = Command::new("systemd-analyze")
        .args(["verify", "/usr/lib/systemd/system/calleague-receiver.service"])
        .output()
        .map_err(|e| format!("systemd-analyze: {e}"))?;
    let complaints = String::from_utf8_lossy(&verify.stderr).trim().to_owned();
    if !verify.status.success() || !complaints.is_empty() {
        return Err(format!("systemd-analyze verify calleague-receiver.service: {complaints}"));
    }
    eprintln!("\n==> systemd-analyze verify calleague-receiver.service: no complaints");
    let version = Command::new("/usr/bin/calleague-receiver").arg("--version").output().map_err(|e| e.to_string())?;
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    if !version.starts_with("calleague-receiver ") {
        return Err(format!("calleague-receiver --version said {version:?}"));
    }
    eprintln!("\n==> /usr/bin/calleague-receiver --version: {version}");
    crate::systemd::check_installed_service()?;
    let shots = target_dir().join("package-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let mut command = crate::e2e::headless("release", &shots, 600);
    command
        .env("CALLEAGUE_APP", "/usr/bin/calleague-monitor")
        .env("CALLEAGUE_SIM", "/usr/bin/calleague-sim")
        .env("E2E_ONLY", "./installed.check.mjs");
    step("the installed app under Xvfb over WebDriver", &mut command)?;
    eprintln!("\n==> screenshot of the installed app: {}", shots.join("installed-app.png").display());
    Ok(())
}
