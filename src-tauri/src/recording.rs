//! Recordings reach the webview from Rust: Rust fetches the audio (with a fresh signed
//! link when one expired), so the webview makes no network calls of its own and never sees
//! the API key. The `recording_audio` command returns the bytes and the UI plays them from
//! a blob: URL (WebKitGTK's media player does not load custom URI schemes).

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
