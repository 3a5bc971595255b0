//! The real `calleague-receiver` binary: serve, signals, export, and its error messages.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_calleague-receiver");
const KEY: &str = "sk_cli_test_7d2e4b";

struct Served {
    child: Child,
    url: String,
}

fn serve(db: &Path, extra: &[&str]) -> Served {
    serve_with_log(db, extra, "warn")
}

fn serve_with_log(db: &Path, extra: &[&str], log: &str) -> Served {
    let mut child = Command::new(BIN)
        .args(["serve", "--db"])
        .arg(db)
        .args(["--bind", "127.0.0.1:0"])
        .args(extra)
        .env("CALLEAGUE_API_KEY", KEY)
        .env("RUST_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = calleague_testkit::listening_url(&mut child).unwrap();
    Served { child, url }
}

fn signal(child: &Child, name: &str) {
    assert!(Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status().unwrap().success());
}

fn wait(mut child: Child) -> (std::process::ExitStatus, String) {
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
            return (status, stderr);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("the receiver did not exit within 10 s");
}

/// A blocking HTTP/1.1 POST over a plain socket; returns the status code.
fn post(url: &str, auth: &str, body: &str) -> u16 {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn delivery(id: &str, call: &str, event: &str, at: &str) -> String {
    json!({"event": event, "deliveryId": id, "occurredAt": at,
           "data": {"callId": call, "agentId": "ag_1", "metadata": {"note": "a,b \"quoted\""}}})
    .to_string()
}

fn export(db: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(["export", "--db"]).arg(db).args(args).output().unwrap()
}

#[test]
fn serve_receives_then_drains_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let served = serve(&db, &["--read-timeout", "5s"]);
    assert!(served.url.starts_with("http://127.0.0.1:") && served.url.ends_with("/hooks/calleague"));
    let auth = format!("Bearer {KEY}");
    assert_eq!(post(&served.url, &auth, &delivery("d2", "c1", "call.completed", "2026-01-01T12:01:00Z")), 200);
    assert_eq!(post(&served.url, &auth, &delivery("d1", "c1", "call.started", "2026-01-01T12:00:00Z")), 200);

    // A delivery in flight when SIGTERM arrives is still stored and acknowledged.
    let host = served.url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let body = delivery("d3", "c2", "call.started", "2026-01-01T12:02:00Z");
    let mut stream = TcpStream::connect(&host).unwrap();
    let head = format!(
        "POST /hooks/calleague HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body.as_bytes()[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    signal(&served.child, "TERM");
    std::thread::sleep(Duration::from_millis(200));
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut reply = [0u8; 12];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"HTTP/1.1 200");

    let (status, stderr) = wait(served.child);
    assert!(status.success(), "exit {status}: {stderr}");

    let out = export(&db, &["--what", "events"]);
    assert!(out.status.success());
    let events: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids: Vec<&str> = events.iter().map(|e| e["deliveryId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["d1", "d2", "d3"], "ordered by occurredAt");
    assert_eq!(events[0]["late"], true);
    assert!(!stderr.contains(KEY));
}

#[test]
fn sigint_also_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(&dir.path().join("m.db"), &[]);
    signal(&served.child, "INT");
    let (status, stderr) = wait(served.child);
    assert!(status.success(), "{stderr}");
}

#[test]
fn export_writes_calls_and_events_as_ndjson_and_csv_within_a_range() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let served = serve(&db, &[]);
    let auth = format!("Bearer {KEY}");
    post(&served.url, &auth, &delivery("d1", "c1", "call.started", "2026-01-01T12:00:00Z"));
    post(&served.url, &auth, &delivery("d2", "c2", "call.started", "2026-01-02T12:00:00Z"));
    post(&served.url, &auth, &delivery("d3", "c2", "call.failed", "2026-01-02T12:00:05Z"));
    signal(&served.child, "TERM");
    assert!(wait(served.child).0.success());

    let calls = export(&db, &["--what", "calls", "--format", "ndjson"]);
    let calls: Vec<Value> =
        String::from_utf8(calls.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1]["callId"], "c2");
    assert_eq!(calls[1]["phase"], "failed");
    assert_eq!(calls[1]["endedAt"], "2026-01-02T12:00:05.000Z");
    assert!(calls[0].get("durationSec").is_none());

    let csv = export(&db, &["--what", "calls", "--format", "csv", "--from", "2026-01-02T00:00:00Z"]);
    let text = String::from_utf8(csv.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("callId,agentId,agentName,direction,phase,"));
    assert!(lines[1].starts_with("c2,ag_1,,,failed,"));
    assert!(lines[1].contains(r#""{""note"":""a,b \""quoted\""""}""#), "{}", lines[1]);

    let events = export(&db, &["--what", "events", "--format", "csv", "--to", "2026-01-02T00:00:00+00:00"]);
    let text = String::from_utf8(events.stdout).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.lines().nth(1).unwrap().starts_with("d1,call.started,c1,2026-01-01T12:00:00.000Z,"));
}

#[test]
fn a_dimension_chosen_on_the_command_line_is_counted_by_the_next_serve_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let served = serve(&db, &[]);
    let auth = format!("Bearer {KEY}");
    post(&served.url, &auth, &delivery("d1", "c1", "call.started", "2026-01-01T12:00:00Z"));
    post(&served.url, &auth, &delivery("d2", "c2", "call.started", "2026-01-02T12:00:00Z"));
    signal(&served.child, "TERM");
    assert!(wait(served.child).0.success());

    let dimensions = |args: &[&str]| {
        let out = Command::new(BIN).args(["dimensions", "--db"]).arg(&db).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(dimensions(&[]), "no dimensions chosen\n");
    let chosen = dimensions(&["note"]);
    assert!(chosen.starts_with("note\t"), "{chosen}");
    // The next serve counts it in its idle moments; the export then has its column.
    let served = serve(&db, &[]);
    let mut ready = String::new();
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        let out = Command::new(BIN).args(["dimensions", "--db"]).arg(&db).output().unwrap();
        ready = String::from_utf8(out.stdout).unwrap();
        if ready == "note\tready\n" {
            break;
        }
    }
    assert_eq!(ready, "note\tready\n");
    signal(&served.child, "TERM");
    assert!(wait(served.child).0.success());
    let csv = String::from_utf8(export(&db, &["--what", "calls", "--format", "csv"]).stdout).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",metadata.note"), "{header}");
    assert!(csv.lines().nth(1).unwrap().ends_with(r#","a,b ""quoted""""#), "{csv}");
    assert_eq!(dimensions(&["--clear"]), "no dimensions chosen\n");
}

fn one_line_error(output: &Output) -> String {
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "expected one line, got {stderr:?}");
    stderr
}

