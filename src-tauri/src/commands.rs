//! The IPC commands: thin, each handing the work to the engine or the store, and each
//! failure logged with its code before it goes to the window as `{code, message}`.
//!
//! Every command here is listed once more in `build.rs` (so Tauri generates its
//! permission), in `capabilities/default.json` (so the window may call it), in `lib.rs`'s
//! `generate_handler!` and in `ui/src/ipc.ts`; `tests/command_list.rs` fails when the five
//! disagree.

use std::future::Future;
use std::sync::Arc;

use calleague_engine::export::{ExportProgress, ExportRequest};
use calleague_engine::feed::{self, FeedBatch};
use calleague_engine::{
    AgentName, AlertSettings, AppError, AppResult, AppStatus, AttemptQuery, AttemptView, DataInfo, DimensionsView,
    Engine, ErrorCode, ForwardingOverview, ForwardingSettings, InProgress, ReasonEntry, ReasonsView, ReceiverSettings,
    ReplayProgressView, ReplayRequest, Retention, SourceSettings, SubscriptionDraft, Subscriptions, TriggerRequest,
    TriggerResult,
};
use calleague_events::Timestamp;
use calleague_store::{
    AgentsPage, Breakdown, CallCursor, CallDetail, CallFilter, CallRow, Facets, Overview, Page, PageRequest,
    QuarantineRow, SecurityRow, StatusCounts, StoreFuture, TimelineReader,
};
use tauri::ipc::Channel;
use tauri::State;

type EngineState<'a> = State<'a, Arc<Engine>>;

/// Runs a command's work and logs a failure with the command's name and the error's code.
async fn logged<T>(command: &'static str, work: impl Future<Output = AppResult<T>>) -> AppResult<T> {
    let result = work.await;
    if let Err(e) = &result {
        tracing::warn!(command, code = %e.code, message = %e.message, "command failed");
    }
    result
}

/// A read of what the window shows, from this computer's store or the team's database.
async fn read<T, F>(command: &'static str, engine: &Engine, f: F) -> AppResult<T>
where
    F: for<'r> FnOnce(&'r dyn TimelineReader) -> StoreFuture<'r, T>,
{
    let reader = engine.reader();
    logged(command, async { f(reader.as_ref()).await.map_err(AppError::from) }).await
}

