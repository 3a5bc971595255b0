//! `calleague-receiver serve` as operators run it: what systemd is told over its notify
//! socket, JSON logs with nothing secret in them, the metrics of a whole run.

mod common;

use std::collections::HashMap;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, play, sim_bin, spawn, stop, subscribe, KEY, RECEIVER};
use serde_json::{json, Value};

fn root(url: &str) -> String {
    url.split("/hooks").next().unwrap().to_owned()
}

/// A scrape of `/metrics` through a Prometheus text parser: each sample by name and labels.
async fn scrape(url: &str) -> HashMap<String, f64> {
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    scrape
        .samples
        .into_iter()
        .filter_map(|sample| {
            let value = match sample.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => return None,
            };
            let mut labels: Vec<String> = sample.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            labels.sort();
            let name =
                if labels.is_empty() { sample.metric } else { format!("{}{{{}}}", sample.metric, labels.join(",")) };
            Some((name, value))
        })
        .collect()
}

/// The datagrams systemd would get, each as its lines, until one holds `needle`.
fn wait_for_state(socket: &UnixDatagram, needle: &str, limit: Duration) -> Vec<String> {
    let begun = Instant::now();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while begun.elapsed() < limit {
        if let Ok(n) = socket.recv(&mut buffer) {
            let message = String::from_utf8_lossy(&buffer[..n]).into_owned();
            let hit = message.lines().any(|l| l == needle);
            seen.push(message);
            if hit {
                return seen;
            }
        }
    }
    panic!("systemd was never told {needle:?} within {limit:?}; it was told {seen:?}");
}

#[tokio::test]
async fn systemd_hears_ready_once_the_receiver_answers_then_the_watchdog_then_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let port = free_port();
    let mut child = Command::new(RECEIVER)
        .args(["serve", "--db"])
        .arg(dir.path().join("m.db"))
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .env("CALLEAGUE_API_KEY", KEY)
        .env("NOTIFY_SOCKET", &path)
        .env("WATCHDOG_USEC", "1000000")
        .env_remove("CALLEAGUE_API_BASE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let said = wait_for_state(&socket, "READY=1", Duration::from_secs(20));
    // Told the moment it was ready, not before: /readyz already answers.
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert!(said.last().unwrap().contains("STATUS=listening on http://127.0.0.1:"), "{said:?}");
    // WatchdogSec=1s: a ping every half second while the serving loop goes round.
    let begun = Instant::now();
    wait_for_state(&socket, "WATCHDOG=1", Duration::from_secs(3));
    wait_for_state(&socket, "WATCHDOG=1", Duration::from_secs(3));
    wait_for_state(&socket, "WATCHDOG=1", Duration::from_secs(3));
    assert!(begun.elapsed() < Duration::from_millis(2500), "three pings took {:?}", begun.elapsed());
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    wait_for_state(&socket, "STOPPING=1", Duration::from_secs(10));
    assert!(child.wait().unwrap().success());
}

