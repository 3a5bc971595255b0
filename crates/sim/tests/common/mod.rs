//! Shared set-up: the real `calleague-sim` binary, and a real receiver on loopback.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig};
use calleague_store::{Store, StoreOptions};
use serde_json::Value;

pub const KEY: &str = "sk_sim_test_51c0";
pub const BIN: &str = env!("CARGO_BIN_EXE_calleague-sim");

pub struct Sim {
    pub process: calleague_testkit::SimProcess,
    pub url: String,
    pub http: reqwest::Client,
}

pub fn spawn_sim(extra: &[&str]) -> Sim {
    let process = calleague_testkit::spawn_sim(KEY, extra).expect("the simulator starts");
    let url = process.url.clone();
    Sim { process, url, http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap() }
}

impl Sim {
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_with_key(method, path, body, Some(KEY)).await
    }

    pub async fn call_with_key(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// Waits until no call is playing and no delivery is waiting.
    pub async fn wait_idle(&self, limit: Duration) -> Value {
        let begun = Instant::now();
        loop {
            let status = self.get("/sim/status").await;
            if status["idle"] == true {
                return status;
            }
            assert!(begun.elapsed() < limit, "the simulator did not settle: {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub struct Target {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub receiver: Receiver,
}

pub async fn receiver() -> Target {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let mut config = ReceiverConfig::new(KeySet::single(ApiKey::new(KEY).unwrap()));
    config.bind = "127.0.0.1:0".parse().unwrap();
    let receiver = Receiver::start(config, store.clone()).await.unwrap();
    Target { dir, store, receiver }
}

impl Target {
    pub fn export(&self, what: calleague_store::ExportWhat) -> Vec<Value> {
        let mut out = Vec::new();
        self.store.export(what, calleague_store::ExportFormat::Ndjson, Default::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}