#[test]
fn bad_arguments_and_missing_keys_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let run = |args: &[&str], key: Option<&str>| {
        let mut c = Command::new(BIN);
        c.args(args).env_remove("CALLEAGUE_API_KEY");
        if let Some(key) = key {
            c.env("CALLEAGUE_API_KEY", key);
        }
        c.output().unwrap()
    };
    let db_arg = db.to_str().unwrap();
    let e = one_line_error(&run(&["serve", "--db", db_arg, "--key", "sk_plain"], Some(KEY)));
    assert!(e.contains("--key"), "{e}");
    assert!(one_line_error(&run(&["serve", "--db", db_arg], None)).contains("CALLEAGUE_API_KEY"));
    assert!(one_line_error(&run(&["serve", "--db", db_arg], Some("  "))).contains("empty"));
    assert!(one_line_error(&run(&["serve", "--db", db_arg, "--key-file", "/nonexistent/key"], None))
        .contains("/nonexistent/key"));
    assert!(one_line_error(&run(&["serve", "--db", db_arg, "--bind", "nowhere"], Some(KEY))).contains("--bind"));
    assert!(one_line_error(&run(&["serve", "--db", db_arg, "--read-timeout", "soon"], Some(KEY))).contains("duration"));
    assert!(one_line_error(&run(&["export", "--db", db_arg, "--what", "calls", "--from", "yesterday"], None))
        .contains("RFC 3339"));
    assert!(
        one_line_error(&run(&["export", "--db", db_arg, "--what", "calls", "--format", "xml"], None)).contains("xml")
    );
    assert!(one_line_error(&run(&["frobnicate"], None)).contains("frobnicate"));
}

