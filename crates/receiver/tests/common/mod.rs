//! Shared set-up: a real receiver on a loopback port, backed by a real SQLite file.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig};
use calleague_store::{Store, StoreOptions};
use serde_json::{json, Value};

pub const KEY: &str = "sk_test_receiver_3f9a1c";

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub receiver: Receiver,
    pub client: reqwest::Client,
}

pub fn config() -> ReceiverConfig {
    let mut config = ReceiverConfig::new(KeySet::single(ApiKey::new(KEY).unwrap()));
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.read_timeout = Duration::from_millis(600);
    config
}

pub async fn start() -> Harness {
    start_with(config(), StoreOptions::default()).await
}

pub async fn start_with(config: ReceiverConfig, options: StoreOptions) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), options).unwrap();
    let receiver = Receiver::start(config, store.clone()).await.unwrap();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    Harness { dir, store, receiver, client }
}

impl Harness {
    pub fn url(&self) -> String {
        self.receiver.url().to_owned()
    }

    pub async fn post(&self, auth: Option<&str>, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let mut request = self.client.post(self.url()).header("content-type", "application/json").body(body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn deliver(&self, body: &Value) -> (u16, Value) {
        self.post(Some(&format!("Bearer {KEY}")), body.to_string()).await
    }

    pub fn export_events(&self) -> Vec<Value> {
        let mut out = Vec::new();
        self.store
            .export(
                calleague_store::ExportWhat::Events,
                calleague_store::ExportFormat::Ndjson,
                Default::default(),
                &mut out,
            )
            .unwrap();
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    pub fn counts(&self) -> calleague_store::StatusCounts {
        self.store.counts(calleague_events::Timestamp::from_unix_millis(0).unwrap()).unwrap()
    }
}

pub fn event(name: &str, delivery_id: &str, call_id: &str, occurred_at: &str) -> Value {
    json!({
        "event": name,
        "deliveryId": delivery_id,
        "occurredAt": occurred_at,
        "data": { "callId": call_id, "agentId": "ag_123", "direction": "inbound", "metadata": { "orderId": "A-1042" } }
    })
}