/// Runs an engine action, then answers with the status it leaves.
async fn act(
    command: &'static str,
    engine: &Engine,
    action: impl Future<Output = AppResult<()>>,
) -> AppResult<AppStatus> {
    logged(command, action).await?;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn get_status(engine: EngineState<'_>) -> AppResult<AppStatus> {
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn connect_account(
    engine: EngineState<'_>,
    key: String,
    api_base_url: Option<String>,
) -> AppResult<AppStatus> {
    act("connect_account", &engine, engine.connect_account(key, api_base_url)).await
}

#[tauri::command]
pub async fn remove_key(engine: EngineState<'_>) -> AppResult<AppStatus> {
    act("remove_key", &engine, engine.remove_key()).await
}

/// Watches a team's PostgreSQL database (read-only) instead of receiving here.
#[tauri::command]
pub async fn connect_team(
    engine: EngineState<'_>,
    database: String,
    password: String,
    allow_plaintext: Option<bool>,
) -> AppResult<AppStatus> {
    act("connect_team", &engine, engine.connect_team(database, password, allow_plaintext.unwrap_or(false))).await
}

/// In team mode: the account's API key for recordings and transcripts (none removes it).
#[tauri::command]
pub async fn set_team_api_key(
    engine: EngineState<'_>,
    key: Option<String>,
    api_base_url: Option<String>,
) -> AppResult<AppStatus> {
    act("set_team_api_key", &engine, engine.set_team_api_key(key, api_base_url)).await
}

#[tauri::command]
pub async fn leave_team(engine: EngineState<'_>) -> AppResult<AppStatus> {
    act("leave_team", &engine, engine.leave_team()).await
}

#[tauri::command]
pub async fn start_demo(engine: EngineState<'_>) -> AppResult<AppStatus> {
    act("start_demo", &engine, engine.start_demo()).await
}

#[tauri::command]
pub async fn leave_demo(engine: EngineState<'_>) -> AppResult<AppStatus> {
    act("leave_demo", &engine, engine.leave_demo()).await
}

#[tauri::command]
pub async fn set_port(engine: EngineState<'_>, port: u16) -> AppResult<AppStatus> {
    act("set_port", &engine, engine.set_port(port)).await
}

#[tauri::command]
pub async fn catch_up_now(engine: EngineState<'_>) -> AppResult<AppStatus> {
    engine.spawn_catch_up().await;
    Ok(engine.status().await)
}

#[tauri::command]
pub async fn suggest_port(engine: EngineState<'_>) -> AppResult<Option<u16>> {
    Ok(engine.suggest_port().await)
}

#[tauri::command]
pub async fn set_public_url(engine: EngineState<'_>, url: Option<String>) -> AppResult<AppStatus> {
    act("set_public_url", &engine, engine.set_public_url(url)).await
}

#[tauri::command]
pub async fn calls_page(
    engine: EngineState<'_>,
    filter: CallFilter,
    page: PageRequest<CallCursor>,
) -> AppResult<Page<CallRow, CallCursor>> {
    read("calls_page", &engine, move |store| store.calls_page(filter, page)).await
}

#[tauri::command]
pub async fn call_detail(engine: EngineState<'_>, call_id: String) -> AppResult<CallDetail> {
    let id = call_id.clone();
    let found = read("call_detail", &engine, move |store| store.call_detail(id)).await?;
    let missing = || AppError::new(ErrorCode::NotFound, format!("no call {call_id}"));
    logged("call_detail", async { found.ok_or_else(missing) }).await
}

#[tauri::command]
pub async fn counts(engine: EngineState<'_>, since_ms: i64) -> AppResult<StatusCounts> {
    let since = Timestamp::from_unix_millis(since_ms);
    let since =
        logged("counts", async { since.map_err(|e| AppError::new(ErrorCode::InvalidTime, e.to_string())) }).await?;
    read("counts", &engine, move |store| store.counts(since)).await
}

/// The calls in progress now, stale ones set apart (the status bar's gauge).
#[tauri::command]
pub async fn in_progress(engine: EngineState<'_>) -> AppResult<InProgress> {
    logged("in_progress", engine.in_progress()).await
}

/// The account's agents by name (what the REST API described), for every screen that
/// shows an agent.
#[tauri::command]
pub async fn agents(engine: EngineState<'_>) -> AppResult<Vec<AgentName>> {
    logged("agents", engine.agents()).await
}

/// Settings → Reasons: what each endedReason means, and the ones calls have with no entry.
#[tauri::command]
pub async fn reasons(engine: EngineState<'_>) -> AppResult<ReasonsView> {
    logged("reasons", engine.reasons_view()).await
}

#[tauri::command]
pub async fn set_reason(engine: EngineState<'_>, entry: ReasonEntry) -> AppResult<ReasonsView> {
    logged("set_reason", engine.set_reason(entry)).await
}

#[tauri::command]
pub async fn reset_reason(engine: EngineState<'_>, reason: String) -> AppResult<ReasonsView> {
    logged("reset_reason", engine.reset_reason(reason)).await
}

/// A page's range from the window's milliseconds, or an error the window can show.
async fn range_of(command: &'static str, from_ms: i64, to_ms: i64) -> AppResult<(Timestamp, Timestamp)> {
    let range = Timestamp::from_unix_millis(from_ms).and_then(|from| Ok((from, Timestamp::from_unix_millis(to_ms)?)));
    logged(command, async { range.map_err(|e| AppError::new(ErrorCode::InvalidTime, e.to_string())) }).await
}

/// The Overview page's numbers for `[from_ms, to_ms)`, rounded down to whole minutes.
#[tauri::command]
pub async fn overview(engine: EngineState<'_>, from_ms: i64, to_ms: i64) -> AppResult<Overview> {
    let (from, to) = range_of("overview", from_ms, to_ms).await?;
    let longest_call = engine.longest_call().await;
    read("overview", &engine, move |store| store.overview(from, to, longest_call)).await
}

/// The calls of `[from_ms, to_ms)` by the values of `dimension` (`direction`, `language`,
/// `metadata.<field>`): the Overview's "by dimension".
#[tauri::command]
pub async fn breakdown(engine: EngineState<'_>, from_ms: i64, to_ms: i64, dimension: String) -> AppResult<Breakdown> {
    let (from, to) = range_of("breakdown", from_ms, to_ms).await?;
    read("breakdown", &engine, move |store| store.breakdown(from, to, dimension)).await
}

/// The Agents page for `[from_ms, to_ms)`, rounded down to whole minutes; each agent's calls
/// grouped `by` a dimension too when given.
#[tauri::command]
pub async fn agents_page(
    engine: EngineState<'_>,
    from_ms: i64,
    to_ms: i64,
    by: Option<String>,
) -> AppResult<AgentsPage> {
    let (from, to) = range_of("agents_page", from_ms, to_ms).await?;
    read("agents_page", &engine, move |store| store.agents_page(from, to, by)).await
}

#[tauri::command]
pub async fn facets(engine: EngineState<'_>) -> AppResult<Facets> {
    read("facets", &engine, |store| store.facets()).await
}

#[tauri::command]
pub async fn quarantine(engine: EngineState<'_>, before_id: Option<i64>, limit: u32) -> AppResult<Vec<QuarantineRow>> {
    read("quarantine", &engine, move |store| store.quarantine_page(before_id, limit)).await
}

#[tauri::command]
pub async fn security_log(engine: EngineState<'_>, before_id: Option<i64>, limit: u32) -> AppResult<Vec<SecurityRow>> {
    read("security_log", &engine, move |store| store.security_page(before_id, limit)).await
}

/// Opens the window's live feed: batches of committed deliveries until the window goes.
#[tauri::command]
pub async fn subscribe_feed(engine: EngineState<'_>, on_batch: Channel<FeedBatch>) -> AppResult<()> {
    feed::forward(engine.subscribe_feed(), move |batch| on_batch.send(batch).is_ok());
    Ok(())
}

#[tauri::command]
pub async fn transcript(engine: EngineState<'_>, transcript_id: String) -> AppResult<calleague_client::Transcript> {
    let work = async { Ok(engine.client().await?.transcript(&transcript_id).await?) };
    logged("transcript", work).await
}

/// The recording's audio as raw bytes (binary IPC, not JSON). The UI plays it from a blob:
/// URL (WebKitGTK's media player does not load custom URI schemes).
#[tauri::command]
pub async fn recording_audio(engine: EngineState<'_>, recording_id: String) -> AppResult<tauri::ipc::Response> {
    let audio = logged("recording_audio", calleague_engine::recording::audio(&engine, &recording_id)).await?;
    Ok(tauri::ipc::Response::new(audio))
}

/// Saves the recording where the person chooses; the chosen path, or nothing if cancelled.
#[tauri::command]
pub async fn save_recording<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: EngineState<'_>,
    recording_id: String,
    call_id: String,
) -> AppResult<Option<String>> {
    let saved =
        logged("save_recording", crate::save_dialog::save_recording(&app, &engine, &recording_id, &call_id)).await?;
    Ok(saved.map(|p| p.display().to_string()))
}

/// How the REST API is read beside webhooks or instead of them (docs/sources.md).
#[tauri::command]
pub async fn set_source_settings(engine: EngineState<'_>, settings: SourceSettings) -> AppResult<AppStatus> {
    act("set_source_settings", &engine, engine.set_source_settings(settings)).await
}

#[tauri::command]
pub async fn set_notifications(engine: EngineState<'_>, settings: AlertSettings) -> AppResult<AppStatus> {
    act("set_notifications", &engine, engine.set_notifications(settings)).await
}

/// Pauses notifications for `minutes`, or until resumed (none); 0 resumes.
#[tauri::command]
pub async fn pause_notifications(engine: EngineState<'_>, minutes: Option<u32>) -> AppResult<AppStatus> {
    act("pause_notifications", &engine, engine.pause_notifications(minutes)).await
}

/// Registers (or removes) the app with the desktop's autostart, then saves the choice.
#[tauri::command]
pub async fn set_start_at_login<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: EngineState<'_>,
    on: bool,
) -> AppResult<AppStatus> {
    use tauri_plugin_autostart::ManagerExt;
    let work = async {
        let autostart = app.autolaunch();
        let changed = if on { autostart.enable() } else { autostart.disable() };
        changed.map_err(|e| AppError::new(ErrorCode::StartAtLoginFailed, format!("Start at login: {e}")))?;
        engine.set_start_at_login(on).await
    };
    act("set_start_at_login", &engine, work).await
}

