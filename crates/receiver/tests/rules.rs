//! Every row of the receiver's response rules (docs/architecture.md), over real HTTP on loopback.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime};

use calleague_receiver::{ApiKey, KeySet, TlsSettings};
use calleague_store::{CallFilter, EventFilter, FeedItem, Order, PageRequest, StoreOptions};
use common::{event, start, start_with, KEY};
use serde_json::json;

const T0: &str = "2026-01-01T12:00:00.000Z";

#[tokio::test]
async fn rule_valid_delivery_is_acknowledged_after_commit() {
    let h = start().await;
    let (status, reply) = h.deliver(&event("call.started", "dl_1", "cl_1", T0)).await;
    assert_eq!(status, 200);
    assert_eq!(reply["status"], "stored");
    // The 200 came after the commit: a fresh read sees it at once.
    let events = h.export_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["deliveryId"], "dl_1");
    let detail = h.store.call_detail("cl_1").unwrap().unwrap();
    assert_eq!(detail.call.record.agent_id.as_deref(), Some("ag_123"));
    let headers = &detail.events[0].headers;
    assert!(headers.iter().any(|(k, v)| k == "content-type" && v == "application/json"));
    assert!(!headers.iter().any(|(k, _)| k == "authorization"), "Authorization must never be stored");
    assert!(!detail.events[0].body.is_empty());
}

#[tokio::test]
async fn only_headers_that_describe_the_delivery_are_stored() {
    let h = start().await;
    let reply = reqwest::Client::new()
        .post(h.url())
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .header("user-agent", "Calleague-Webhooks/1.0")
        .header("x-calleague-delivery-attempt", "2")
        .header("cookie", "session=secret")
        .header("proxy-authorization", "Basic c2VjcmV0")
        .header("x-api-token", "secret")
        .header("x-amz-security-token", "secret")
        .header("x-forwarded-for", "203.0.113.9")
        .body(event("call.started", "dl_h", "cl_h", T0).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let detail = h.store.call_detail("cl_h").unwrap().unwrap();
    let mut kept: Vec<&str> = detail.events[0].headers.iter().map(|(k, _)| k.as_str()).collect();
    kept.sort();
    assert_eq!(kept, ["content-length", "content-type", "user-agent", "x-calleague-delivery-attempt"]);
    assert!(!detail.events[0].headers.iter().any(|(_, v)| v.contains("secret")));
}

#[tokio::test]
async fn rule_same_delivery_id_again_counts_an_attempt_only() {
    let h = start().await;
    let first = event("call.started", "dl_1", "cl_1", T0);
    let mut changed = first.clone();
    changed["data"]["agentId"] = json!("ag_other");
    assert_eq!(h.deliver(&first).await.0, 200);
    let (status, reply) = h.deliver(&changed).await;
    assert_eq!(status, 200);
    assert_eq!(reply["status"], "duplicate");
    assert_eq!(reply["attempts"], 2);
    let events = h.export_events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["attempts"], 2);
    assert_eq!(h.store.call("cl_1").unwrap().unwrap().record.agent_id.as_deref(), Some("ag_123"));
}

#[tokio::test]
async fn rule_no_delivery_id_dedupes_on_call_and_event() {
    let h = start().await;
    let mut body = event("call.failed", "x", "cl_9", T0);
    body.as_object_mut().unwrap().remove("deliveryId");
    assert_eq!(h.deliver(&body).await.1["status"], "stored");
    assert_eq!(h.deliver(&body).await.1["status"], "duplicate");
    let mut started = event("call.started", "x", "cl_9", T0);
    started.as_object_mut().unwrap().remove("deliveryId");
    assert_eq!(h.deliver(&started).await.1["status"], "stored");
    assert_eq!(h.export_events().len(), 2);
}

#[tokio::test]
async fn rule_unknown_event_is_kept_as_a_generic_event() {
    let h = start().await;
    let (status, reply) = h.deliver(&event("call.transferred", "dl_7", "cl_1", T0)).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("stored")));
    let page = h.store.events_page(&EventFilter::default(), &PageRequest::first(Order::NewestFirst, 10)).unwrap();
    assert_eq!(page.items[0].event, "call.transferred");
    assert!(!page.items[0].known);
}