/// Every stderr line of a run as JSON objects, and stdout's lines.
fn stop_and_collect(mut child: std::process::Child, stderr_path: &std::path::Path) -> (Vec<String>, String) {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut out, &mut stdout);
    }
    assert!(child.wait().unwrap().success());
    let stderr = std::fs::read_to_string(stderr_path).unwrap();
    (stderr.lines().map(str::to_owned).collect(), stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_of_a_whole_run_at_trace_level_hold_no_key_and_no_body() {
    let sim = spawn(
        &sim_bin(),
        &["serve", "--bind", "127.0.0.1:0", "--key", KEY, "--allow-loopback-http", "--time-scale", "200"],
    );
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("stderr.log");
    let port = free_port();
    let mut child = Command::new(RECEIVER)
        .args(["--log-format", "json", "serve", "--db"])
        .arg(dir.path().join("m.db"))
        .args(["--bind", &format!("127.0.0.1:{port}"), "--api-base", &sim.url, "--reconcile-every", "1s"])
        .args(["--settle", "1s", "--quiet-after", "2s"])
        .env("CALLEAGUE_API_KEY", KEY)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let url = calleague_testkit::listening_url(&mut child).unwrap();
    subscribe(&sim.url, &url, "call.started,call.completed,call.failed");
    play(&sim.url, 5).await;
    // A body of our own, and requests the receiver refuses.
    let marker = "body-marker-5a1d0c";
    let body = json!({"event": "call.started", "deliveryId": "dl_marker", "occurredAt": "2026-01-01T12:00:00Z",
        "data": {"callId": "cl_marker", "metadata": {"note": marker}}});
    let client = reqwest::Client::new();
    let sent = client.post(&url).bearer_auth(KEY).json(&body).send().await.unwrap();
    assert_eq!(sent.status(), 200);
    let wrong = client.post(&url).bearer_auth(format!("{KEY}-wrong")).json(&body).send().await.unwrap();
    assert_eq!(wrong.status(), 200);
    let not_json = client.post(&url).bearer_auth(KEY).body(format!("not json {marker}")).send().await.unwrap();
    assert_eq!(not_json.status(), 200);
    // The REST source reads at least once with the key.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let metrics = scrape(&format!("{}/metrics", root(&url))).await;
    let (lines, stdout) = stop_and_collect(child, &stderr_path);
    // The run's metrics, as Prometheus would read them.
    assert_eq!(metrics["calleague_deliveries_total{outcome=rejected,reason=wrong_token}"], 1.0);
    assert_eq!(metrics["calleague_deliveries_total{outcome=quarantined}"], 1.0);
    assert!(metrics["calleague_deliveries_total{outcome=stored}"] >= 6.0, "{metrics:?}");
    assert_eq!(metrics["calleague_catch_up_runs_total{result=ok}"], 1.0);
    assert!(metrics["calleague_rest_source_rounds_total{result=ok}"] >= 2.0, "{metrics:?}");
    let found_said = lines.iter().filter_map(|l| {
        let said: Value = serde_json::from_str(l).ok()?;
        let message = said["message"].as_str()?;
        let found = message.strip_prefix("rest-reconciliation: ")?.split(", ").nth(1)?.split(' ').next()?;
        found.parse::<f64>().ok()
    });
    // What the log said it found (a round may end between the scrape and the stop).
    let (found, said) = (metrics["calleague_rest_source_calls_found_total"], found_said.sum::<f64>());
    assert!(found >= 1.0 && found <= said, "found {found}, said {said}");
    stop(sim);

    assert!(lines.len() > 30, "a trace-level run said only {} lines: {lines:#?}", lines.len());
    let mut targets = HashMap::<String, usize>::new();
    for line in &lines {
        let object: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for field in ["timestamp", "level", "target"] {
            assert!(object.get(field).is_some(), "no {field}: {line}");
        }
        *targets.entry(object["target"].as_str().unwrap().to_owned()).or_default() += 1;
        assert!(!line.contains(KEY), "the API key in a log line: {line}");
        assert!(!line.contains(marker), "a delivery's body in a log line: {line}");
    }
    assert!(!stdout.contains(KEY) && !stdout.contains(marker), "{stdout}");
    // What was said covers the parts that handle the key: the receiver, the REST client
    // (reqwest, hyper) and the catch-up / REST source.
    for prefix in ["calleague_receiver", "hyper", "reqwest", "calleague_store"] {
        assert!(targets.keys().any(|t| t.starts_with(prefix)), "nothing from {prefix}: {targets:?}");
    }
    assert!(
        lines.iter().any(|l| l.contains("\"message\":\"rejected deliveries\"") && l.contains("wrong token")),
        "the wrong token's rejection is logged (without the token)"
    );
}

#[tokio::test]
async fn metrics_bind_and_no_metrics_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    let receiver = spawn(
        std::path::Path::new(RECEIVER),
        &[
            "serve",
            "--db",
            dir.path().join("a.db").to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
            "--metrics-bind",
            &format!("127.0.0.1:{metrics_port}"),
            "--ready-path",
            "/health/ready",
        ],
    );
    let scraped = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics")).await.unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(scraped.text().await.unwrap().contains("calleague_deliveries_total{"));
    assert_eq!(reqwest::get(format!("{}/health/ready", root(&receiver.url))).await.unwrap().status(), 200);
    assert_eq!(reqwest::get(format!("{}/readyz", root(&receiver.url))).await.unwrap().status(), 404);
    stop(receiver);

    let off = spawn(
        std::path::Path::new(RECEIVER),
        &["serve", "--db", dir.path().join("b.db").to_str().unwrap(), "--bind", "127.0.0.1:0", "--no-metrics"],
    );
    assert_eq!(reqwest::get(format!("{}/metrics", root(&off.url))).await.unwrap().status(), 404);
    stop(off);

    // A health path on the webhook path is refused with a clear line.
    let out = common::receiver_cli(&[
        "serve",
        "--db",
        dir.path().join("c.db").to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
        "--live-path",
        "/hooks/calleague",
    ]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("\"/hooks/calleague\" is both the webhook path and the liveness path"), "{said}");
}