/// Light, dark or the desktop's: kept, and the window's title bar follows at once.
#[tauri::command]
pub async fn set_theme<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: EngineState<'_>,
    theme: calleague_engine::Theme,
) -> AppResult<AppStatus> {
    let work = async {
        engine.set_theme(theme).await?;
        crate::apply_window_theme(&app, theme);
        Ok(())
    };
    act("set_theme", &engine, work).await
}

/// Opens the window's channel for "show this call" requests from notifications.
#[tauri::command]
pub async fn subscribe_open_requests(
    requests: State<'_, crate::notifications::OpenRequests>,
    on_open: Channel<crate::notifications::OpenRequest>,
) -> AppResult<()> {
    requests.subscribe(on_open);
    Ok(())
}

/// The account's webhooks (the simulator's in demo mode) and what they mean for this computer.
#[tauri::command]
pub async fn subscriptions(engine: EngineState<'_>) -> AppResult<Subscriptions> {
    logged("subscriptions", engine.subscriptions()).await
}

#[tauri::command]
pub async fn create_subscription(engine: EngineState<'_>, draft: SubscriptionDraft) -> AppResult<Subscriptions> {
    logged("create_subscription", engine.create_subscription(draft)).await
}

#[tauri::command]
pub async fn update_subscription(
    engine: EngineState<'_>,
    webhook_id: String,
    draft: SubscriptionDraft,
) -> AppResult<Subscriptions> {
    logged("update_subscription", engine.update_subscription(webhook_id, draft)).await
}

