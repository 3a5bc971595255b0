//! Alert rules on the command line: `serve --alerts FILE` evaluates them beside the
//! receiver (posting to `--alert-webhook-file`'s chat webhook, re-reading the file on
//! SIGHUP); `alerts check` tries a rules file against the stored history; `alerts example`
//! prints the starter rules.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use calleague_alert_rules::{
    preview, starter_rules, summary, ChatSender, ChatWebhook, RuleRunner, RulesFile, RunnerOptions,
};
use calleague_events::Timestamp;
use calleague_store::{AlertLog, Store, StoreOptions};

use crate::args::{AlertsArgs, AlertsCheckArgs, AlertsCommand, ServeArgs};

pub fn run(args: AlertsArgs) -> anyhow::Result<()> {
    match args.command {
        AlertsCommand::Check(args) => check(args),
        AlertsCommand::Example => {
            println!("{}", RulesFile { rules: starter_rules() }.to_json());
            Ok(())
        }
    }
}

/// Adds the metadata fields `rules` are narrowed by to the fields `store` counts calls by (a
/// new one counted in the background); refused when that would be more than five.
pub async fn count_fields_of(store: &Store, rules: &RulesFile) -> anyhow::Result<()> {
    let added = store
        .add_dimensions(&rules.metadata_fields())
        .await
        .map_err(|e| anyhow::anyhow!("the alert rules' metadata fields cannot all be counted: {e}"))?;
    if !added.is_empty() {
        say!("counting the stored calls by {} in the background, for the alert rules narrowed by it", added.join(", "));
    }
    Ok(())
}

/// Waits for the background count of every dimension, saying how far it got now and then.
async fn counted(store: &Store) -> anyhow::Result<()> {
    let mut said = std::time::Instant::now();
    loop {
        let status = store.dimensions()?;
        let Some(counting) = status.iter().find(|d| !d.ready) else { return Ok(()) };
        if said.elapsed() >= std::time::Duration::from_secs(2) {
            eprintln!("counting calls by {}: {} of {}", counting.field, counting.counted_calls, counting.calls);
            said = std::time::Instant::now();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn read_rules(path: &Path) -> anyhow::Result<RulesFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the rules file {}", path.display()))?;
    RulesFile::parse(&text).map_err(|e| match e.field() {
        Some(field) => anyhow::anyhow!("{}: {field}: {e}", path.display()),
        None => anyhow::anyhow!("{}: {e}", path.display()),
    })
}

/// Each rule's firings over the history, one line each, then a line per rule.
fn check(args: AlertsCheckArgs) -> anyhow::Result<()> {
    let rules = read_rules(&args.alerts)?;
    if !args.db.exists() {
        anyhow::bail!("there is no database at {}", args.db.display());
    }
    let store = Store::open(&args.db, StoreOptions::default())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // A rule narrowed by a metadata field needs its field counted first (kept for next time).
    runtime.block_on(async {
        count_fields_of(&store, &rules).await?;
        counted(&store).await
    })?;
    let to = Timestamp::now().unix_millis();
    let from = to - args.since.as_millis() as i64;
    for rule in &rules.rules {
        let state = if rule.enabled { "" } else { " (turned off)" };
        println!("{} — {}{state}", rule.name, summary(rule));
        match runtime.block_on(preview(store.as_ref(), rule, from, to)) {
            Err(e) => println!("  cannot be tried against the past: {e}"),
            Ok(preview) => {
                for firing in &preview.firings {
                    let until = match firing.resolved_ms {
                        Some(end) => stamp(end),
                        None => "still firing".into(),
                    };
                    let held = if firing.notified { "" } else { " (within the cooldown: not notified)" };
                    println!(
                        "  fired {} until {until}, worst {}{held}",
                        stamp(firing.started_ms),
                        calleague_alert_rules::format_value(&rule.metric, firing.peak)
                    );
                }
                println!(
                    "  {} firing(s), {} notified, over the last {}",
                    preview.firings.len(),
                    preview.notified(),
                    days(args.since)
                );
            }
        }
    }
    store.close();
    Ok(())
}

fn stamp(ms: i64) -> String {
    Timestamp::from_unix_millis(ms).map(|t| t.to_string()).unwrap_or_default()
}

fn days(span: std::time::Duration) -> String {
    let hours = span.as_secs() / 3600;
    if hours >= 48 && hours % 24 == 0 {
        format!("{} days", hours / 24)
    } else {
        format!("{hours} h")
    }
}

/// What `serve --alerts` runs beside the receiver.
pub struct Running {
    runner: RuleRunner,
    chat: Option<ChatSender>,
    reload: tokio::task::JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        self.reload.abort();
        self.runner.stop().await;
        if let Some(chat) = self.chat {
            chat.stop().await;
        }
    }
}

/// `--alerts` read and checked, with the chat webhook: before anything starts, so that a
/// file that does not pass stops the start.
pub struct AlertsConfig {
    path: PathBuf,
    rules: RulesFile,
    chat: Option<ChatWebhook>,
}

/// The chat webhook's address: `--alert-webhook-file`, else systemd's `alert-webhook`
/// credential when there is one.
fn chat_webhook(args: &ServeArgs) -> anyhow::Result<Option<ChatWebhook>> {
    let path: Option<PathBuf> = match &args.alert_webhook_file {
        Some(path) => Some(path.clone()),
        None => std::env::var_os("CREDENTIALS_DIRECTORY")
            .map(|dir| PathBuf::from(dir).join("alert-webhook"))
            .filter(|path| path.exists()),
    };
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the chat webhook's address from {}", path.display()))?;
    // The address is a secret: the error says what is wrong, never what it is.
    let hook = ChatWebhook::parse(text.trim()).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Some(hook))
}