#[tokio::test]
async fn rule_unsubscribed_event_is_kept_but_hidden() {
    let mut config = common::config();
    config.subscriptions = Some(BTreeSet::from(["call.started".to_owned()]));
    let h = start_with(config, StoreOptions::default()).await;
    let mut feed = h.receiver.subscribe();
    let (status, reply) = h.deliver(&event("call.failed", "dl_2", "cl_1", T0)).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("stored_hidden")));
    let visible = h.store.events_page(&EventFilter::default(), &PageRequest::first(Order::NewestFirst, 10)).unwrap();
    assert!(visible.items.is_empty());
    let all = EventFilter { include_hidden: true, ..Default::default() };
    assert_eq!(h.store.events_page(&all, &PageRequest::first(Order::NewestFirst, 10)).unwrap().items.len(), 1);
    // The feed marks it hidden, so nothing downstream notifies about it.
    match feed.recv().await.unwrap() {
        FeedItem::Event { event, call } => {
            assert!(event.hidden);
            assert!(call.is_none());
        }
        other => panic!("unexpected {other:?}"),
    }
    // Subscriptions can change while running.
    h.receiver.set_subscriptions(None);
    assert_eq!(h.deliver(&event("call.failed", "dl_3", "cl_2", T0)).await.1["status"], "stored");
}

#[tokio::test]
async fn rule_older_spellings_read_as_current() {
    let h = start().await;
    let body = json!({"event": "call.ended", "deliveryId": "dl_old", "occurredAt": T0,
                      "data": {"callId": "cl_old", "assistantId": "as_5", "endedReason": "completed"}});
    assert_eq!(h.deliver(&body).await.0, 200);
    let call = h.store.call("cl_old").unwrap().unwrap();
    assert_eq!(call.record.agent_id.as_deref(), Some("as_5"));
    assert_eq!(call.record.phase.map(|s| s.as_str()), Some("completed"));
    assert_eq!(h.export_events()[0]["event"], "call.completed");
}

#[tokio::test]
async fn rule_verified_body_that_is_not_an_event_goes_to_quarantine() {
    let h = start().await;
    let auth = format!("Bearer {KEY}");
    for body in ["this is not json", "{\"data\": {\"callId\": \"c\"}}", "[1, 2, 3]"] {
        let (status, reply) = h.post(Some(&auth), body).await;
        assert_eq!((status, reply["status"].as_str()), (200, Some("quarantined")), "{body}");
    }
    let quarantined = h.store.quarantine_page(None, 10).unwrap();
    assert_eq!(quarantined.len(), 3);
    assert_eq!(quarantined[2].body, "this is not json");
    assert!(quarantined[2].reason.contains("not valid JSON"));
    assert!(quarantined[1].reason.contains("no \"event\""));
    assert_eq!(h.counts().deliveries_total, 0);
}

#[tokio::test]
async fn rule_wrong_token_is_acknowledged_and_discarded() {
    let h = start().await;
    let secret_body = event("call.started", "dl_evil", "cl_evil", T0).to_string();
    let (status, reply) = h.post(Some("Bearer not-the-key"), secret_body).await;
    assert_eq!(status, 200);
    assert_eq!(reply, json!({"received": true}));
    assert_eq!(h.counts().deliveries_total, 0);
    assert_eq!(h.counts().quarantined, 0);
    // Counted in memory, written within a second; written now.
    h.receiver.flush_security_log().await;
    let log = h.store.security_page(None, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].entry.reason, "wrong token");
    assert!(log[0].entry.peer.as_deref().unwrap().starts_with("127.0.0.1:"));
    let logged = serde_json::to_string(&log).unwrap();
    assert!(!logged.contains("not-the-key") && !logged.contains("cl_evil"));
}

