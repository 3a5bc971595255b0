//! What the receiver's end-to-end tests share: the two binaries, their processes, and the
//! simulator's admin routes.
#![allow(dead_code)] // each test file uses its own part

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use calleague_testkit::WatchedProcess;
use serde_json::{json, Value};

pub const RECEIVER: &str = env!("CARGO_BIN_EXE_calleague-receiver");
pub const KEY: &str = "sk_receiver_test_d00d";

pub fn sim_bin() -> PathBuf {
    calleague_testkit::workspace_bin("calleague-sim", "calleague-sim")
}

pub type Proc = WatchedProcess;

pub fn spawn(program: &Path, args: &[&str]) -> Proc {
    let mut command = Command::new(program);
    command.args(args).env("CALLEAGUE_API_KEY", KEY).env_remove("CALLEAGUE_API_BASE");
    WatchedProcess::spawn(command).unwrap()
}

pub fn stop(mut proc: Proc) {
    assert!(Command::new("kill").args(["-TERM", &proc.child.id().to_string()]).status().unwrap().success());
    let status = proc.child.wait().unwrap();
    assert!(status.success());
}

pub fn receiver_cli(args: &[&str]) -> std::process::Output {
    Command::new(RECEIVER).args(args).env("CALLEAGUE_API_KEY", KEY).env_remove("CALLEAGUE_API_BASE").output().unwrap()
}

pub async fn sim_get(sim: &str, path: &str) -> Value {
    reqwest::Client::new().get(format!("{sim}{path}")).bearer_auth(KEY).send().await.unwrap().json().await.unwrap()
}

pub async fn play(sim: &str, calls: u32) {
    let reply = reqwest::Client::new()
        .post(format!("{sim}/sim/calls"))
        .bearer_auth(KEY)
        .json(&json!({"calls": calls, "rate": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 202);
    for _ in 0..600 {
        if sim_get(sim, "/sim/status").await["idle"] == true {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the simulator did not settle");
}

pub fn export_calls(db: &Path) -> Vec<Value> {
    let out = receiver_cli(&["export", "--db", db.to_str().unwrap(), "--what", "calls"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The simulator at 200 times speed, giving a delivery up after 2 simulated seconds: only
/// catch-up can bring the calls made while the receiver is down.
pub fn spawn_sim_that_gives_up(extra: &[&str]) -> Proc {
    let mut args = vec!["serve", "--bind", "127.0.0.1:0", "--key", KEY, "--allow-loopback-http"];
    args.extend(["--time-scale", "200", "--retry-window", "2"]);
    args.extend(extra);
    spawn(&sim_bin(), &args)
}

/// Registers `receiver` for `events` with the simulator, through the CLI.
pub fn subscribe(sim: &str, receiver: &str, events: &str) {
    let created = receiver_cli(&[
        "webhooks",
        "create",
        "--api-base",
        sim,
        "--allow-loopback-http",
        "--url",
        receiver,
        "--events",
        events,
    ]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One POST of `body` as Calleague sends it, on a connection of its own; the reply's status
/// (0 when none came).
pub fn post(url: &str, body: &str) -> u16 {
    let host = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "POST /hooks/calleague HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
