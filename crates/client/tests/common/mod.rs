//! The real `calleague-sim` binary for these tests, and a tiny scripted server for the
//! replies the simulator never gives (5xx, a bare array, a hanging reply).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const KEY: &str = "sk_client_test_90ab";

/// A binary of this workspace, built if a partial `cargo test -p` did not build it.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf(); // target/debug
    let path = dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo).args(["build", "--bin", name]).status().unwrap();
        assert!(status.success(), "cannot build {name}");
    }
    path
}

pub struct Sim {
    pub child: Child,
    pub url: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn spawn_sim(extra: &[&str]) -> Sim {
    let mut child = Command::new(workspace_bin("calleague-sim"))
        .args(["serve", "--bind", "127.0.0.1:0", "--key", KEY, "--allow-loopback-http"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let url = calleague_testkit::listening_url(&mut child).unwrap();
    Sim { child, url }
}