#[tokio::test]
async fn rule_missing_or_malformed_authorization_is_401() {
    let h = start().await;
    let body = event("call.started", "dl_1", "cl_1", T0).to_string();
    for auth in [None, Some("Basic dXNlcjpwYXNz"), Some("Bearer"), Some(KEY)] {
        let (status, reply) = h.post(auth, body.clone()).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(reply["code"], "unauthorized");
    }
    // A lower-case scheme and extra spaces are still a well-formed Bearer token.
    assert_eq!(h.post(Some(&format!("bearer   {KEY} ")), body).await.0, 200);
    // One row per reason (same address, same minute), each with its count.
    h.receiver.flush_security_log().await;
    let log = h.store.security_page(None, 10).unwrap();
    let count = |reason: &str| log.iter().find(|r| r.entry.reason == reason).map(|r| r.count);
    assert_eq!(log.len(), 2);
    assert_eq!(count("missing Authorization header"), Some(1));
    assert_eq!(count("malformed Authorization header"), Some(3));
}

#[tokio::test]
async fn rule_body_over_the_limit_is_413() {
    let h = start().await;
    let auth = format!("Bearer {KEY}");
    // Declared too large.
    let big = format!("{{\"event\":\"call.started\",\"pad\":\"{}\"}}", "x".repeat(1024 * 1024));
    let (status, reply) = h.post(Some(&auth), big.clone()).await;
    assert_eq!(status, 413);
    assert_eq!(reply["code"], "body_too_large");
    // Chunked, with no length given: cut off while reading.
    let chunks: Vec<Result<String, std::io::Error>> =
        big.as_bytes().chunks(64 * 1024).map(|c| Ok(String::from_utf8_lossy(c).into_owned())).collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, _) = h.post(Some(&auth), stream).await;
    assert_eq!(status, 413);
    // Exactly at the limit is fine.
    let mut at_limit = event("call.started", "dl_big", "cl_big", T0);
    let base = at_limit.to_string().len();
    at_limit["data"]["metadata"]["pad"] = json!("y".repeat(1024 * 1024 - base - 10));
    assert!(at_limit.to_string().len() <= 1024 * 1024);
    assert_eq!(h.deliver(&at_limit).await.0, 200);
    assert_eq!(h.counts().deliveries_total, 1);
    h.receiver.flush_security_log().await;
    let log = h.store.security_page(None, 10).unwrap();
    assert_eq!((log.len(), log[0].count), (1, 2), "both refusals, on one row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_wrong_tokens_leaves_a_small_log_that_still_counts_them_all() {
    let h = start().await;
    let size_before = std::fs::metadata(h.dir.path().join("monitor.db")).unwrap().len();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let body = event("call.started", "dl_flood", "cl_flood", T0).to_string();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (client, url, body) = (client.clone(), h.url(), body.clone());
            tokio::spawn(async move {
                for _ in 0..400 {
                    let reply = client.post(&url).bearer_auth("sk_wrong").body(body.clone()).send().await.unwrap();
                    assert_eq!(reply.status(), 200);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    // Written by the second without being asked: no flush here.
    for _ in 0..50 {
        if h.counts().rejected == 20_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(h.counts().rejected, 20_000, "every request is counted");
    let log = h.store.security_page(None, 1000).unwrap();
    assert!(log.len() <= 3, "one row per minute the flood lasted, not one per request: {}", log.len());
    assert_eq!(log.iter().map(|r| r.count).sum::<i64>(), 20_000);
    assert_eq!(h.counts().deliveries_total, 0);
    let wal = h.dir.path().join("monitor.db-wal");
    let grown = std::fs::metadata(h.dir.path().join("monitor.db")).unwrap().len() - size_before;
    println!("database grew by {grown} bytes (WAL {} bytes)", std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    assert!(grown < 256 * 1024, "the database grew by {grown} bytes");
}

#[tokio::test]
async fn rule_other_method_is_405_and_other_path_is_404() {
    let h = start().await;
    let get = h.client.get(h.url()).header("authorization", format!("Bearer {KEY}")).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let other = h.url().replace("/hooks/calleague", "/other");
    let post = h.client.post(other).header("authorization", format!("Bearer {KEY}")).body("{}").send().await.unwrap();
    assert_eq!(post.status().as_u16(), 404);
    assert_eq!(h.counts(), Default::default());
}

#[tokio::test]
async fn rule_a_probe_of_the_public_address_is_204_and_noted_and_stores_nothing() {
    let h = start().await;
    let probe = |nonce: &str| h.client.get(h.url()).header(calleague_receiver::PROBE_HEADER, nonce).send();
    assert_eq!(probe("probe-1a2b").await.unwrap().status().as_u16(), 204);
    assert!(h.receiver.probes().saw("probe-1a2b"));
    assert!(!h.receiver.probes().saw("probe-other"));
    // Not a nonce: a GET as any other.
    assert_eq!(probe("no spaces; or other signs").await.unwrap().status().as_u16(), 405);
    assert_eq!(probe(&"x".repeat(65)).await.unwrap().status().as_u16(), 405);
    assert!(!h.receiver.probes().saw("no spaces; or other signs"));
    assert_eq!(h.counts(), Default::default());
}

fn read_reply(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply); // to EOF: the server must close
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn rule_slow_headers_get_408_and_the_connection_closes() {
    let h = start().await;
    let addr = h.receiver.local_addr();
    let started = Instant::now();
    let reply = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(b"POST /hooks/calleague HTTP/1.1\r\nHost: x\r\n").unwrap();
        read_reply(&mut stream)
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(started.elapsed() < Duration::from_secs(4), "cut after the read timeout, not the client's");
    assert_eq!(h.counts(), Default::default());
}

#[tokio::test]
async fn rule_slow_body_gets_408_and_the_connection_closes() {
    let h = start().await;
    let addr = h.receiver.local_addr();
    let reply = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        let head = format!("POST /hooks/calleague HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Length: 100\r\n\r\n{{\"event\":");
        stream.write_all(head.as_bytes()).unwrap();
        read_reply(&mut stream)
    })
    .await
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(reply.to_ascii_lowercase().contains("connection: close"));
    assert_eq!(h.counts().deliveries_total, 0);
}

#[tokio::test]
async fn rule_store_that_cannot_commit_gets_503_and_calleague_can_retry() {
    let options = StoreOptions { busy_timeout: Duration::from_millis(150), ..Default::default() };
    let h = start_with(common::config(), options).await;
    let locker = calleague_testkit::lock_sqlite(&h.dir.path().join("monitor.db"));
    let body = event("call.completed", "dl_503", "cl_1", T0);
    let response = h
        .client
        .post(h.url())
        .header("authorization", format!("Bearer {KEY}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    // Calleague's retry waits at least what the 503 asks for: a whole number of seconds.
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let seconds: u64 =
        retry_after.as_deref().expect("a 503 says when to retry").parse().expect("Retry-After in seconds");
    assert!((1..=60).contains(&seconds), "Retry-After {seconds}");
    let reply: serde_json::Value = response.json().await.unwrap();
    assert_eq!(reply["code"], "store_unavailable");
    assert_eq!(h.counts().deliveries_total, 0, "nothing is kept from a failed commit");
    drop(locker);
    let (status, reply) = h.deliver(&body).await;
    assert_eq!((status, reply["status"].as_str()), (200, Some("stored")));
    assert_eq!(h.export_events()[0]["attempts"], 1);
}

#[tokio::test]
async fn both_keys_are_accepted_during_a_rotation() {
    let h = start().await;
    let body = |id: &str| event("call.started", id, "cl_1", T0).to_string();
    let rotated = KeySet::single(ApiKey::new("sk_new").unwrap())
        .with_previous(ApiKey::new(KEY).unwrap(), SystemTime::now() + Duration::from_secs(3600));
    h.receiver.set_keys(rotated);
    assert_eq!(h.post(Some("Bearer sk_new"), body("a")).await.1["status"], "stored");
    assert_eq!(h.post(Some(&format!("Bearer {KEY}")), body("b")).await.1["status"], "stored");
    let expired = KeySet::single(ApiKey::new("sk_new").unwrap())
        .with_previous(ApiKey::new(KEY).unwrap(), SystemTime::now() - Duration::from_secs(1));
    h.receiver.set_keys(expired);
    assert_eq!(h.post(Some(&format!("Bearer {KEY}")), body("c")).await.1, json!({"received": true}));
    assert_eq!(h.counts().deliveries_total, 2);
}

#[tokio::test]
async fn binds_to_loopback_by_default() {
    let config = calleague_receiver::ReceiverConfig::new(KeySet::single(ApiKey::new(KEY).unwrap()));
    assert!(config.bind.ip().is_loopback());
    assert_eq!(config.body_limit, 1024 * 1024);
}

#[tokio::test]
async fn tls_with_a_generated_self_signed_pair() {
    let dir = tempfile::tempdir().unwrap();
    let cert_out = dir.path().join("cert.pem");
    let mut config = common::config();
    config.tls =
        Some(TlsSettings::SelfSigned { hostnames: vec!["localhost".into()], cert_out: Some(cert_out.clone()) });
    let h = start_with(config, StoreOptions::default()).await;
    assert!(h.url().starts_with("https://"));
    let cert = reqwest::Certificate::from_pem(&std::fs::read(&cert_out).unwrap()).unwrap();
    let client = reqwest::Client::builder().add_root_certificate(cert).build().unwrap();
    let url = h.url().replace("127.0.0.1", "localhost");
    let response = client
        .post(url)
        .header("authorization", format!("Bearer {KEY}"))
        .body(event("call.started", "dl_tls", "cl_tls", T0).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(h.counts().deliveries_total, 1);
    // A client that does not trust the certificate cannot talk to it.
    assert!(reqwest::Client::new().post(h.url()).body("{}").send().await.is_err());
}

#[tokio::test]
async fn tls_from_pem_files() {
    let dir = tempfile::tempdir().unwrap();
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    std::fs::write(&cert, pair.cert.pem()).unwrap();
    std::fs::write(&key, pair.signing_key.serialize_pem()).unwrap();
    let mut config = common::config();
    config.tls = Some(TlsSettings::Pem { cert: cert.clone(), key });
    let h = start_with(config, StoreOptions::default()).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pair.cert.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let response = client
        .post(h.url().replace("127.0.0.1", "localhost"))
        .header("authorization", format!("Bearer {KEY}"))
        .body(event("call.started", "dl_pem", "cl_pem", T0).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // A key file that is not a key is a clear error.
    let mut bad = common::config();
    bad.tls = Some(TlsSettings::Pem { cert: cert.clone(), key: cert });
    let store = calleague_store::Store::open(dir.path().join("x.db"), StoreOptions::default()).unwrap();
    let err = calleague_receiver::Receiver::start(bad, store).await.err().unwrap();
    assert!(err.to_string().contains("no PEM private key"), "{err}");
}

#[tokio::test]
async fn committed_events_are_published_on_the_feed_with_their_call() {
    let h = start().await;
    let mut feed = h.receiver.subscribe();
    h.deliver(&event("call.completed", "dl_2", "cl_1", "2026-01-01T12:05:00.000Z")).await;
    h.deliver(&event("call.started", "dl_1", "cl_1", T0)).await;
    let mut items = Vec::new();
    for _ in 0..2 {
        items.push(tokio::time::timeout(Duration::from_secs(2), feed.recv()).await.unwrap().unwrap());
    }
    let FeedItem::Event { event, call } = &items[1] else { panic!("{items:?}") };
    assert!(event.late, "call.started arrived after a later event");
    assert_eq!(call.as_ref().unwrap().record.phase.map(|s| s.as_str()), Some("completed"));
    let calls = h.store.calls_page(&CallFilter::default(), &PageRequest::first(Order::NewestFirst, 10)).unwrap();
    assert_eq!(calls.items.len(), 1);
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let h = start().await;
    let mut config = common::config();
    config.bind = h.receiver.local_addr();
    let err = calleague_receiver::Receiver::start(config, h.store.clone()).await.err().unwrap();
    assert_eq!(err.code(), calleague_error_code::ErrorCode::PortInUse);
    assert!(err.to_string().contains("already in use"));
}
