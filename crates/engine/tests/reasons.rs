//! Settings → Reasons over a real SQLite file and the real settings file: the reasons calls
//! ended with that have no entry, an entry of the user's (checked by field, nothing saved
//! when refused), kept across a restart, a default replaced and reset.

use std::sync::Arc;

use calleague_engine::{Category, Engine, ErrorCode, MemoryKeychain, ReasonEntry};
use calleague_events::Timestamp;
use calleague_store::{IncomingDelivery, Store, StoreOptions};
use serde_json::json;

fn engine_on(dir: &tempfile::TempDir) -> Arc<Engine> {
    let store = Store::open(dir.path().join("monitor.db"), StoreOptions::default()).unwrap();
    Arc::new(Engine::new(store, Arc::new(MemoryKeychain::default()), dir.path().to_path_buf()))
}

async fn ended(engine: &Engine, call: &str, reason: &str) {
    let body =
        json!({"event": "call.failed", "deliveryId": format!("dl_{call}"), "occurredAt": Timestamp::now().to_string(),
        "data": {"callId": call, "endedReason": reason}})
        .to_string()
        .into_bytes();
    engine.store().ingest(IncomingDelivery::webhook(body).unwrap()).await.unwrap();
}

fn entry(reason: &str, category: Category, explanation: &str) -> ReasonEntry {
    ReasonEntry { reason: reason.into(), category, explanation: explanation.into() }
}

#[tokio::test]
async fn unknown_reasons_are_listed_categorised_kept_and_defaults_reset() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_on(&dir);
    ended(&engine, "c1", "busy").await;
    ended(&engine, "c2", "x-trunk-dropped").await;
    let view = engine.reasons_view().await.unwrap();
    assert_eq!(view.unknown, ["x-trunk-dropped"]);
    let busy = view.entries.iter().find(|r| r.entry.reason == "busy").unwrap();
    assert_eq!((busy.entry.category, busy.custom, busy.has_default), (Category::Caller, false, true));

    // Refused by field, nothing saved.
    let refused = engine.set_reason(entry("x-trunk-dropped", Category::Provider, "  ")).await.unwrap_err();
    assert_eq!((refused.code, refused.field.as_deref()), (ErrorCode::SettingInvalid, Some("explanation")));
    assert_eq!(engine.reasons_view().await.unwrap().unknown, ["x-trunk-dropped"]);

    let view =
        engine.set_reason(entry(" x-trunk-dropped ", Category::Provider, "Our SIP trunk dropped it.")).await.unwrap();
    assert!(view.unknown.is_empty());
    let mine = view.entries.iter().find(|r| r.entry.reason == "x-trunk-dropped").unwrap();
    assert_eq!((mine.entry.category, mine.custom, mine.has_default), (Category::Provider, true, false));
    engine.set_reason(entry("busy", Category::Provider, "Busy means our trunk is full.")).await.unwrap();

    // A restart reads them back from the settings file.
    engine.shutdown().await;
    drop(engine);
    let engine = engine_on(&dir);
    let view = engine.reasons_view().await.unwrap();
    let busy = view.entries.iter().find(|r| r.entry.reason == "busy").unwrap();
    assert_eq!((busy.entry.category, busy.custom), (Category::Provider, true));
    assert!(view.unknown.is_empty());

    // Reset: the default again; a code with no entry of the user's cannot be reset.
    let view = engine.reset_reason("busy".into()).await.unwrap();
    let busy = view.entries.iter().find(|r| r.entry.reason == "busy").unwrap();
    assert_eq!((busy.entry.category, busy.custom), (Category::Caller, false));
    let refused = engine.reset_reason("no-answer".into()).await.unwrap_err();
    assert_eq!(refused.field.as_deref(), Some("reason"));
    engine.shutdown().await;
}
