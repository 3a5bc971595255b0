//! The tray icon: open the window, pause notifications, quit; its icon and tooltip tell of
//! failed calls not yet seen. Optional: a desktop without a status-notifier host (or without
//! libayatana-appindicator) has none, and closing the window then quits the app.

use std::sync::Arc;

use calleague_engine::Engine;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{App, AppHandle, Manager, Runtime};

const TRAY_ID: &str = "main";

/// Whether a tray icon is shown: then closing the window keeps the app receiving.
pub struct TrayPresent(pub bool);

pub fn install(app: &App) -> bool {
    if !status_notifier_host() {
        tracing::info!("no tray: the desktop has no status-notifier host");
        return false;
    }
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(app)));
    match built {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "no tray icon");
            false
        }
        Err(_) => {
            tracing::warn!("no tray icon: the status-notifier library is missing");
            false
        }
    }
}

fn build(app: &App) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Calleague Monitor", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause notifications for 1 hour", true, None::<&str>)?;
    let resume = MenuItem::with_id(app, "resume", "Resume notifications", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&open, &pause, &resume, &separator, &quit])?;
    let mut tray =
        TrayIconBuilder::with_id(TRAY_ID).tooltip("Calleague Monitor").menu(&menu).on_menu_event(|app, event| {
            match event.id.as_ref() {
                "open" => show_main(app),
                "pause" => pause_notifications(app, Some(60)),
                "resume" => pause_notifications(app, Some(0)),
                "quit" => app.exit(0),
                _ => {}
            }
        });
    tray = tray.icon(tray_icon(false)?);
    tray.build(app)?;
    Ok(())
}

fn pause_notifications<R: Runtime>(app: &AppHandle<R>, minutes: Option<u32>) {
    let engine = app.state::<Arc<Engine>>().inner().clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = engine.pause_notifications(minutes).await {
            tracing::warn!(code = %e.code, message = %e.message, "pause from the tray failed");
        }
    });
}

/// The count of failed calls not yet seen in the icon (a red mark) and the tooltip (the
/// label beside the icon on Linux).
pub fn show_unseen<R: Runtime>(app: &AppHandle<R>, unseen: u32) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else { return };
    let tooltip = match unseen {
        0 => "Calleague Monitor".to_owned(),
        1 => "Calleague Monitor: 1 failed call since you last looked".to_owned(),
        n => format!("Calleague Monitor: {n} failed calls since you last looked"),
    };
    let _ = tray.set_tooltip(Some(&tooltip));
    // Linux shows no tooltips on tray icons: the count goes in the label beside the icon.
    #[cfg(target_os = "linux")]
    let _ = tray.set_title((unseen > 0).then(|| unseen.to_string()));
    if let Ok(icon) = tray_icon(unseen > 0) {
        let _ = tray.set_icon(Some(icon));
    }
}

/// The tray's monochrome mark, with a red dot while failures are unseen: rendered from
/// icons/icon.svg by `cargo xtask icons`.
pub fn tray_icon(unseen: bool) -> tauri::Result<Image<'static>> {
    let png: &'static [u8] =
        if unseen { include_bytes!("../../icons/tray-unseen.png") } else { include_bytes!("../../icons/tray.png") };
    Image::from_bytes(png)
}

/// Brings the main window to the front (from the tray, a notification or a second launch).
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Whether the session has a status-notifier host to show tray icons (KDE, GNOME with the
/// AppIndicator extension, most others). Without one an icon would be invisible, and a
/// closed window could then never be brought back.
#[cfg(target_os = "linux")]
fn status_notifier_host() -> bool {
    use dbus::blocking::Connection;
    let Ok(conn) = Connection::new_session() else { return false };
    let proxy = conn.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", std::time::Duration::from_secs(2));
    let owned: Result<(bool,), _> =
        proxy.method_call("org.freedesktop.DBus", "NameHasOwner", ("org.kde.StatusNotifierWatcher",));
    owned.map(|(has,)| has).unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
fn status_notifier_host() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tray_icons_decode_and_differ() {
        let (plain, unseen) = (tray_icon(false).unwrap(), tray_icon(true).unwrap());
        assert_eq!((plain.width(), plain.height()), (64, 64));
        assert_eq!((unseen.width(), unseen.height()), (64, 64));
        assert_ne!(plain.rgba(), unseen.rgba());
    }
}
