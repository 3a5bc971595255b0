//! Every REST route and error of docs/calleague-api.md, against the real binary.

mod common;

use std::io::Cursor;
use std::time::Duration;

use common::{spawn_sim, KEY};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn requests_without_the_key_are_401() {
    let sim = spawn_sim(&[]);
    for key in [None, Some("wrong")] {
        for path in ["/api/core/webhook", "/api/core/voice/agent/call", "/sim/calls"] {
            let (status, body) = sim.call_with_key(Method::GET, path, None, key).await;
            assert_eq!(status, 401, "{path} {key:?}");
            assert_eq!(body["code"], "unauthorized");
            assert!(body["message"].as_str().unwrap().len() > 5);
        }
    }
}

#[tokio::test]
async fn webhooks_are_created_listed_updated_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let sim = spawn_sim(&["--state-file", state.to_str().unwrap()]);
    assert_eq!(sim.get("/api/core/webhook").await, json!({"total": 0, "list": []}));

    let (status, hook) = sim
        .call(
            Method::POST,
            "/api/core/webhook",
            Some(json!({"url": "https://example.com/hooks", "events": ["call.started", "call.ended"]})),
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let id = hook["webhookId"].as_str().unwrap().to_owned();
    assert_eq!(hook["events"], json!(["call.started", "call.completed"]), "older spelling stored as current");
    assert!(hook["createdAt"].as_str().unwrap().ends_with('Z'));
    let (status, _) = sim
        .call(
            Method::POST,
            "/api/core/webhook",
            Some(json!({"url": "http://127.0.0.1:9/hooks", "events": ["call.failed"]})),
        )
        .await;
    assert_eq!(status, 201, "loopback http is allowed with --allow-loopback-http");

    let page = sim.get("/api/core/webhook?page=2&pageSize=1").await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["list"].as_array().unwrap().len(), 1);
    assert_eq!(page["list"][0]["url"], "http://127.0.0.1:9/hooks");

    tokio::time::sleep(Duration::from_millis(5)).await;
    let (status, updated) = sim
        .call(
            Method::PUT,
            &format!("/api/core/webhook/{id}"),
            Some(json!({"events": ["call.failed", "transcript.ready"]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(updated["events"], json!(["call.failed", "transcript.ready"]));
    assert_eq!(updated["url"], "https://example.com/hooks");
    assert!(updated["updatedAt"].as_str() > hook["updatedAt"].as_str());

    // Webhooks survive a restart through the state file.
    drop(sim);
    let sim = spawn_sim(&["--state-file", state.to_str().unwrap()]);
    assert_eq!(sim.get("/api/core/webhook").await["total"], 2);

    let (status, body) = sim.call(Method::DELETE, &format!("/api/core/webhook/{id}"), None).await;
    assert_eq!((status, body), (200, json!({})));
    let (status, body) = sim.call(Method::DELETE, &format!("/api/core/webhook/{id}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");
    let (status, _) =
        sim.call(Method::PUT, "/api/core/webhook/wh_nope", Some(json!({"events": ["call.failed"]}))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn invalid_webhook_bodies_are_422_with_a_message() {
    let sim = spawn_sim(&[]);
    let strict = spawn_sim_without_loopback();
    let cases = [
        json!({"url": "http://example.com/hooks", "events": ["call.started"]}),
        json!({"url": "ftp://example.com", "events": ["call.started"]}),
        json!({"url": "not a url", "events": ["call.started"]}),
        json!({"url": 42, "events": ["call.started"]}),
        json!({"url": "https://example.com", "events": []}),
        json!({"url": "https://example.com", "events": "call.started"}),
        json!({"url": "https://example.com", "events": [""]}),
        json!({"url": "https://example.com"}),
        json!({"events": ["call.started"]}),
        json!({"url": "https://hooks.nowhere.invalid/x", "events": ["call.started"]}),
    ];
    for body in cases {
        let (status, reply) = sim.call(Method::POST, "/api/core/webhook", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(reply["code"], "invalid_request");
        assert!(!reply["message"].as_str().unwrap().is_empty());
    }
    let (status, reply) = strict
        .call(
            Method::POST,
            "/api/core/webhook",
            Some(json!({"url": "http://127.0.0.1:9/x", "events": ["call.started"]})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(reply["message"].as_str().unwrap().contains("--allow-loopback-http"));
    // New event names are accepted: the list of events is not frozen.
    let (status, _) = sim
        .call(Method::POST, "/api/core/webhook", Some(json!({"url": "https://e.com", "events": ["call.transferred"]})))
        .await;
    assert_eq!(status, 201);
}

fn spawn_sim_without_loopback() -> common::Sim {
    let mut child = std::process::Command::new(common::BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--key", KEY])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = calleague_testkit::listening_url(&mut child).unwrap();
    let process = calleague_testkit::SimProcess { child, url: url.clone() };
    common::Sim { process, url, http: reqwest::Client::new() }
}

#[tokio::test]
async fn calls_recordings_and_transcripts() {
    let sim = spawn_sim(&["--time-scale", "1000", "--recording-url-ttl", "2"]);
    let (status, started) = sim
        .call(
            Method::POST,
            "/sim/calls",
            Some(json!({"calls": 6, "rate": 100, "failedShare": 0.0, "languages": ["tr"]})),
        )
        .await;
    assert_eq!(status, 202, "{started}");
    let ids: Vec<String> = serde_json::from_value(started["callIds"].clone()).unwrap();
    assert_eq!(ids.len(), 6);
    sim.wait_idle(Duration::from_secs(20)).await;

    let all = sim.get("/api/core/voice/agent/call").await;
    assert_eq!(all["total"], 6);
    let page = sim.get("/api/core/voice/agent/call?page=2&pageSize=4").await;
    assert_eq!(page["list"].as_array().unwrap().len(), 2);
    let first_start = all["list"][0]["startedAt"].as_str().unwrap().to_owned();
    let after_first = sim.get(&format!("/api/core/voice/agent/call?from={}", bump(&first_start))).await;
    assert_eq!(after_first["total"], 5, "from is inclusive, on startedAt");
    let before_first = sim.get(&format!("/api/core/voice/agent/call?to={first_start}")).await;
    assert_eq!(before_first["total"], 0, "to is exclusive");
    let (status, body) = sim.call(Method::GET, "/api/core/voice/agent/call?from=yesterday", None).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_request")));
    let (status, _) = sim.call(Method::GET, "/api/core/voice/agent/call?pageSize=0", None).await;
    assert_eq!(status, 422);

    let call = sim.get(&format!("/api/core/voice/agent/call/{}", ids[0])).await;
    assert_eq!(call["status"], "completed");
    assert_eq!(call["language"], "tr");
    for field in [
        "agentId",
        "direction",
        "startedAt",
        "connectedAt",
        "endedAt",
        "durationSec",
        "endedReason",
        "metadata",
        "recordingId",
        "transcriptId",
    ] {
        assert!(call.get(field).is_some(), "call lacks {field}: {call}");
    }
    let (status, body) = sim.call(Method::GET, "/api/core/voice/agent/call/cl_nope", None).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

    let recording = sim.get(&format!("/api/core/recording/{}", call["recordingId"].as_str().unwrap())).await;
    assert_eq!(recording["callId"], call["callId"]);
    assert_eq!(recording["format"], "wav");
    let stated = recording["durationSec"].as_f64().unwrap();
    let audio = sim.http.get(recording["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(audio.status().as_u16(), 200);
    assert_eq!(audio.headers()["content-type"], "audio/wav");
    let bytes = audio.bytes().await.unwrap();
    let reader = hound::WavReader::new(Cursor::new(bytes.to_vec())).unwrap();
    let spec = reader.spec();
    let decoded = reader.duration() as f64 / f64::from(spec.sample_rate);
    assert!((decoded - stated).abs() < 0.01, "decoded {decoded} s, stated {stated} s");
    assert!(stated >= 3.0);

    let transcript = sim.get(&format!("/api/core/transcript/{}", call["transcriptId"].as_str().unwrap())).await;
    assert_eq!(transcript["language"], "tr");
    let segments = transcript["segments"].as_array().unwrap();
    assert!(segments.len() >= 2);
    assert_eq!(segments[0]["startSec"], 0.0);
    assert_eq!(segments.last().unwrap()["endSec"].as_f64().unwrap(), stated, "turns match the recording's length");
    assert!(segments.iter().all(|s| s["speaker"].is_string() && s["text"].as_str().is_some_and(|t| !t.is_empty())));

    for path in ["/api/core/recording/rec_nope", "/api/core/transcript/tr_nope"] {
        assert_eq!(sim.call(Method::GET, path, None).await.0, 404);
    }
    // A tampered link is refused, and a link expires.
    let tampered = recording["url"].as_str().unwrap().replace("sig=", "sig=0");
    assert_eq!(sim.http.get(tampered).send().await.unwrap().status().as_u16(), 403);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let expired = sim.http.get(recording["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(expired.status().as_u16(), 403);
    assert_eq!(expired.json::<serde_json::Value>().await.unwrap()["code"], "link_expired");
    let fresh = sim.get(&format!("/api/core/recording/{}", call["recordingId"].as_str().unwrap())).await;
    assert_eq!(sim.http.get(fresh["url"].as_str().unwrap()).send().await.unwrap().status().as_u16(), 200);
}

fn bump(timestamp: &str) -> String {
    let t = calleague_events::Timestamp::parse(timestamp).unwrap();
    calleague_events::Timestamp::from_unix_millis(t.unix_millis() + 1).unwrap().to_string()
}

#[tokio::test]
async fn starting_a_call_through_the_api() {
    let sim = spawn_sim(&["--time-scale", "1000"]);
    let (status, reply) = sim
        .call(
            Method::POST,
            "/api/core/voice/agent/call",
            Some(json!({"assistantId": "ag_42", "phoneNumber": "+493012345", "language": "de"})),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["status"], "queued");
    assert_eq!(reply["language"], "de");
    sim.wait_idle(Duration::from_secs(10)).await;
    let call = sim.get(&format!("/api/core/voice/agent/call/{}", reply["callId"].as_str().unwrap())).await;
    assert_eq!(call["agentId"], "ag_42");
    assert_eq!(call["direction"], "outbound");
    for body in [
        json!({"phoneNumber": "+493012345"}),
        json!({"assistantId": "ag_42"}),
        json!({"assistantId": "a", "phoneNumber": "12"}),
    ] {
        let (status, reply) = sim.call(Method::POST, "/api/core/voice/agent/call", Some(body)).await;
        assert_eq!((status, reply["code"].as_str()), (422, Some("invalid_request")));
    }
}

#[tokio::test]
async fn beyond_the_rate_limit_is_429_with_retry_after() {
    let sim = spawn_sim(&["--rate-limit", "3"]);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..6 {
        let response = sim.http.get(format!("{}/api/core/webhook", sim.url)).bearer_auth(KEY).send().await.unwrap();
        statuses.push(response.status().as_u16());
        if response.status().as_u16() == 429 {
            retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            assert_eq!(response.json::<serde_json::Value>().await.unwrap()["code"], "rate_limited");
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    assert!(retry_after.is_some_and(|s| (1..=2).contains(&s)));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(sim.call(Method::GET, "/api/core/webhook", None).await.0, 200);
}

#[tokio::test]
async fn scenario_bodies_are_checked() {
    let sim = spawn_sim(&[]);
    for body in [json!({"calls": 0}), json!({"rate": -1}), json!({"failedShare": 2}), json!({"agents": []})] {
        let (status, reply) = sim.call(Method::POST, "/sim/calls", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(reply["code"], "invalid_request");
    }
    // A field it does not know is refused by name, not ignored: `count` is not `calls`.
    let (status, reply) = sim.call(Method::POST, "/sim/calls", Some(json!({"count": 4}))).await;
    assert_eq!(status, 422, "{reply}");
    assert!(reply["message"].as_str().unwrap().contains("unknown field `count`"), "{reply}");
    let (status, reply) = sim.call(Method::POST, "/sim/calls", Some(json!("ten calls"))).await;
    assert_eq!(status, 422, "{reply}");
    assert_eq!(sim.get("/sim/status").await["callsPlanned"], 0, "nothing was played");
    // An empty body still plays the default scenario.
    let (status, reply) = sim.call(Method::POST, "/sim/calls", None).await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(reply["callIds"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn agents_are_listed_read_one_by_one_and_added() {
    let sim = spawn_sim(&[]);
    let list = sim.get("/api/core/voice/agent?page=1&pageSize=2").await;
    assert_eq!(list["total"], 3, "{list}");
    assert_eq!(list["list"].as_array().unwrap().len(), 2);
    let one = sim.get("/api/core/voice/agent/ag_sales").await;
    assert_eq!((one["agentId"].as_str(), one["name"].as_str()), (Some("ag_sales"), Some("Sales desk")));
    let (status, body) = sim.call(Method::GET, "/api/core/voice/agent/ag_nobody", None).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    // The calls' own path is not taken for an agent's id.
    assert!(sim.get("/api/core/voice/agent/call").await["list"].is_array());

    let (status, _) =
        sim.call(Method::POST, "/sim/agents", Some(json!({"agentId": "ag_nobody", "name": "Night shift"}))).await;
    assert_eq!(status, 200);
    assert_eq!(sim.get("/api/core/voice/agent/ag_nobody").await["name"], "Night shift");
    let (status, body) = sim.call(Method::POST, "/sim/agents", Some(json!({"name": "no id"}))).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_request")));
}
