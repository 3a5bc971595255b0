//! The IPC commands on Tauri's mock runtime, with the app's real context: its capabilities
//! decide what the window may call, as in the app. Each test has its own SQLite file; the
//! JSON goes in and comes out exactly as the UI sends and reads it.

use std::sync::Arc;

use calleague_engine::{Engine, MemoryKeychain};
use calleague_events::{parse_delivery, Timestamp};
use calleague_store::{IncomingDelivery, QuarantineItem, Source, Store, StoreOptions};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    store: Arc<Store>,
    dir: tempfile::TempDir,
}

fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    let engine = Arc::new(Engine::new(store.clone(), Arc::new(MemoryKeychain::default()), dir.path().to_path_buf()));
    let app = mock_builder()
        .manage(engine)
        .invoke_handler(calleague_monitor_lib::commands())
        .build(tauri::generate_context!())
        .unwrap();
    // The capability grants the commands to the window labelled "main".
    let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    Harness { app, window, store, dir }
}

impl Harness {
    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke_from(&self.window, cmd, args)
    }

    fn deliver(&self, event: &str, call: &str, at: &str, data: Value) {
        let mut body = json!({"event": event, "deliveryId": format!("{call}-{event}"), "occurredAt": at,
            "data": {"callId": call}});
        if let (Some(target), Value::Object(extra)) = (body["data"].as_object_mut(), data) {
            target.extend(extra);
        }
        let raw = body.to_string().into_bytes();
        let item = IncomingDelivery {
            received_at: Timestamp::now(),
            peer: Some("127.0.0.1:5000".into()),
            headers: vec![],
            parsed: parse_delivery(&raw).unwrap(),
            body: raw,
            hidden: false,
            source: Source::Webhook,
        };
        tauri::async_runtime::block_on(self.store.ingest(item)).unwrap();
    }
}

/// What the UI's `invoke(cmd, args)` does, from `window`.
fn invoke_from(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().unwrap())
}

fn ids(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|c| c["callId"].as_str().unwrap()).collect()
}

#[test]
fn calls_page_filters_by_state_and_time_range_as_the_ui_sends_them() {
    let h = harness();
    h.deliver("call.started", "cl_early", "2026-01-01T09:00:00.000Z", json!({"agentId": "ag_a"}));
    h.deliver("call.started", "cl_mid", "2026-01-01T10:30:00.000Z", json!({"agentId": "ag_a"}));
    h.deliver("call.failed", "cl_mid", "2026-01-01T10:31:00.000Z", json!({"endedReason": "busy"}));
    h.deliver("call.started", "cl_late", "2026-01-01T12:00:00.000Z", json!({"agentId": "ag_b"}));

    let filter = |range: Value, phases: Value| {
        json!({"filter": {"phases": phases, "agents": [], "directions": [], "endedReasons": [], "languages": [],
            "range": range, "text": null}, "page": {"order": "newestFirst", "limit": 200}})
    };
    let all = h.invoke("calls_page", filter(json!({}), json!([]))).unwrap();
    assert_eq!(ids(&all), ["cl_late", "cl_mid", "cl_early"]);
    assert_eq!(all["items"][1]["phase"], "failed");
    assert_eq!(all["items"][1]["endedReason"], "busy");

    // `from` inclusive, `to` exclusive; the UI leaves out an open end.
    let ranged = h
        .invoke(
            "calls_page",
            filter(json!({"from": "2026-01-01T10:30:00.000Z", "to": "2026-01-01T12:00:00.000Z"}), json!([])),
        )
        .unwrap();
    assert_eq!(ids(&ranged), ["cl_mid"]);
    let open_end = h.invoke("calls_page", filter(json!({"from": "2026-01-01T10:00:00+00:00"}), json!([]))).unwrap();
    assert_eq!(ids(&open_end), ["cl_late", "cl_mid"]);
    let failed = h.invoke("calls_page", filter(json!({}), json!(["failed"]))).unwrap();
    assert_eq!(ids(&failed), ["cl_mid"]);
}

#[test]
fn a_bad_time_in_a_filter_is_an_error_with_a_code_not_a_crash() {
    let h = harness();
    let err = h
        .invoke(
            "calls_page",
            json!({"filter": {"range": {"from": "yesterday"}}, "page": {"order": "newestFirst", "limit": 10}}),
        )
        .unwrap_err();
    // Tauri reports arguments it cannot read as a message naming the command and argument.
    let text = err.to_string();
    assert!(text.contains("calls_page") && text.contains("filter"), "{text}");
    let err = h.invoke("counts", json!({"sinceMs": i64::MAX})).unwrap_err();
    assert_eq!(err["code"], "invalid_time", "{err}");
}

