//! The client against the real simulator, and against a scripted server for the failure
//! modes the simulator does not produce.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use calleague_client::{
    pointing_at, validate_draft, Client, ClientConfig, ClientError, RetryPolicy, SecretKey, UrlPolicy, WebhookDraft,
};
use calleague_events::Timestamp;
use common::{spawn_sim, KEY};
use serde_json::json;

fn client(base: &str) -> Client {
    client_with(base, KEY, |_| {})
}

fn client_with(base: &str, key: &str, tweak: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut config = ClientConfig::with_base_url(base);
    config.retry =
        RetryPolicy { max_attempts: 4, first_delay: Duration::from_millis(50), max_delay: Duration::from_secs(3) };
    tweak(&mut config);
    Client::new(config, SecretKey::new(key).unwrap()).unwrap()
}

fn draft(url: &str, events: &[&str]) -> WebhookDraft {
    WebhookDraft { url: url.into(), events: events.iter().map(|e| e.to_string()).collect() }
}

#[tokio::test]
async fn webhooks_round_trip_through_the_simulator() {
    let sim = spawn_sim(&[]);
    let api = client(&sim.url);
    api.check_key().await.unwrap();
    assert!(api.list_webhooks().await.unwrap().is_empty());

    let receiver = "http://127.0.0.1:8787/hooks/calleague";
    let policy = UrlPolicy { allow_loopback_http: true, ..UrlPolicy::default() };
    let checked = validate_draft(&draft(receiver, &["call.started", "call.ended"]), policy, &[], None).unwrap();
    let created = api.create_webhook(&checked).await.unwrap();
    assert_eq!(created.events, ["call.started", "call.completed"]);
    assert!(created.created_at.is_some());

    let existing = api.list_webhooks().await.unwrap();
    assert_eq!(pointing_at(&existing, "http://127.0.0.1:8787/hooks/calleague/").len(), 1);
    let again = validate_draft(&draft(receiver, &["call.completed", "call.started"]), policy, &existing, None);
    assert_eq!(
        again.unwrap_err().code(),
        calleague_error_code::ErrorCode::Validation,
        "a duplicate subscription is refused before sending"
    );

    let updated = api.update_webhook(&created.webhook_id, &draft(receiver, &["call.failed"])).await.unwrap();
    assert_eq!(updated.events, ["call.failed"]);
    api.delete_webhook(&created.webhook_id).await.unwrap();
    assert!(api.list_webhooks().await.unwrap().is_empty());
    assert!(pointing_at(&api.list_webhooks().await.unwrap(), receiver).is_empty());

    let gone = api.delete_webhook(&created.webhook_id).await.unwrap_err();
    assert_eq!(gone.code(), calleague_error_code::ErrorCode::NotFound);
    let missing = api.update_webhook("wh_nope", &draft(receiver, &["call.failed"])).await.unwrap_err();
    assert_eq!(missing.code(), calleague_error_code::ErrorCode::NotFound);
    // The server's own 422 message reaches the caller.
    let refused = api.create_webhook(&draft("http://example.com/x", &["call.started"])).await.unwrap_err();
    assert_eq!(refused.code(), calleague_error_code::ErrorCode::InvalidRequest);
    assert!(refused.to_string().contains("https"), "{refused}");
}

#[tokio::test]
async fn a_rejected_key_is_its_own_error() {
    let sim = spawn_sim(&[]);
    let err = client_with(&sim.url, "sk_wrong", |_| {}).check_key().await.unwrap_err();
    assert_eq!(err.code(), calleague_error_code::ErrorCode::KeyRejected);
    assert!(matches!(err, ClientError::KeyRejected { status: 401, .. }));
}

