//! A real receiver over a real SQLite file, and a real handler on a loopback port that
//! records what it gets and answers as a test tells it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use calleague_receiver::{KeySet, Receiver, ReceiverConfig};
use calleague_store::{Store, StoreOptions};

pub const KEY: &str = "sk_test_forward_61c0d2";

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub receiver: Receiver,
    pub client: reqwest::Client,
}

pub async fn start(subscriptions: Option<&[&str]>) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    start_in(dir, subscriptions).await
}

pub async fn start_in(dir: tempfile::TempDir, subscriptions: Option<&[&str]>) -> Harness {
    let mut config = ReceiverConfig::new(KeySet::single(calleague_receiver::ApiKey::new(KEY).unwrap()));
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.subscriptions = subscriptions.map(|s| s.iter().map(|n| n.to_string()).collect());
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let receiver = Receiver::start(config, store.clone()).await.unwrap();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    Harness { dir, store, receiver, client }
}

impl Harness {
    /// Posts `body` as Calleague would, with `headers` beside the Bearer token; the status.
    pub async fn deliver(&self, body: &str, headers: &[(&str, &str)]) -> u16 {
        let mut request = self.client.post(self.receiver.url()).header("authorization", format!("Bearer {KEY}"));
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
            request = request.header("content-type", "application/json");
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(body.to_owned()).send().await.unwrap().status().as_u16()
    }

    pub async fn stop(self) -> tempfile::TempDir {
        self.receiver.shutdown().await;
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.close()).await.unwrap();
        self.dir
    }
}

pub fn event(name: &str, delivery_id: &str, call_id: &str) -> String {
    format!(
        r#"{{"event":"{name}","deliveryId":"{delivery_id}","occurredAt":"2026-12-02T10:00:00.000Z","data":{{"callId":"{call_id}","agentId":"ag_1"}}}}"#
    )
}

/// What a handler got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn delivery_id(&self) -> String {
        let value: serde_json::Value = serde_json::from_slice(&self.body).unwrap();
        value["deliveryId"].as_str().unwrap().to_owned()
    }
}

/// How the handler answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The next status in `statuses`, 200 once they are used up.
    Answer,
    /// Never answers (the request hangs until the client gives up).
    Hang,
}

#[derive(Default)]
pub struct Handler {
    pub received: Mutex<Vec<Received>>,
    pub statuses: Mutex<VecDeque<u16>>,
    pub mode: Mutex<Option<Mode>>,
}

impl Handler {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = Some(mode);
    }

    /// Waits until `done` holds for what was received, at most `limit`.
    pub async fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let until = tokio::time::Instant::now() + limit;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < until,
                "timed out waiting for {what}; received {} requests",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn handle(State(handler): State<Arc<Handler>>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let mode = handler.mode.lock().unwrap().unwrap_or(Mode::Answer);
    if mode == Mode::Hang {
        std::future::pending::<()>().await;
    }
    handler.received.lock().unwrap().push(Received { headers, body });
    let status = handler.statuses.lock().unwrap().pop_front().unwrap_or(200);
    let text = if status == 200 { "thanks".to_owned() } else { format!("handler error {status}") };
    (StatusCode::from_u16(status).unwrap(), text)
}

/// A handler on `addr` (a free loopback port when None), serving `POST /hooks`.
pub async fn handler_at(addr: Option<SocketAddr>, handler: Arc<Handler>) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap())).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/hooks", axum::routing::post(handle)).with_state(handler);
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, task)
}

/// A loopback port nobody listens on (bound, then let go).
pub fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

pub fn target_url(addr: SocketAddr) -> String {
    format!("http://{addr}/hooks")
}