#[test]
fn errors_cross_ipc_as_code_and_message() {
    let h = harness();
    let err = h.invoke("call_detail", json!({"callId": "cl_nowhere"})).unwrap_err();
    assert_eq!(err, json!({"code": "not_found", "message": "no call cl_nowhere"}));
    let err = h.invoke("set_port", json!({"port": 80})).unwrap_err();
    assert_eq!(err["code"], "port_invalid");
    let err = h.invoke("connect_account", json!({"key": "   ", "apiBaseUrl": null})).unwrap_err();
    assert_eq!(err["code"], "key_empty");
    // Nothing was saved by the refusals.
    let status = h.invoke("get_status", json!({})).unwrap();
    assert_eq!(status["mode"], Value::Null);
    assert_eq!(status["port"], 8787);
    assert_eq!(status["keyMasked"], Value::Null);
}

#[test]
fn call_detail_returns_every_event_with_its_raw_body() {
    let h = harness();
    h.deliver("call.started", "cl_1", "2026-01-01T09:00:00.000Z", json!({"metadata": {"note": "<b>hi</b>"}}));
    h.deliver("call.completed", "cl_1", "2026-01-01T09:02:00.000Z", json!({"durationSec": 120}));
    let detail = h.invoke("call_detail", json!({"callId": "cl_1"})).unwrap();
    assert_eq!(detail["call"]["phase"], "completed");
    assert_eq!(detail["call"]["metadata"]["note"], "<b>hi</b>");
    let events: Vec<&str> =
        detail["events"].as_array().unwrap().iter().map(|e| e["eventName"].as_str().unwrap()).collect();
    assert_eq!(events, ["call.started", "call.completed"]);
    let body: Value = serde_json::from_str(detail["events"][0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["metadata"]["note"], "<b>hi</b>");
}

#[test]
fn quarantine_pages_newest_first_by_id() {
    let h = harness();
    for i in 0..7 {
        let item = QuarantineItem {
            received_at: Timestamp::now(),
            peer: None,
            headers: vec![],
            body: format!("not json {i}").into_bytes(),
            reason: "not JSON".into(),
        };
        tauri::async_runtime::block_on(h.store.quarantine(item)).unwrap();
    }
    let first = h.invoke("quarantine", json!({"beforeId": null, "limit": 3})).unwrap();
    let first_ids: Vec<i64> = first.as_array().unwrap().iter().map(|q| q["id"].as_i64().unwrap()).collect();
    assert_eq!(first_ids.len(), 3);
    assert!(first_ids.windows(2).all(|w| w[0] > w[1]), "{first_ids:?}");
    let rest = h.invoke("quarantine", json!({"beforeId": first_ids[2], "limit": 100})).unwrap();
    let rest_ids: Vec<i64> = rest.as_array().unwrap().iter().map(|q| q["id"].as_i64().unwrap()).collect();
    assert_eq!(rest_ids.len(), 4);
    assert!(rest_ids.iter().all(|id| *id < first_ids[2]));
    assert_eq!(rest[3]["body"], "not json 0");
}

#[test]
fn a_command_the_app_does_not_have_is_refused() {
    let h = harness();
    let err = h.invoke("drop_database", json!({})).unwrap_err();
    assert!(err.to_string().contains("drop_database"), "{err}");
}

#[test]
fn only_the_main_window_is_granted_the_commands() {
    let h = harness();
    let other = WebviewWindowBuilder::new(&h.app, "other", Default::default()).build().unwrap();
    let err = invoke_from(&other, "get_status", json!({})).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    assert!(h.invoke("get_status", json!({})).is_ok());
}

#[test]
fn the_public_url_must_be_https_and_is_kept() {
    let h = harness();
    let err = h.invoke("set_public_url", json!({"url": "http://tunnel.example"})).unwrap_err();
    assert_eq!(err["code"], "public_url_invalid");
    let status = h.invoke("set_public_url", json!({"url": " https://tunnel.example/hooks "})).unwrap();
    assert_eq!(status["publicUrl"], "https://tunnel.example/hooks");
    // Kept in the settings file: a new engine over the same folder reads it back.
    let again = Engine::new(h.store.clone(), Arc::new(MemoryKeychain::default()), h.dir.path().to_path_buf());
    let status = tauri::async_runtime::block_on(again.status());
    assert_eq!(status.public_url.as_deref(), Some("https://tunnel.example/hooks"));
    let cleared = h.invoke("set_public_url", json!({"url": null})).unwrap();
    assert_eq!(cleared["publicUrl"], Value::Null);
}
