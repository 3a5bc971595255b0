//! Desktop notifications in the app: the engine's watcher shows them through the desktop's
//! notification server; a click brings the window forward with the call open, and the tray
//! follows the count of unseen failures.

use std::sync::{Arc, Mutex};

use calleague_alerts::{DesktopNotifier, Open};
use calleague_engine::Engine;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime};

/// A request to show a call, the calls behind an alert's firing, or the timeline (with
/// neither), from a notification's click.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct OpenRequest {
    pub call_id: Option<String>,
    pub alert_firing: Option<i64>,
}

impl From<Open> for OpenRequest {
    fn from(open: Open) -> Self {
        match open {
            Open::Timeline => Self { call_id: None, alert_firing: None },
            Open::Call(id) => Self { call_id: Some(id), alert_firing: None },
            Open::AlertFiring(id) => Self { call_id: None, alert_firing: Some(id) },
        }
    }
}

/// The window's channel for open requests; the latest subscription wins (a reload
/// subscribes again).
#[derive(Default)]
pub struct OpenRequests(Mutex<Option<Channel<OpenRequest>>>);

impl OpenRequests {
    pub fn subscribe(&self, channel: Channel<OpenRequest>) {
        if let Ok(mut current) = self.0.lock() {
            *current = Some(channel);
        }
    }

    fn send(&self, request: OpenRequest) {
        let channel = self.0.lock().ok().and_then(|c| c.clone());
        match channel {
            Some(channel) => {
                if let Err(e) = channel.send(request) {
                    tracing::warn!(error = %e, "the window did not take the open request");
                }
            }
            None => tracing::warn!("a notification was clicked before the window listened"),
        }
    }
}

/// Starts the engine's notifications watcher with the desktop notifier, then keeps the
/// tray's unseen count in step with it. Awaited before the engine resumes receiving, so
/// that no failure (nor a catch-up's summary) comes before the watcher listens.
pub async fn start<R: Runtime>(app: &AppHandle<R>, engine: &Engine) {
    let handle = app.clone();
    let on_open = Arc::new(move |open: Open| {
        let app = handle.clone();
        let _ = handle.run_on_main_thread(move || {
            crate::tray::show_main(&app);
            app.state::<OpenRequests>().send(OpenRequest::from(open));
        });
    });
    engine.start_notifications(Arc::new(DesktopNotifier::new(on_open))).await;
    let Some(mut status) = engine.alerts().map(|a| a.watch_status()) else { return };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            let unseen = status.borrow_and_update().unseen;
            let tray_app = app.clone();
            let _ = app.run_on_main_thread(move || crate::tray::show_unseen(&tray_app, unseen));
            if status.changed().await.is_err() {
                return;
            }
        }
    });
}
