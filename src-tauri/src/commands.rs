//! The IPC commands: thin, each handing the work to the engine or the store.

use std::sync::Arc;

use calleague_events::Timestamp;
use calleague_store::{
    CallCursor, CallDetail, CallFilter, CallRow, Page, PageRequest, QuarantineRow, SecurityRow, StatusCounts,
};
use tauri::ipc::Channel;
use tauri::State;

use crate::engine::{AppStatus, Engine};
use crate::error::{AppError, AppResult};
use crate::feed::{self, FeedBatch};

/// Store reads block on SQLite; keep them off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> AppResult<T> + Send + 'static) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(f).await.map_err(|e| AppError::new("internal", e.to_string()))?
}

#[tauri::command]
pub async fn get_status(engine: State<'_, Arc<Engine>>) -> AppResult<AppStatus> {
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn connect_account(
    engine: State<'_, Arc<Engine>>,
    key: String,
    api_base_url: Option<String>,
) -> AppResult<AppStatus> {
    engine.connect_account(key, api_base_url).await?;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn remove_key(engine: State<'_, Arc<Engine>>) -> AppResult<AppStatus> {
    engine.remove_key().await?;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn start_demo(engine: State<'_, Arc<Engine>>) -> AppResult<AppStatus> {
    engine.start_demo().await?;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn leave_demo(engine: State<'_, Arc<Engine>>) -> AppResult<AppStatus> {
    engine.leave_demo().await?;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn set_port(engine: State<'_, Arc<Engine>>, port: u16) -> AppResult<AppStatus> {
    engine.set_port(port).await?;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn catch_up_now(engine: State<'_, Arc<Engine>>) -> AppResult<AppStatus> {
    engine.spawn_catch_up().await;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn suggest_port(engine: State<'_, Arc<Engine>>) -> AppResult<Option<u16>> {
    Ok(engine.suggest_port().await)
}

#[tauri::command]
pub async fn set_public_url(engine: State<'_, Arc<Engine>>, url: Option<String>) -> AppResult<AppStatus> {
    engine.set_public_url(url).await?;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn calls_page(
    engine: State<'_, Arc<Engine>>,
    filter: CallFilter,
    page: PageRequest<CallCursor>,
) -> AppResult<Page<CallRow, CallCursor>> {
    let store = engine.store.clone();
    blocking(move || Ok(store.calls_page(&filter, &page)?)).await
}

#[tauri::command]
pub async fn call_detail(engine: State<'_, Arc<Engine>>, call_id: String) -> AppResult<CallDetail> {
    let store = engine.store.clone();
    blocking(move || {
        store.call_detail(&call_id)?.ok_or_else(|| AppError::new("not_found", format!("no call {call_id}")))
    })
    .await
}

#[tauri::command]
pub async fn counts(engine: State<'_, Arc<Engine>>, since_ms: i64) -> AppResult<StatusCounts> {
    let store = engine.store.clone();
    let since = Timestamp::from_unix_millis(since_ms).map_err(|e| AppError::new("invalid_time", e.to_string()))?;
    blocking(move || Ok(store.counts(since)?)).await
}

#[tauri::command]
pub async fn facets(engine: State<'_, Arc<Engine>>) -> AppResult<calleague_store::Facets> {
    let store = engine.store.clone();
    blocking(move || Ok(store.facets()?)).await
}

#[tauri::command]
pub async fn quarantine(
    engine: State<'_, Arc<Engine>>,
    before_id: Option<i64>,
    limit: u32,
) -> AppResult<Vec<QuarantineRow>> {
    let store = engine.store.clone();
    blocking(move || Ok(store.quarantine_page(before_id, limit)?)).await
}

#[tauri::command]
pub async fn security_log(
    engine: State<'_, Arc<Engine>>,
    before_id: Option<i64>,
    limit: u32,
) -> AppResult<Vec<SecurityRow>> {
    let store = engine.store.clone();
    blocking(move || Ok(store.security_page(before_id, limit)?)).await
}

/// Opens the window's live feed.
#[tauri::command]
pub fn subscribe_feed(engine: State<'_, Arc<Engine>>, on_batch: Channel<FeedBatch>) {
    feed::forward(engine.store.clone(), on_batch);
}

#[tauri::command]
pub async fn transcript(
    engine: State<'_, Arc<Engine>>,
    transcript_id: String,
) -> AppResult<calleague_client::Transcript> {
    Ok(engine.client().await?.transcript(&transcript_id).await?)
}

/// The recording's audio as raw bytes (binary IPC, not JSON).
#[tauri::command]
pub async fn recording_audio(engine: State<'_, Arc<Engine>>, recording_id: String) -> AppResult<tauri::ipc::Response> {
    let audio = crate::recording::audio(&engine, &recording_id).await?;
    Ok(tauri::ipc::Response::new(audio))
}

/// Saves the recording where the person chooses; the chosen path, or nothing if cancelled.
#[tauri::command]
pub async fn save_recording<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: State<'_, Arc<Engine>>,
    recording_id: String,
    call_id: String,
) -> AppResult<Option<String>> {
    let saved = crate::recording::save(&app, &engine, &recording_id, &call_id).await?;
    Ok(saved.map(|p| p.display().to_string()))
}
