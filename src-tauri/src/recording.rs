//! Recordings reach the webview from Rust: Rust fetches the audio (with a fresh signed
//! link when one expired), so the webview makes no network calls of its own and never sees
//! the API key. The `recording_audio` command returns the bytes and the UI plays them from
//! a blob: URL (WebKitGTK's media player does not load custom URI schemes).

use std::path::{Path, PathBuf};

use crate::engine::Engine;
use crate::error::AppError;

/// The recording's audio, whole (recordings are short; the player needs all of it anyway).
pub async fn audio(engine: &Engine, id: &str) -> Result<Vec<u8>, AppError> {
    let client = engine.client().await?;
    let mut audio = Vec::new();
    client
        .download_recording(id, |chunk| {
            audio.extend_from_slice(chunk);
            Ok(())
        })
        .await?;
    Ok(audio)
}

/// Asks where to save the recording (a native dialog, in Downloads with the call's id as
/// the name), then downloads it there. `None` when the person cancels. The file appears
/// whole or not at all: it is written beside the target and renamed into place.
pub async fn save<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    engine: &Engine,
    recording_id: &str,
    call_id: &str,
) -> Result<Option<PathBuf>, AppError> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;

    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Save recording")
        .set_file_name(file_name(call_id))
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
    let path = choice.into_path().map_err(|e| AppError::new("save_failed", format!("cannot save there: {e}")))?;
    let bytes = audio(engine, recording_id).await?;
    write_whole(&path, &bytes)
        .await
        .map_err(|e| AppError::new("save_failed", format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path))
}

/// A file name from a call id, which comes from a payload: only letters, digits, `-`,
/// `_` and `.` survive, so it can never name a path elsewhere.
pub fn file_name(call_id: &str) -> String {
    let safe: String = call_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .take(80)
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "recording.wav".into()
    } else {
        format!("{safe}.wav")
    }
}

async fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let partial = path.with_extension("wav.part");
    tokio::fs::write(&partial, bytes).await?;
    if let Err(e) = tokio::fs::rename(&partial, path).await {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_from_hostile_call_ids_stay_in_their_folder() {
        assert_eq!(file_name("cl_01JX9Z"), "cl_01JX9Z.wav");
        assert_eq!(file_name("../../etc/passwd"), "_.._etc_passwd.wav");
        assert_eq!(file_name("<img src=x>"), "_img_src_x_.wav");
        assert_eq!(file_name("..."), "recording.wav");
        assert_eq!(file_name(&"a".repeat(500)).len(), 84);
    }
}