#[tauri::command]
pub async fn delete_subscription(engine: EngineState<'_>, webhook_id: String) -> AppResult<Subscriptions> {
    logged("delete_subscription", engine.delete_subscription(webhook_id)).await
}

/// The diagnosis's one-click fix: a subscription to this computer, or its missing events.
#[tauri::command]
pub async fn fix_subscriptions(engine: EngineState<'_>) -> AppResult<Subscriptions> {
    logged("fix_subscriptions", engine.fix_subscriptions()).await
}

#[tauri::command]
pub async fn receiver_settings(engine: EngineState<'_>) -> AppResult<ReceiverSettings> {
    Ok(engine.receiver_settings().await)
}

/// Every field checked, saved together; a restart the new settings need happens before
/// the answer, and when the receiver cannot start with them the previous ones are kept.
#[tauri::command]
pub async fn apply_receiver_settings(engine: EngineState<'_>, settings: ReceiverSettings) -> AppResult<AppStatus> {
    act("apply_receiver_settings", &engine, engine.apply_receiver_settings(settings)).await
}

/// Where the database is, its size, the retention and what it last removed.
#[tauri::command]
pub async fn data_info(engine: EngineState<'_>) -> AppResult<DataInfo> {
    logged("data_info", engine.data_info()).await
}