#[test]
fn an_unreadable_database_and_a_port_in_use_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the database file should be.
    let not_a_file = dir.path().join("dir.db");
    std::fs::create_dir(&not_a_file).unwrap();
    let out =
        Command::new(BIN).args(["serve", "--db"]).arg(&not_a_file).env("CALLEAGUE_API_KEY", KEY).output().unwrap();
    assert!(one_line_error(&out).contains("dir.db"));
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a sqlite database, just some text that is long enough").unwrap();
    let out = export(&garbage, &["--what", "calls"]);
    assert!(one_line_error(&out).contains("garbage.db"));
    let out = export(&dir.path().join("missing.db"), &["--what", "calls"]);
    assert!(one_line_error(&out).contains("missing.db"));

    let served = serve(&dir.path().join("m.db"), &[]);
    let host = served.url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let out = Command::new(BIN)
        .args(["serve", "--db"])
        .arg(dir.path().join("other.db"))
        .args(["--bind", &host])
        .env("CALLEAGUE_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(one_line_error(&out).contains("already in use"));
    signal(&served.child, "TERM");
    assert!(wait(served.child).0.success());
}

#[test]
fn the_api_key_is_never_written_to_the_database_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let mut served = serve_with_log(&db, &[], "debug");
    let auth = format!("Bearer {KEY}");
    post(&served.url, &auth, &delivery("d1", "c1", "call.started", "2026-01-01T12:00:00Z"));
    post(&served.url, &format!("Bearer {KEY}x"), &delivery("d2", "c1", "call.started", "2026-01-01T12:00:00Z"));
    post(&served.url, &auth, "not json");
    signal(&served.child, "TERM");
    let stderr_pipe = served.child.stderr.take();
    let status = served.child.wait().unwrap();
    assert!(status.success());
    let mut stderr = String::new();
    stderr_pipe.unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains("wrong token"), "the rejection is logged: {stderr}");
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(!bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()), "key found in a database file");
    }
    assert!(!stderr.contains(KEY));
    let events = export(&db, &["--what", "events", "--format", "csv"]);
    assert!(!String::from_utf8_lossy(&events.stdout).contains(KEY));
}

#[test]
fn listening_on_the_network_without_tls_is_refused_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let refused = Command::new(BIN)
        .args(["serve", "--db"])
        .arg(&db)
        .args(["--bind", "0.0.0.0:0"])
        .env("CALLEAGUE_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("without TLS") && stderr.contains("--allow-plaintext"), "{stderr}");
    assert!(!db.exists(), "nothing was started");
    // Asked for plainly, or with TLS, it listens.
    for extra in [&["--allow-plaintext"][..], &["--tls-self-signed"][..]] {
        let mut child = Command::new(BIN)
            .args(["serve", "--db"])
            .arg(&db)
            .args(["--bind", "0.0.0.0:0"])
            .args(extra)
            .env("CALLEAGUE_API_KEY", KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let url = calleague_testkit::listening_url(&mut child).unwrap();
        assert!(url.contains("0.0.0.0:"), "{url}");
        signal(&child, "TERM");
        let (status, stderr) = wait(child);
        assert!(status.success(), "{extra:?}: {stderr}");
    }
}

/// Under systemd the certificate and key arrive as credentials (the packaged unit's
/// `LoadCredential=tls:/etc/calleague-receiver/tls`): with both in $CREDENTIALS_DIRECTORY
/// the receiver serves https, counts as TLS for a network address, and refuses half a pair.
#[tokio::test]
async fn tls_from_the_service_s_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::create_dir(&credentials).unwrap();
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(credentials.join("tls_cert.pem"), pair.cert.pem()).unwrap();
    let serve = |bind: &str| {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--db"])
            .arg(dir.path().join("m.db"))
            .args(["--bind", bind])
            .env("CALLEAGUE_API_KEY", KEY)
            .env("CREDENTIALS_DIRECTORY", &credentials)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let half = serve("127.0.0.1:0").output().unwrap();
    assert!(!half.status.success());
    assert!(String::from_utf8_lossy(&half.stderr).contains("only one of tls_cert.pem and tls_key.pem"));

    std::fs::write(credentials.join("tls_key.pem"), pair.signing_key.serialize_pem()).unwrap();
    // A network address is fine: the credentials are TLS.
    let mut child = serve("0.0.0.0:0").spawn().unwrap();
    let url = calleague_testkit::listening_url(&mut child).unwrap();
    assert!(url.starts_with("https://0.0.0.0:"), "{url}");
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pair.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let live = client.get(format!("https://localhost:{port}/livez")).send().await.unwrap();
    assert_eq!((live.status().as_u16(), live.text().await.unwrap()), (200, "ok".to_owned()));
    signal(&child, "TERM");
    let (status, stderr) = wait(child);
    assert!(status.success(), "{stderr}");
}