/// The rules of `--alerts`, when given, read and checked.
pub fn config(args: &ServeArgs) -> anyhow::Result<Option<AlertsConfig>> {
    let Some(path) = args.alerts.clone() else { return Ok(None) };
    let rules = read_rules(&path)?;
    let chat = chat_webhook(args)?;
    Ok(Some(AlertsConfig { path, rules, chat }))
}

/// Starts the rules over `store`, evaluated after each of `feed`'s deliveries and every 30 s.
/// `sqlite`: this computer's store, which counts calls by the rules' metadata fields (the
/// team's database reads them from the calls).
pub async fn start(
    config: AlertsConfig,
    store: Arc<dyn AlertLog>,
    sqlite: Option<Arc<Store>>,
    feed: tokio::sync::broadcast::Receiver<calleague_store::FeedItem>,
) -> anyhow::Result<Running> {
    let AlertsConfig { path, rules, chat } = config;
    if let Some(sqlite) = &sqlite {
        count_fields_of(sqlite, &rules).await?;
    }
    let chat = chat.map(|hook| {
        say!("alerts are posted to the chat webhook at {}", hook.host());
        ChatSender::start(store.clone(), hook)
    });
    let enabled = rules.rules.iter().filter(|r| r.enabled).count();
    say!("{enabled} of {} alert rules on, from {}", rules.rules.len(), path.display());
    let options = RunnerOptions { chat: chat.as_ref().map(ChatSender::waker), ..RunnerOptions::default() };
    let runner = RuleRunner::start(store, feed, rules.rules, options).await?;
    let reload = tokio::spawn(reload_on_hangup(path, runner.rules_handle(), sqlite));
    Ok(Running { runner, chat, reload })
}

/// SIGHUP re-reads the rules file; a file that does not pass keeps the rules running.
async fn reload_on_hangup(path: PathBuf, rules: calleague_alert_rules::RulesHandle, sqlite: Option<Arc<Store>>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangup) = signal(SignalKind::hangup()) else { return };
    while hangup.recv().await.is_some() {
        let read = match (read_rules(&path), &sqlite) {
            (Ok(file), Some(store)) => count_fields_of(store, &file).await.map(|_| file),
            (read, _) => read,
        };
        match read {
            Ok(file) => {
                let enabled = file.rules.iter().filter(|r| r.enabled).count();
                say!("alert rules read again: {enabled} of {} on", file.rules.len());
                rules.set(file.rules);
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "the rules file was not taken; the rules before it go on")
            }
        }
    }
}