#[tauri::command]
pub async fn apply_retention(engine: EngineState<'_>, retention: Retention) -> AppResult<DataInfo> {
    logged("apply_retention", async {
        engine.apply_retention(retention).await?;
        engine.data_info().await
    })
    .await
}

/// Settings → Data's dimensions: the metadata fields calls are counted by.
#[tauri::command]
pub async fn dimensions(engine: EngineState<'_>) -> AppResult<DimensionsView> {
    logged("dimensions", engine.dimensions_view()).await
}

#[tauri::command]
pub async fn set_dimensions(engine: EngineState<'_>, fields: Vec<String>) -> AppResult<DimensionsView> {
    logged("set_dimensions", engine.set_dimensions(fields)).await
}

/// A PEM file picked in the native open dialog; none when cancelled.
#[tauri::command]
pub async fn choose_pem_file<R: tauri::Runtime>(app: tauri::AppHandle<R>, title: String) -> AppResult<Option<String>> {
    Ok(crate::save_dialog::choose_pem_file(&app, &title).await.map(|p| p.display().to_string()))
}

/// Asks where to save in the native dialog, then writes the export there, reporting
/// progress on the channel. The path and rows written, or none when the dialog was
/// cancelled; a cancelled export answers with the code `cancelled`.
#[tauri::command]
pub async fn export_data<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: EngineState<'_>,
    running: State<'_, crate::save_dialog::RunningExport>,
    request: ExportRequest,
    on_progress: Channel<ExportProgress>,
) -> AppResult<Option<crate::save_dialog::ExportDone>> {
    let work = crate::save_dialog::export(&app, &engine, &running, request, move |p| {
        let _ = on_progress.send(p);
    });
    logged("export_data", work).await
}

#[tauri::command]
pub async fn cancel_export(running: State<'_, crate::save_dialog::RunningExport>) -> AppResult<()> {
    running.cancel();
    Ok(())
}

/// Forwarding as the Settings page shows it.
#[tauri::command]
pub async fn forwarding_settings(engine: EngineState<'_>) -> AppResult<ForwardingSettings> {
    Ok(engine.forwarding_settings().await)
}

/// Every target checked, saved together, the forwarder restarted with them.
#[tauri::command]
pub async fn apply_forwarding(engine: EngineState<'_>, settings: ForwardingSettings) -> AppResult<ForwardingSettings> {
    logged("apply_forwarding", engine.apply_forwarding(settings)).await
}

/// The Forwarding page: each target's health.
#[tauri::command]
pub async fn forwarding_overview(engine: EngineState<'_>) -> AppResult<ForwardingOverview> {
    logged("forwarding_overview", engine.forwarding_overview()).await
}

/// A page of attempts, newest first.
#[tauri::command]
pub async fn forward_attempts(engine: EngineState<'_>, query: AttemptQuery) -> AppResult<Vec<AttemptView>> {
    logged("forward_attempts", async { engine.forward_attempt_page(query) }).await
}

/// Every attempt at one call's deliveries.
#[tauri::command]
pub async fn call_forwarding(engine: EngineState<'_>, call_id: String) -> AppResult<Vec<AttemptView>> {
    logged("call_forwarding", async { engine.call_forwarding(&call_id) }).await
}

/// One stored delivery (or its edited JSON) sent to a target or an address typed once.
#[tauri::command]
pub async fn replay_delivery(
    engine: EngineState<'_>,
    delivery: i64,
    to: String,
    body: Option<String>,
) -> AppResult<AttemptView> {
    logged("replay_delivery", engine.replay_delivery(delivery, to, body)).await
}

