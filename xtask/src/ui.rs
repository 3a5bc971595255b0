//! The front end: Node.js from the system, npm packages from the lock file, the build.

use std::path::PathBuf;
use std::process::Command;

use crate::{packages, step, workspace_root};

pub fn dir() -> PathBuf {
    workspace_root().join("ui")
}

fn node_major() -> Option<u32> {
    let out = Command::new("node").arg("--version").output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().trim_start_matches('v').split('.').next()?.parse().ok()
}

/// Node.js 18 or newer (Debian 12 ships 18), and npm.
pub fn ensure_node() -> Result<(), String> {
    if node_major().is_none() || Command::new("npm").arg("--version").output().is_err() {
        packages::ensure(&["nodejs", "npm"])?;
    }
    match node_major() {
        Some(v) if v >= 18 => Ok(()),
        Some(v) => Err(format!("Node.js {v} is too old: the front end needs Node.js 18 or newer")),
        None => Err("Node.js did not install".into()),
    }
}

/// `npm ci` when the installed packages are missing or older than the lock file.
pub fn ensure_packages() -> Result<(), String> {
    ensure_node()?;
    let lock = dir().join("package-lock.json");
    let marker = dir().join("node_modules").join(".package-lock.json");
    let fresh = match (
        std::fs::metadata(&lock).and_then(|m| m.modified()),
        std::fs::metadata(&marker).and_then(|m| m.modified()),
    ) {
        (Ok(lock), Ok(marker)) => marker >= lock,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    step("npm ci (ui)", Command::new("npm").current_dir(dir()).args(["ci", "--no-audit", "--no-fund"]))
}

pub fn build() -> Result<(), String> {
    ensure_packages()?;
    step("npm run build (ui)", Command::new("npm").current_dir(dir()).args(["run", "build"]))
}
