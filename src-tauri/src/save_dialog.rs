//! "Save recording…": the native save dialog (in Downloads, named after the call), then
//! the engine downloads the audio there. The webview is granted nothing of the dialog
//! plugin; only this code uses it.

use std::path::PathBuf;

use calleague_engine::recording;
use calleague_engine::{AppError, Engine, ErrorCode};
use tauri::Manager;
use tauri_plugin_dialog::DialogExt;

/// The saved path, or `None` when the person cancels.
pub async fn save_recording<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    engine: &Engine,
    recording_id: &str,
    call_id: &str,
) -> Result<Option<PathBuf>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Save recording")
        .set_file_name(recording::file_name(call_id))
        .add_filter("WAV audio", &["wav"]);
    if let Ok(downloads) = app.path().download_dir() {
        dialog = dialog.set_directory(downloads);
    }
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    dialog.save_file(move |choice| {
        let _ = tx.send(choice);
    });
    let Some(choice) = rx.await.ok().flatten() else { return Ok(None) };
    let path =
        choice.into_path().map_err(|e| AppError::new(ErrorCode::SaveFailed, format!("cannot save there: {e}")))?;
    recording::save(engine, recording_id, &path).await?;
    Ok(Some(path))
}