/// A selection replayed, with progress on the channel; `cancel_replay` stops it.
#[tauri::command]
pub async fn replay_many(
    engine: EngineState<'_>,
    request: ReplayRequest,
    on_progress: Channel<ReplayProgressView>,
) -> AppResult<ReplayProgressView> {
    logged(
        "replay_many",
        engine.replay_many(request, move |p| {
            let _ = on_progress.send(p);
        }),
    )
    .await
}

#[tauri::command]
pub async fn cancel_replay(engine: EngineState<'_>) -> AppResult<()> {
    engine.cancel_replay().await;
    Ok(())
}

/// What a target gave up on, due again now.
#[tauri::command]
pub async fn retry_given_up(engine: EngineState<'_>, target: String) -> AppResult<u64> {
    logged("retry_given_up", engine.retry_given_up(target)).await
}

/// A made-up delivery's starting values, from the newest real one of the event.
#[tauri::command]
pub async fn trigger_defaults(engine: EngineState<'_>, event: String) -> AppResult<String> {
    logged("trigger_defaults", async { engine.trigger_defaults(&event) }).await
}

/// A made-up delivery sent to a target, or to this app's own receiver.
#[tauri::command]
pub async fn trigger_delivery(engine: EngineState<'_>, request: TriggerRequest) -> AppResult<TriggerResult> {
    logged("trigger_delivery", engine.trigger(request)).await
}

/// The Alerts page: every rule with its value now and over the last day.
#[tauri::command]
pub async fn alerts_view(engine: EngineState<'_>) -> AppResult<calleague_engine::AlertsView> {
    logged("alerts_view", engine.alerts_view()).await
}

/// Every rule checked (refusals by field), saved, and handed to the runner.
#[tauri::command]
pub async fn save_alert_rules(
    engine: EngineState<'_>,
    rules: Vec<calleague_engine::AlertRule>,
) -> AppResult<Vec<calleague_engine::AlertRule>> {
    logged("save_alert_rules", engine.save_alert_rules(rules)).await
}

/// A rule being edited, tried against the last `days` days.
#[tauri::command]
pub async fn preview_alert_rule(
    engine: EngineState<'_>,
    rule: calleague_engine::AlertRule,
    days: u32,
) -> AppResult<calleague_engine::ChartView> {
    logged("preview_alert_rule", engine.preview_alert_rule(rule, days)).await
}

/// Firings, newest first: of one rule, or of all.
#[tauri::command]
pub async fn alert_firings(
    engine: EngineState<'_>,
    rule_id: Option<String>,
    limit: u32,
) -> AppResult<Vec<calleague_engine::FiringRow>> {
    logged("alert_firings", async { engine.alert_firings(rule_id, limit) }).await
}

/// One firing: what a notification's click opens.
#[tauri::command]
pub async fn alert_firing(engine: EngineState<'_>, id: i64) -> AppResult<calleague_engine::FiringRow> {
    logged("alert_firing", async { engine.alert_firing(id) }).await
}

/// The chat webhook's address into the keychain (none removes it); its host comes back.
#[tauri::command]
pub async fn set_alert_chat(engine: EngineState<'_>, url: Option<String>) -> AppResult<Option<String>> {
    logged("set_alert_chat", engine.set_alert_chat(url)).await
}

/// The rules saved as a rules file where the person chooses (for `serve --alerts`).
#[tauri::command]
pub async fn export_alert_rules<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: EngineState<'_>,
) -> AppResult<Option<String>> {
    logged("export_alert_rules", async {
        Ok(crate::save_dialog::export_alert_rules(&app, &engine).await?.map(|p| p.display().to_string()))
    })
    .await
}

/// Rules read from a rules file the person picks, checked, for the page to show and save.
#[tauri::command]
pub async fn import_alert_rules<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    engine: EngineState<'_>,
) -> AppResult<Option<Vec<calleague_engine::AlertRule>>> {
    logged("import_alert_rules", crate::save_dialog::import_alert_rules(&app, &engine)).await
}
