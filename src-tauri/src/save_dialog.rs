//! The native file dialogs: "Save recording…" (in Downloads, named after the call, then
//! the engine downloads the audio there), "Export…" (then the engine writes the export
//! there, with progress and cancel), and picking a TLS PEM file. The webview is granted
//! nothing of the dialog plugin; only this code uses it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use calleague_engine::export::{suggested_file_name, ExportProgress, ExportRequest};
use serde::Serialize;

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
    let dialog =
        dialog(app, "Save recording").set_file_name(recording::file_name(call_id)).add_filter("WAV audio", &["wav"]);
    dialog.save_file(move |choice| {
        let _ = tx.send(choice);
    });
    let Some(choice) = rx.await.ok().flatten() else { return Ok(None) };
    let path =
        choice.into_path().map_err(|e| AppError::new(ErrorCode::SaveFailed, format!("cannot save there: {e}")))?;
    recording::save(engine, recording_id, &path).await?;
    Ok(Some(path))
}

/// The export in progress, if any, so that "Cancel" can stop it. One at a time.
#[derive(Default)]
pub struct RunningExport(Mutex<Option<Arc<AtomicBool>>>);

impl RunningExport {
    pub fn cancel(&self) {
        if let Some(flag) = self.0.lock().ok().and_then(|r| r.clone()) {
            flag.store(true, Ordering::Relaxed);
        }
    }

    fn begin(&self) -> Result<Arc<AtomicBool>, AppError> {
        let mut running = self.0.lock().map_err(|_| AppError::new(ErrorCode::Internal, "export state poisoned"))?;
        if running.as_ref().is_some_and(|flag| !flag.load(Ordering::Relaxed)) {
            return Err(AppError::new(
                ErrorCode::SaveFailed,
                "An export is already running: wait for it or cancel it.",
            ));
        }
        let flag = Arc::new(AtomicBool::new(false));
        *running = Some(flag.clone());
        Ok(flag)
    }

    fn end(&self) {
        if let Ok(mut running) = self.0.lock() {
            *running = None;
        }
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportDone {
    pub path: String,
    pub rows: u64,
}

/// The export, written where the person chooses; `None` when the dialog is cancelled.
pub async fn export<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    engine: &Engine,
    running: &RunningExport,
    request: ExportRequest,
    progress: impl FnMut(ExportProgress) + Send + 'static,
) -> Result<Option<ExportDone>, AppError> {
    let (name, filter) = match request.format {
        calleague_store::ExportFormat::Ndjson => ("NDJSON", "ndjson"),
        calleague_store::ExportFormat::Csv => ("CSV", "csv"),
    };
    let dialog = dialog(app, "Export").set_file_name(suggested_file_name(&request)).add_filter(name, &[filter]);
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog.save_file(move |choice| {
        let _ = tx.send(choice);
    });
    let Some(choice) = rx.await.ok().flatten() else { return Ok(None) };
    let path =
        choice.into_path().map_err(|e| AppError::new(ErrorCode::SaveFailed, format!("cannot save there: {e}")))?;
    let cancel = running.begin()?;
    let result = engine.export_to_file(request, path.clone(), cancel, progress).await;
    running.end();
    let rows = result?;
    Ok(Some(ExportDone { path: path.display().to_string(), rows }))
}

/// A PEM file (certificate or key) chosen in the native open dialog.
pub async fn choose_pem_file<R: tauri::Runtime>(app: &tauri::AppHandle<R>, title: &str) -> Option<PathBuf> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog(app, title).add_filter("PEM", &["pem", "crt", "key"]).pick_file(move |choice| {
        let _ = tx.send(choice);
    });
    rx.await.ok().flatten().and_then(|c| c.into_path().ok())
}

/// "Export rules…": the rules file written where the person chooses; `None` when cancelled.
pub async fn export_alert_rules<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    engine: &Engine,
) -> Result<Option<PathBuf>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog(app, "Export alert rules").set_file_name("alert-rules.json").add_filter("JSON", &["json"]).save_file(
        move |choice| {
            let _ = tx.send(choice);
        },
    );
    let Some(choice) = rx.await.ok().flatten() else { return Ok(None) };
    let path =
        choice.into_path().map_err(|e| AppError::new(ErrorCode::SaveFailed, format!("cannot save there: {e}")))?;
    std::fs::write(&path, engine.alert_rules_file().await)
        .map_err(|e| AppError::new(ErrorCode::SaveFailed, format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path))
}

/// "Import rules…": a rules file the person picks, read and checked (not saved yet).
pub async fn import_alert_rules<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    engine: &Engine,
) -> Result<Option<Vec<calleague_engine::AlertRule>>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    dialog(app, "Import alert rules").add_filter("JSON", &["json"]).pick_file(move |choice| {
        let _ = tx.send(choice);
    });
    let Some(path) = rx.await.ok().flatten().and_then(|c| c.into_path().ok()) else { return Ok(None) };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| AppError::new(ErrorCode::SaveFailed, format!("cannot read {}: {e}", path.display())))?;
    engine.parse_alert_rules(&text).map(Some)
}

/// A file dialog over the main window, opening in Downloads.
fn dialog<R: tauri::Runtime>(app: &tauri::AppHandle<R>, title: &str) -> tauri_plugin_dialog::FileDialogBuilder<R> {
    let mut dialog = app.dialog().file().set_title(title);
    if let Ok(downloads) = app.path().download_dir() {
        dialog = dialog.set_directory(downloads);
    }
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    dialog
}
