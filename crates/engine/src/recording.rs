//! Recordings are fetched here, not by the webview: with a fresh signed link when one
//! expired, so the window makes no network calls of its own and never sees the API key.
//! Saved files get names that cannot point elsewhere, and appear whole or not at all.

use std::path::Path;

use calleague_error_code::ErrorCode;

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

/// Downloads the recording into `path`, whole or not at all.
pub async fn save(engine: &Engine, recording_id: &str, path: &Path) -> Result<(), AppError> {
    let bytes = audio(engine, recording_id).await?;
    write_whole(path, &bytes)
        .await
        .map_err(|e| AppError::new(ErrorCode::SaveFailed, format!("cannot write {}: {e}", path.display())))
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

/// Writes beside the target and renames into place, so the file appears whole or not at all.
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
