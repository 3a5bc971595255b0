//! `calleague-receiver serve --forward-to`: the process forwards what it stores, and a
//! kill -9 with requests in flight loses none of them (they are sent again after the
//! restart: at least once).

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use calleague_testkit::Handler;
use common::{post, KEY, RECEIVER};

/// `serve` on `db` with `extra` arguments, once it listens: the process and its URL.
fn serve(db: &std::path::Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(RECEIVER)
        .args(["serve", "--db"])
        .arg(db)
        .args(["--bind", "127.0.0.1:0"])
        .args(extra)
        .env("CALLEAGUE_API_KEY", KEY)
        .env_remove("CALLEAGUE_API_BASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = calleague_testkit::listening_url(&mut child).unwrap();
    (child, url)
}

/// One POST as Calleague sends it, on a connection of its own; the reply's status.
fn deliver(url: &str, id: &str) -> u16 {
    let body = format!(
        r#"{{"event":"call.completed","deliveryId":"{id}","occurredAt":"2026-12-02T10:00:00Z","data":{{"callId":"c_{id}"}}}}"#
    );
    post(url, &body)
}

#[test]
fn kill_9_with_requests_in_flight_then_a_restart_forwards_every_acknowledged_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let handler = Handler::start(true);
    let (mut child, url) = serve(&db, &["--forward-to", &handler.url(), "--forward-timeout", "60s"]);
    let sent: Vec<String> = (0..40).map(|i| format!("dl_kill_{i:02}")).collect();
    for id in &sent {
        // The handler holds every request it gets: acknowledgements do not wait for it.
        assert_eq!(deliver(&url, id), 200, "{id}");
    }
    std::thread::sleep(Duration::from_millis(800));
    assert!(handler.delivery_ids().is_empty(), "a hanging handler answered nothing");
    assert!(Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap().success());
    let _ = child.wait();

    // The handler answers now; a new process on the same database sends what was owed.
    handler.hang.store(false, Ordering::SeqCst);
    let (mut child, _url) = serve(&db, &["--forward-to", &handler.url(), "--forward-timeout", "60s"]);
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let got: BTreeSet<String> = handler.delivery_ids().into_iter().collect();
        if got.len() == sent.len() {
            assert_eq!(got, sent.iter().cloned().collect::<BTreeSet<_>>());
            break;
        }
        assert!(Instant::now() < until, "after the restart the handler got {} of {}", got.len(), sent.len());
        std::thread::sleep(Duration::from_millis(100));
    }
    // As Calleague sends them: the key as Bearer token, the attempt numbered.
    let received = handler.received();
    let header =
        |headers: &[(String, String)], name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert!(received.iter().all(|(h, _)| header(h, "authorization") == Some(format!("Bearer {KEY}"))));
    assert!(received.iter().all(|(h, _)| header(h, "calleague-monitor-attempt") == Some("1".into())));
    assert!(received.iter().all(|(h, _)| header(h, "host") == Some(format!("127.0.0.1:{}", handler.port))));
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_forward_target_over_plain_http_to_another_computer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    for (target, says) in [
        ("http://example.com/hooks", "Plain http is only for this computer"),
        ("call.faild=http://localhost:3000/hooks", "call.faild"),
    ] {
        let out = common::receiver_cli(&["serve", "--db", db.to_str().unwrap(), "--forward-to", target]);
        assert!(!out.status.success(), "{target} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{target}: {stderr}");
    }
    assert!(!db.exists(), "nothing was started");
}

fn cli(args: &[&str]) -> (bool, String, String) {
    let out = common::receiver_cli(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn replay_and_trigger_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let db_arg = db.to_str().unwrap();
    let (mut child, url) = serve(&db, &[]);
    let failed = r#"{"event":"call.failed","deliveryId":"dl_cli_failed","occurredAt":"2026-12-02T10:00:00Z","data":{"callId":"c_cli","agentId":"ag_cli","endedReason":"no-answer"}}"#;
    assert_eq!(post(&url, failed), 200);
    assert_eq!(deliver(&url, "dl_cli_done"), 200);

    // trigger, to this receiver: stored like any delivery.
    let (ok, made, stderr) = cli(&["trigger", "call.completed", "--to", &url, "--set", "endedReason=voicemail"]);
    assert!(ok, "{stderr}");
    let made: serde_json::Value = serde_json::from_str(made.trim()).unwrap();
    assert_eq!(made["data"]["endedReason"], "voicemail");
    assert!(stderr.contains("200"), "{stderr}");
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
    let exported = common::export_calls(&db);
    assert_eq!(exported.len(), 3, "the made-up call is stored: {exported:?}");

    let handler = Handler::start(false);
    // One delivery by its deliveryId.
    let (ok, out, stderr) = cli(&["replay", "--db", db_arg, "--to", &handler.url(), "--delivery", "dl_cli_failed"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        out.trim(),
        format!(
            "dl_cli_failed call.failed → 127.0.0.1:{} 200 in {} ms",
            handler.port,
            out.trim().rsplit(' ').nth(1).unwrap()
        )
    );
    assert_eq!(handler.delivery_ids(), ["dl_cli_failed"]);
    let received = handler.received();
    assert_eq!(received[0].1, failed.as_bytes(), "the stored body");
    assert!(received[0].0.contains(&("calleague-monitor-replay".into(), "1".into())));

    // Everything received in the last hour of one event; the handler refusing: exit 1.
    handler.status.store(500, Ordering::SeqCst);
    let (ok, out, stderr) =
        cli(&["replay", "--db", db_arg, "--to", &handler.url(), "--since", "1h", "--event", "call.completed"]);
    assert!(!ok, "a 500 is a failure");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.lines().all(|l| l.contains("call.completed") && l.contains(" 500 in ")), "{out}");
    assert!(stderr.contains("2 of 2 were not answered 2xx"), "{stderr}");

    // Those not answered, again, with the handler fixed.
    handler.status.store(200, Ordering::SeqCst);
    let (ok, out, stderr) = cli(&["replay", "--db", db_arg, "--to", &handler.url(), "--since", "1h", "--not-answered"]);
    assert!(ok, "{stderr}");
    assert_eq!(out.lines().count(), 2, "only the two refused: {out}");
    let (ok, _, stderr) = cli(&["replay", "--db", db_arg, "--to", &handler.url(), "--since", "1h", "--not-answered"]);
    assert!(ok && stderr.contains("nothing to replay"), "{stderr}");

    // trigger, to a handler, its values from the newest real call.failed.
    let (ok, made, stderr) =
        cli(&["trigger", "call.failed", "--to", &handler.url(), "--db", db_arg, "--set", "metadata.campaign=spring"]);
    assert!(ok, "{stderr}");
    let body = handler.received().last().unwrap().1.clone();
    assert_eq!(body, made.trim().as_bytes());
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["data"]["agentId"], "ag_cli");
    assert_eq!(body["data"]["metadata"]["campaign"], "spring");

    for (args, says) in [
        (vec!["replay", "--db", db_arg, "--to", "http://example.com/x", "--delivery", "dl_cli_failed"], "Plain http"),
        (vec!["replay", "--db", db_arg, "--to", &handler.url(), "--delivery", "dl_nope"], "no delivery dl_nope"),
        (vec!["trigger", "call.exploded", "--to", &handler.url()], "call.exploded"),
        (vec!["trigger", "call.failed", "--to", &handler.url(), "--set", "novalue"], "field=value"),
    ] {
        let (ok, _, stderr) = cli(&args);
        assert!(!ok && stderr.contains(says), "{args:?}: {stderr}");
    }
}