#[tokio::test]
async fn lists_are_walked_to_the_end_with_progress() {
    let sim = spawn_sim(&[]);
    let api = client_with(&sim.url, KEY, |c| c.page_size = 3);
    for i in 0..7 {
        api.create_webhook(&draft(&format!("https://example.com/{i}"), &["call.started"])).await.unwrap();
    }
    assert_eq!(api.list_webhooks().await.unwrap().len(), 7);

    let sim = spawn_sim(&["--time-scale", "1000"]);
    let http = reqwest::Client::new();
    let started = http
        .post(format!("{}/sim/calls", sim.url))
        .bearer_auth(KEY)
        .json(&json!({"calls": 8, "rate": 200}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status().as_u16(), 202);
    wait_idle(&sim.url).await;
    let api = client_with(&sim.url, KEY, |c| c.page_size = 3);
    let mut reports = Vec::new();
    let from = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - 3_600_000).unwrap();
    let calls = api.list_calls(from, Timestamp::now().saturating_add_millis(1000), |p| reports.push(p)).await.unwrap();
    assert_eq!(calls.len(), 8);
    assert_eq!(reports.len(), 3);
    assert_eq!(reports.last().unwrap().pages, Some(3));
    assert_eq!(reports.iter().map(|p| p.items).collect::<Vec<_>>(), [3, 6, 8]);
    // An empty window.
    let none = api.list_calls(from, from.saturating_add_millis(1), |_| {}).await.unwrap();
    assert!(none.is_empty());

    let one = api.call(&calls[0].call_id).await.unwrap();
    assert_eq!(one, calls[0]);
    assert_eq!(api.call("cl_nope").await.unwrap_err().code(), calleague_error_code::ErrorCode::NotFound);

    // Recordings stream to a sink and decode to their stated length; transcripts match.
    let with_media =
        calls.iter().find(|c| c.recording_id.is_some() && c.transcript_id.is_some()).expect("a completed call");
    let mut audio = Vec::new();
    let (recording, written) = api
        .download_recording(with_media.recording_id.as_deref().unwrap(), |chunk| {
            audio.extend_from_slice(chunk);
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(written as usize, audio.len());
    let reader = hound::WavReader::new(std::io::Cursor::new(audio)).unwrap();
    let seconds = reader.duration() as f64 / f64::from(reader.spec().sample_rate);
    assert!((seconds - recording.duration_sec.unwrap()).abs() < 0.01);
    let transcript = api.transcript(with_media.transcript_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(transcript.segments.last().unwrap().end_sec, recording.duration_sec.unwrap());
    assert_eq!(api.recording("rec_nope").await.unwrap_err().code(), calleague_error_code::ErrorCode::NotFound);
}

async fn wait_idle(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let status: serde_json::Value =
            http.get(format!("{base}/sim/status")).bearer_auth(KEY).send().await.unwrap().json().await.unwrap();
        if status["idle"] == true {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the simulator did not settle");
}

#[tokio::test]
async fn rate_limits_are_waited_out_with_retry_after() {
    let sim = spawn_sim(&["--rate-limit", "2"]);
    let api = client(&sim.url);
    let begun = Instant::now();
    for _ in 0..5 {
        api.list_webhooks().await.unwrap();
    }
    assert!(begun.elapsed() >= Duration::from_millis(900), "the client waited as told");
    let impatient = client_with(&sim.url, KEY, |c| c.retry.max_attempts = 1);
    let mut last = Ok(());
    for _ in 0..5 {
        last = impatient.check_key().await;
    }
    match last {
        Err(ClientError::RateLimited { retry_after: Some(after), .. }) => assert!(after >= Duration::from_secs(1)),
        other => panic!("expected rate limiting, got {other:?}"),
    }
}

/// A server with scripted replies.
async fn scripted(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn server_errors_are_retried_for_reads_only() {
    let hits = Arc::new(AtomicUsize::new(0));
    let posts = Arc::new(AtomicUsize::new(0));
    let (h, p) = (hits.clone(), posts.clone());
    let router = Router::new().route(
        "/api/core/webhook",
        get(move || {
            let n = h.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
                } else {
                    // A bare array, with `id` instead of `webhookId`.
                    Json(json!([{"id": "w1", "url": "https://x.example/h", "events": ["call.started"]}]))
                        .into_response()
                }
            }
        })
        .post(move || {
            p.fetch_add(1, Ordering::SeqCst);
            async { (StatusCode::BAD_GATEWAY, Json(json!({"code": "upstream", "message": "gateway trouble"}))) }
        }),
    );
    let base = scripted(router).await;
    let api = client(&base);
    let hooks = api.list_webhooks().await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 3, "two 503s, then success");
    assert_eq!(hooks[0].webhook_id, "w1");
    let err = api.create_webhook(&draft("https://x.example/h", &["call.started"])).await.unwrap_err();
    assert_eq!(posts.load(Ordering::SeqCst), 1, "a create is never repeated blindly");
    assert_eq!(err.code(), calleague_error_code::ErrorCode::ServerError);
    assert!(err.to_string().contains("gateway trouble"));
}

#[tokio::test]
async fn unreachable_slow_and_odd_servers_are_named_plainly() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = client_with(&dead, KEY, |c| c.retry.max_attempts = 2).check_key().await.unwrap_err();
    assert_eq!(err.code(), calleague_error_code::ErrorCode::Unreachable);
    assert!(err.to_string().contains("cannot reach Calleague"));

    let router = Router::new()
        .route(
            "/api/core/webhook",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route("/api/core/voice/agent/call/{id}", get(|| async { "<html>not json</html>" }))
        .route("/api/core/recording/{id}", get(|| async { Json(json!({"recordingId": "r"})) }));
    let base = scripted(router).await;
    let api = client_with(&base, KEY, |c| {
        c.timeout = Duration::from_millis(300);
        c.retry.max_attempts = 1;
    });
    assert_eq!(api.check_key().await.unwrap_err().code(), calleague_error_code::ErrorCode::TimedOut);
    let odd = api.call("c1").await.unwrap_err();
    assert_eq!(odd.code(), calleague_error_code::ErrorCode::UnexpectedReply);
    assert!(odd.to_string().contains("not JSON"));
    let incomplete = api.recording("r").await.unwrap_err();
    assert!(incomplete.to_string().contains("url"), "{incomplete}");
}

#[tokio::test]
async fn an_expired_recording_link_is_fetched_again_and_the_key_never_sent_to_it() {
    let metadata_reads = Arc::new(AtomicUsize::new(0));
    let saw_key = Arc::new(AtomicUsize::new(0));
    let (m, k) = (metadata_reads.clone(), saw_key.clone());
    let base_cell = Arc::new(std::sync::OnceLock::<String>::new());
    let b = base_cell.clone();
    let router = Router::new()
        .route(
            "/api/core/recording/{id}",
            get(move || {
                let n = m.fetch_add(1, Ordering::SeqCst);
                let base = b.get().cloned().unwrap_or_default();
                async move {
                    let link = if n == 0 { "expired" } else { "fresh" };
                    Json(json!({"recordingId": "r1", "url": format!("{base}/audio/{link}"), "durationSec": 1.0}))
                }
            }),
        )
        .route(
            "/audio/{which}",
            get(move |axum::extract::Path(which): axum::extract::Path<String>, headers: axum::http::HeaderMap| {
                if headers.contains_key("authorization") {
                    k.fetch_add(1, Ordering::SeqCst);
                }
                async move {
                    if which == "expired" {
                        (StatusCode::FORBIDDEN, "expired").into_response()
                    } else {
                        vec![7u8; 4096].into_response()
                    }
                }
            }),
        );
    let base = scripted(router).await;
    base_cell.set(base.clone()).unwrap();
    let mut bytes = 0;
    let (_, written) = client(&base)
        .download_recording("r1", |chunk| {
            bytes += chunk.len();
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!((written, bytes), (4096, 4096));
    assert_eq!(metadata_reads.load(Ordering::SeqCst), 2);
    assert_eq!(saw_key.load(Ordering::SeqCst), 0);
}
