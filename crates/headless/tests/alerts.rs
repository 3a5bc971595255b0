//! `calleague-receiver serve --alerts`: a burst of failures over real HTTP fires a rule,
//! which posts once to the chat webhook (a real server on loopback), not again after a
//! restart; SIGHUP re-reads the rules; the chat URL is in no log line; `alerts check`
//! prints a rule's firings over the stored history; `alerts example` prints rules that
//! read back.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calleague_alert_rules::RulesFile;
use calleague_events::Timestamp;
use calleague_testkit::Handler;
use common::{post, KEY, RECEIVER};

fn serve(db: &std::path::Path, extra: &[&str], log: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(RECEIVER)
        .args(["serve", "--db"])
        .arg(db)
        .args(["--bind", "127.0.0.1:0"])
        .args(extra)
        .env("CALLEAGUE_API_KEY", KEY)
        .env("RUST_LOG", "trace")
        .env_remove("CALLEAGUE_API_BASE")
        .env_remove("CREDENTIALS_DIRECTORY")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let url = calleague_testkit::listening_url(&mut child).unwrap();
    (child, url)
}

/// A call that started `ago_ms` before now and ended a little later, failed or not.
fn call(url: &str, id: &str, ago_ms: i64, failed: bool) {
    call_of(url, id, ago_ms, failed, "none");
}

/// The same, with `metadata.campaign`.
fn call_of(url: &str, id: &str, ago_ms: i64, failed: bool, campaign: &str) {
    let start = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - ago_ms).unwrap();
    let end = Timestamp::from_unix_millis(start.unix_millis() + 20_000).unwrap();
    let started = format!(
        r#"{{"event":"call.started","deliveryId":"{id}_s","occurredAt":"{start}","data":{{"callId":"{id}","agentId":"ag_alerts","metadata":{{"campaign":"{campaign}"}}}}}}"#
    );
    let event = if failed { "call.failed" } else { "call.completed" };
    let ended = format!(
        r#"{{"event":"{event}","deliveryId":"{id}_e","occurredAt":"{end}","data":{{"callId":"{id}","agentId":"ag_alerts","endedReason":"pipeline-error"}}}}"#
    );
    assert_eq!(post(url, &started), 200);
    assert_eq!(post(url, &ended), 200);
}

const RULES: &str = r#"{"rules": [{
    "id": "rate", "name": "Failure rate over 20%", "metric": {"kind": "failureRate"},
    "windowMinutes": 15, "condition": {"op": "above", "threshold": 20}, "minCalls": 5,
    "severity": "critical", "cooldownMinutes": 30
}]}"#;

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stop(mut child: Child) {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_burst_of_failures_posts_once_to_the_chat_webhook_and_not_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let rules = dir.path().join("rules.json");
    std::fs::write(&rules, RULES).unwrap();
    let chat = Handler::start(false);
    // The secret part of the address, which no log line may hold.
    let secret = "T0SECRET/B0SECRET/xoxo-not-to-be-logged";
    let hook_file = dir.path().join("alert-webhook");
    std::fs::write(&hook_file, format!("http://127.0.0.1:{}/{secret}\n", chat.port)).unwrap();
    let args = ["--alerts", rules.to_str().unwrap(), "--alert-webhook-file", hook_file.to_str().unwrap()];
    let log = dir.path().join("serve.log");
    let (child, url) = serve(&db, &args, &log);
    for n in 0..8 {
        call(&url, &format!("c_{n}"), 5 * 60_000 + n * 10_000, n % 4 != 0);
    }
    wait_until("the chat message", Duration::from_secs(20), || !chat.received().is_empty());
    let (headers, body) = chat.received().remove(0);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("*CRITICAL* Failure rate over 20% is firing"), "{text}");
    assert!(text.contains("Failure rate 75% (above 20%) over the last 15 min"), "{text}");
    assert!(text.contains("Top agents by failures: ag_alerts (6)"), "{text}");
    assert!(headers.iter().any(|(n, v)| n == "content-type" && v == "application/json"));

    // More failures while it fires, and a restart: still one message.
    call(&url, "c_more", 60_000, true);
    stop(child);
    let (child, _url) = serve(&db, &args, &log);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(chat.received().len(), 1, "one firing, one message");

    // SIGHUP with the rule turned off: the firing ends without a message.
    std::fs::write(&rules, RULES.replace("\"id\": \"rate\",", "\"id\": \"rate\", \"enabled\": false,")).unwrap();
    assert!(Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap().success());
    let conn = rusqlite::Connection::open(&db).unwrap();
    wait_until("the firing ended", Duration::from_secs(40), || {
        conn.query_row("SELECT count(*) FROM alert_firings WHERE resolved_ms IS NULL", [], |r| r.get::<_, i64>(0))
            .unwrap()
            == 0
    });
    assert_eq!(chat.received().len(), 1);
    stop(child);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("alert rules read again: 0 of 1 on"), "{logged}");
    assert!(logged.contains(&format!("chat webhook at 127.0.0.1:{}", chat.port)), "{logged}");
    assert!(!logged.contains("SECRET"), "the chat URL was logged");
}

