//! Calleague Monitor: a thin Tauri shell over the engine crates. A library, so that the
//! commands can be tested on Tauri's mock runtime and the UI's types generated from Rust.

pub mod bindings;
pub mod commands;
pub mod notifications;
pub mod save_dialog;
mod tray;
mod webview;

use std::sync::Arc;

use calleague_engine::{own_private_dir, Engine, OsKeychain};
use calleague_store::{Store, StoreOptions};
use tauri::Manager;

/// Started by the desktop's autostart at login: receive, but keep the window closed.
const BACKGROUND_FLAG: &str = "--background";

fn data_dir_argument() -> Option<std::path::PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(Into::into);
        }
    }
    std::env::var_os("CALLEAGUE_MONITOR_DATA_DIR").map(Into::into)
}

/// WebKitGTK's DMA-BUF renderer paints through GL; without a GPU (virtual machines, remote
/// desktops, Xvfb) that is Mesa's software GL, and measured here it held the window to
/// about 11 frames a second even when idle (`cargo xtask bench ui`: idle frame 86 ms,
/// scrolling p95 182 ms; without it 9 ms and 38 ms). The older renderer is fast everywhere
/// we have measured, so it is the default; set WEBKIT_DISABLE_DMABUF_RENDERER=0 to opt back.
fn prefer_fast_webkit_rendering() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // Before any thread starts: set_var is only sound while the process is single-threaded.
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
}

/// Every command the UI may call. Each is also listed in `build.rs`, allowed in
/// `capabilities/default.json` and wrapped in `ui/src/ipc.ts` (`tests/command_list.rs`
/// checks that the lists agree).
pub fn commands<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::get_status,
        commands::connect_account,
        commands::remove_key,
        commands::start_demo,
        commands::connect_team,
        commands::leave_team,
        commands::set_team_api_key,
        commands::leave_demo,
        commands::set_port,
        commands::suggest_port,
        commands::catch_up_now,
        commands::set_public_url,
        commands::calls_page,
        commands::call_detail,
        commands::counts,
        commands::facets,
        commands::overview,
        commands::agents_page,
        commands::breakdown,
        commands::quarantine,
        commands::security_log,
        commands::subscribe_feed,
        commands::transcript,
        commands::recording_audio,
        commands::save_recording,
        commands::set_notifications,
        commands::set_source_settings,
        commands::pause_notifications,
        commands::set_start_at_login,
        commands::set_theme,
        commands::subscribe_open_requests,
        commands::subscriptions,
        commands::create_subscription,
        commands::update_subscription,
        commands::delete_subscription,
        commands::fix_subscriptions,
        commands::receiver_settings,
        commands::apply_receiver_settings,
        commands::data_info,
        commands::apply_retention,
        commands::dimensions,
        commands::in_progress,
        commands::agents,
        commands::reasons,
        commands::set_reason,
        commands::reset_reason,
        commands::set_dimensions,
        commands::choose_pem_file,
        commands::export_data,
        commands::cancel_export,
        commands::forwarding_settings,
        commands::apply_forwarding,
        commands::forwarding_overview,
        commands::forward_attempts,
        commands::call_forwarding,
        commands::replay_delivery,
        commands::replay_many,
        commands::cancel_replay,
        commands::retry_given_up,
        commands::trigger_defaults,
        commands::trigger_delivery,
        commands::alerts_view,
        commands::save_alert_rules,
        commands::preview_alert_rule,
        commands::alert_firings,
        commands::alert_firing,
        commands::set_alert_chat,
        commands::export_alert_rules,
        commands::import_alert_rules,
    ]
}

/// Closing the window keeps the app receiving while a tray icon can bring it back (and
/// there is something to receive); looking at the window marks failures as seen.
fn window_event(window: &tauri::Window, event: &tauri::WindowEvent) {
    let app = window.app_handle();
    // Events can come before set-up has placed the engine (or after it failed).
    let Some(engine) = app.try_state::<Arc<Engine>>().map(|e| e.inner().clone()) else { return };
    match event {
        // Only while receiving: a welcome screen closed is an app quit.
        tauri::WindowEvent::CloseRequested { api, .. } if app.state::<tray::TrayPresent>().0 && engine.receiving() => {
            api.prevent_close();
            let _ = window.hide();
            tauri::async_runtime::spawn(async move { engine.note_running_in_background().await });
        }
        tauri::WindowEvent::Focused(true) => engine.mark_failures_seen(),
        _ => {}
    }
}

pub fn run() {
    prefer_fast_webkit_rendering();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let mut builder = tauri::Builder::default();
    // One window per profile: a second launch brings the first to the front. Off for a
    // --data-dir profile (the tests run several apps one after another, each on its own).
    if data_dir_argument().is_none() {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| tray::show_main(app)));
    }
    let result = builder
        .plugin(tauri_plugin_window_state::Builder::default().build())
        // Used from Rust only (the save dialog); the webview is granted none of it.
        .plugin(tauri_plugin_dialog::init())
        // Used from Rust only (the start-at-login setting).
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![BACKGROUND_FLAG]),
        ))
        .manage(notifications::OpenRequests::default())
        .manage(save_dialog::RunningExport::default())
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                webview::keep_memory_low(&window);
            }
            let tray_present = tray::install(app);
            app.manage(tray::TrayPresent(tray_present));
            if tray_present && std::env::args().any(|a| a == BACKGROUND_FLAG) {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.hide();
                }
            }
            // `--data-dir DIR` keeps everything (database, settings) in one folder: for
            // tests, and for running more than one profile.
            let (data_dir, config_dir) = match data_dir_argument() {
                Some(dir) => (dir.clone(), dir),
                None => (app.path().app_data_dir()?, app.path().app_config_dir()?),
            };
            // Every delivery's body and metadata live here: the owner's only.
            own_private_dir(&data_dir)?;
            own_private_dir(&config_dir)?;
            let store = Store::open(data_dir.join("monitor.db"), StoreOptions::default())?;
            let engine = Arc::new(Engine::new(store, Arc::new(OsKeychain), config_dir));
            app.manage(engine.clone());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                apply_window_theme(&handle, engine.theme().await);
                notifications::start(&handle, &engine).await;
                engine.resume().await;
                // A resume from sleep or the network coming back catches up at once; with no
                // system bus there are no such events to hear.
                if let Err(e) = engine.follow_wakes(None).await {
                    tracing::info!(error = %e, "not following sleep and network changes");
                }
            });
            Ok(())
        })
        .on_window_event(window_event)
        .invoke_handler(commands())
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                let engine = handle.state::<Arc<Engine>>().inner().clone();
                tauri::async_runtime::block_on(engine.shutdown());
            }
        }),
        Err(e) => {
            eprintln!("error: Calleague Monitor could not start: {e}");
            std::process::exit(1);
        }
    }
}

/// The window's own theme (its title bar, and what the page is told the desktop prefers):
/// none follows the desktop.
pub(crate) fn apply_window_theme<R: tauri::Runtime>(app: &tauri::AppHandle<R>, theme: calleague_engine::Theme) {
    let theme = match theme {
        calleague_engine::Theme::System => None,
        calleague_engine::Theme::Light => Some(tauri::Theme::Light),
        calleague_engine::Theme::Dark => Some(tauri::Theme::Dark),
    };
    if let Some(window) = app.get_webview_window("main") {
        if let Err(e) = window.set_theme(theme) {
            tracing::info!(error = %e, "the window's theme was not set");
        }
    }
}
