/// The commands the UI may call. With an app manifest, a command is reachable only when a
/// capability (capabilities/default.json) grants it.
const COMMANDS: &[&str] = &[
    "get_status",
    "connect_account",
    "remove_key",
    "start_demo",
    "connect_team",
    "leave_team",
    "set_team_api_key",
    "leave_demo",
    "set_port",
    "suggest_port",
    "catch_up_now",
    "set_public_url",
    "calls_page",
    "call_detail",
    "counts",
    "facets",
    "overview",
    "quarantine",
    "security_log",
    "subscribe_feed",
    "transcript",
    "recording_audio",
    "save_recording",
    "set_notifications",
    "set_source_settings",
    "pause_notifications",
    "set_start_at_login",
    "subscribe_open_requests",
    "subscriptions",
    "create_subscription",
    "update_subscription",
    "delete_subscription",
    "fix_subscriptions",
    "receiver_settings",
    "apply_receiver_settings",
    "data_info",
    "apply_retention",
    "choose_pem_file",
    "export_data",
    "cancel_export",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build script failed");
}
