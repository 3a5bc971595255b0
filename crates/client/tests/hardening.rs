//! Where the API key may go, and what a hostile server or payload cannot make the client
//! do: plain http only to this computer, no redirect of a keyed request to another origin,
//! no id that changes the request path, no recording larger than the cap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::{Json, Router};
use calleague_client::{Client, ClientConfig, ClientError, SecretKey};
use calleague_error_code::ErrorCode;
use serde_json::json;

const KEY: &str = "sk_hardening_test_6e1f";

async fn scripted(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn client(base: &str, tweak: impl FnOnce(&mut ClientConfig)) -> Result<Client, ClientError> {
    let mut config = ClientConfig::with_base_url(base);
    config.retry.max_attempts = 1;
    tweak(&mut config);
    Client::new(config, SecretKey::new(KEY).unwrap())
}

#[test]
fn the_key_goes_over_plain_http_only_to_this_computer() {
    for refused in ["http://calls.example.com", "http://10.0.0.7:8790", "http://192.168.1.2", "ftp://127.0.0.1"] {
        let err = client(refused, |_| {}).err().unwrap_or_else(|| panic!("{refused} was accepted"));
        assert_eq!(err.code(), ErrorCode::Validation, "{refused}");
        assert!(err.to_string().contains("https://"), "{err}");
    }
    for allowed in [
        "https://app.calleague.ai",
        "http://127.0.0.1:8790",
        "http://localhost:8790",
        "http://[::1]:8790",
        "http://127.8.9.1",
    ] {
        assert!(client(allowed, |_| {}).is_ok(), "{allowed} was refused");
    }
}

#[tokio::test]
async fn a_keyed_request_never_follows_a_redirect_to_another_origin() {
    // The other origin records every request that reaches it, and its Authorization header.
    let reached: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let seen = reached.clone();
    let elsewhere = scripted(Router::new().fallback(move |headers: HeaderMap| {
        let auth = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or_default().to_owned());
        seen.lock().unwrap().push(auth);
        async { Json(json!({"total": 0, "list": []})) }
    }))
    .await;
    let target = format!("{elsewhere}/api/core/webhook");
    let api = scripted(
        Router::new()
            .route("/api/core/webhook", get(move || async move { Redirect::temporary(&target) }))
            // A redirect within the same origin is fine.
            .route(
                "/api/core/voice/agent/call/{id}",
                get(|| async { Redirect::temporary("/api/core/voice/agent/call/moved") }),
            )
            .route("/api/core/voice/agent/call/moved", get(|| async { Json(json!({"callId": "cl_moved"})) })),
    )
    .await;
    let api = client(&api, |_| {}).unwrap();
    let err = api.list_webhooks().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::UnexpectedReply, "{err}");
    assert!(err.to_string().contains("another origin"), "{err}");
    assert!(reached.lock().unwrap().is_empty(), "the other origin was reached: {:?}", reached.lock().unwrap());
    assert_eq!(api.call("cl_1").await.unwrap().call_id, "cl_moved");
}

#[tokio::test]
async fn ids_that_would_change_the_path_are_refused_before_any_request() {
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let base = scripted(Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { StatusCode::NOT_FOUND }
    }))
    .await;
    let api = client(&base, |_| {}).unwrap();
    for id in ["..", ".", "a/b", "../webhook", "a\\b", "", "x\ny"] {
        assert_eq!(api.recording(id).await.unwrap_err().code(), ErrorCode::Validation, "recording {id:?}");
        assert_eq!(api.transcript(id).await.unwrap_err().code(), ErrorCode::Validation, "transcript {id:?}");
        assert_eq!(api.call(id).await.unwrap_err().code(), ErrorCode::Validation, "call {id:?}");
        assert_eq!(api.delete_webhook(id).await.unwrap_err().code(), ErrorCode::Validation, "webhook {id:?}");
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0, "no request left the client");
    // Dots inside an id are fine.
    assert_eq!(api.recording("rec.2026.01").await.unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_recording_over_the_cap_is_refused_whether_or_not_its_size_is_declared() {
    let audio_base: Arc<Mutex<String>> = Arc::default();
    let link = audio_base.clone();
    let base = scripted(
        Router::new()
            .route(
                "/api/core/recording/{id}",
                get(move |axum::extract::Path(id): axum::extract::Path<String>| {
                    let url = format!("{}/audio/{id}", link.lock().unwrap());
                    async move { Json(json!({"recordingId": id, "callId": "c", "url": url})) }
                }),
            )
            // 2,000 bytes with a Content-Length.
            .route("/audio/declared", get(|| async { vec![7u8; 2000].into_response() }))
            // 2,000 bytes streamed without one.
            .route(
                "/audio/streamed",
                get(|| async {
                    let chunks = (0..20).map(|_| Ok::<_, std::io::Error>(vec![7u8; 100]));
                    Body::from_stream(futures_util::stream::iter(chunks)).into_response()
                }),
            ),
    )
    .await;
    *audio_base.lock().unwrap() = base.clone();
    let capped = client(&base, |c| c.max_recording_bytes = 1000).unwrap();
    for id in ["declared", "streamed"] {
        let mut received = 0usize;
        let err = capped
            .download_recording(id, |chunk| {
                received += chunk.len();
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("larger than"), "{id}: {err}");
        assert!(received <= 1000, "{id}: {received} bytes written past the cap");
    }
    let roomy = client(&base, |c| c.max_recording_bytes = 5000).unwrap();
    for id in ["declared", "streamed"] {
        let mut received = 0usize;
        let (_, written) = roomy
            .download_recording(id, |chunk| {
                received += chunk.len();
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!((written, received), (2000, 2000), "{id}");
    }
}
