//! Recordings reach the webview from Rust: Rust fetches the audio (with a fresh signed
//! link when one expired), so the webview makes no network calls of its own and never sees
//! the API key. Two ways in: the `recording_audio` command returns the bytes (the UI plays
//! them from a blob: URL, which WebKitGTK's media player accepts), and
//! `recording://localhost/<recordingId>` serves the same bytes to anything that loads a URL.

use std::sync::Arc;

use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::engine::Engine;

pub const SCHEME: &str = "recording";

pub fn handle<R: Runtime>(ctx: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let engine = ctx.app_handle().state::<Arc<Engine>>().inner().clone();
    let id = request.uri().path().trim_start_matches('/').to_owned();
    tauri::async_runtime::spawn(async move {
        responder.respond(fetch(&engine, &id).await);
    });
}

/// The recording's audio and its content type.
pub async fn audio(engine: &Engine, id: &str) -> Result<(Vec<u8>, &'static str), crate::error::AppError> {
    let client = engine.client().await?;
    let mut audio = Vec::new();
    let (recording, _) = client
        .download_recording(id, |chunk| {
            audio.extend_from_slice(chunk);
            Ok(())
        })
        .await?;
    let content_type = match recording.format.as_deref() {
        Some("mp3") => "audio/mpeg",
        Some("ogg") => "audio/ogg",
        _ => "audio/wav",
    };
    Ok((audio, content_type))
}

async fn fetch(engine: &Engine, id: &str) -> Response<Vec<u8>> {
    if id.is_empty() || id.contains('/') {
        return plain(StatusCode::BAD_REQUEST, "no recording id");
    }
    match audio(engine, id).await {
        Ok((audio, content_type)) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, audio.len())
            .body(audio)
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "bad response")),
        Err(e) => plain(StatusCode::BAD_GATEWAY, &e.message),
    }
}

fn plain(status: StatusCode, message: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(message.as_bytes().to_vec())
        .unwrap_or_default()
}