#[test]
fn a_rules_file_that_does_not_pass_stops_the_start_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(&rules, RULES.replace("\"windowMinutes\": 15", "\"windowMinutes\": 2")).unwrap();
    let db = dir.path().join("monitor.db");
    let out = common::receiver_cli(&["serve", "--db", db.to_str().unwrap(), "--alerts", rules.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rules.0.windowMinutes") && stderr.contains("5 minutes to 24 hours"), "{stderr}");

    std::fs::write(&rules, RULES).unwrap();
    let hook = dir.path().join("hook");
    std::fs::write(&hook, "http://chat.example.com/hooks/XYZPRIVATE").unwrap();
    let out = common::receiver_cli(&[
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--alerts",
        rules.to_str().unwrap(),
        "--alert-webhook-file",
        hook.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("must be https://"), "{stderr}");
    assert!(
        !stderr.contains("XYZPRIVATE") && !stderr.contains("chat.example.com"),
        "the refused address was shown: {stderr}"
    );
}

#[test]
fn alerts_check_prints_the_firings_over_the_stored_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("monitor.db");
    let log = dir.path().join("serve.log");
    let (child, url) = serve(&db, &[], &log);
    // Two hours ago, a quarter of an hour of failures; an hour ago, calls that went well.
    // The burst's calls of two campaigns: spring's four failures of five, autumn's four too.
    for n in 0..10 {
        let campaign = if n % 2 == 0 { "spring" } else { "autumn" };
        call_of(&url, &format!("bad_{n}"), 2 * 3_600_000 - n * 60_000, n % 5 != 0, campaign);
        call(&url, &format!("good_{n}"), 3_600_000 - n * 60_000, false);
    }
    stop(child);
    let rules = dir.path().join("rules.json");
    std::fs::write(&rules, RULES).unwrap();
    let check = || {
        let out = common::receiver_cli(&[
            "alerts",
            "check",
            "--db",
            db.to_str().unwrap(),
            "--alerts",
            rules.to_str().unwrap(),
            "--since",
            "1d",
        ]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        (stdout, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (stdout, _) = check();
    assert!(stdout.starts_with("Failure rate over 20% — Failure rate above 20% over 15 min\n"), "{stdout}");
    assert_eq!(stdout.matches("  fired ").count(), 1, "{stdout}");
    // At worst nine calls of the burst in the window, eight of them failed.
    assert!(stdout.contains("worst 88.9%"), "{stdout}");
    assert!(stdout.contains("1 firing(s), 1 notified, over the last 24 h"), "{stdout}");

    // Rules narrowed by a metadata field: the field is counted first (and kept counted).
    let mut file = RulesFile::parse(RULES).unwrap();
    let mut spring = file.rules[0].clone();
    spring.id = "spring".into();
    spring.name = "Spring campaign failing".into();
    spring.min_calls = 3;
    spring.scope.metadata_field = Some("campaign".into());
    spring.scope.metadata_value = Some("spring".into());
    let mut winter = spring.clone();
    winter.id = "winter".into();
    winter.name = "Winter campaign failing".into();
    winter.scope.metadata_value = Some("winter".into());
    file.rules = vec![spring, winter];
    std::fs::write(&rules, file.to_json()).unwrap();
    let (stdout, stderr) = check();
    assert!(stderr.contains("counting the stored calls by campaign"), "{stderr}");
    let (spring, winter) = stdout.split_once("Winter campaign failing").unwrap();
    assert!(
        spring.starts_with("Spring campaign failing — Failure rate above 20% over 15 min (campaign = spring)"),
        "{stdout}"
    );
    // Spring's calls of the burst: the first went well, the four after it failed (a window
    // without the first: all of them), where all calls were at worst 88.9%.
    assert!(spring.contains("worst 100%") && spring.contains("1 firing(s), 1 notified"), "{stdout}");
    assert!(winter.contains("0 firing(s)"), "{stdout}");
    let (again, stderr) = check();
    assert_eq!(again, stdout);
    assert!(!stderr.contains("counting"), "counted once, kept: {stderr}");
}

#[test]
fn alerts_example_prints_rules_that_read_back() {
    let out = common::receiver_cli(&["alerts", "example"]);
    assert!(out.status.success());
    let file = RulesFile::parse(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert_eq!(file.rules.len(), 3);
    assert!(file.rules.iter().all(|r| !r.enabled), "starter rules are off until enabled");
}
