//! The engine inside the app: the mode (an account, or the demo), the settings, the key
//! (in memory while running; at rest only in the keychain), and the receiver service on
//! the configured port.

use std::path::PathBuf;
use std::sync::Arc;

use calleague_alerts::{AlertSettings, AlertStatus, Alerts};
use calleague_catchup::{CatchUpOptions, Progress, HEARTBEAT_INTERVAL};
use calleague_client::{Client, ClientConfig, SecretKey};
use calleague_error_code::ErrorCode;
use calleague_receiver::ApiKey;
use calleague_store::Store;
use serde::Serialize;
use tokio::sync::Mutex;

use crate::demo::Demo;
use crate::error::{AppError, AppResult};
use crate::keychain::{mask, Entry, Keychain, KeychainError};
use crate::receiver_settings::{check_port, checked_public_url, PreviousKey};
use crate::service::{CatchUpState, ReceiverService};
use crate::settings::{self, Mode, Settings};
use crate::subscriptions::SubscriptionProblem;
use calleague_rest_source::SourceStatus;

/// What the UI shows about the app's state.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// None before onboarding.
    pub mode: Option<Mode>,
    pub key_masked: Option<String>,
    pub keychain_error: Option<AppError>,
    pub receiver_url: Option<String>,
    pub receiver_error: Option<AppError>,
    pub port: u16,
    pub public_url: Option<String>,
    pub api_base_url: String,
    /// The last catch-up after downtime, while it runs and once done.
    pub catch_up: Option<Progress>,
    pub catch_up_error: Option<AppError>,
    pub notifications: AlertSettings,
    /// Unseen failures, and whether notifications can be shown.
    pub alerts: AlertStatus,
    pub start_at_login: bool,
    /// Light, dark, or the desktop's.
    pub theme: crate::settings::Theme,
    /// What the last look at the subscriptions found wrong for this computer.
    pub subscription_problem: Option<SubscriptionProblem>,
    /// Team mode: the database watched, without its password, once connected.
    pub team_database: Option<String>,
    /// Team mode: why the database is not watched now (it is tried again meanwhile).
    pub team_error: Option<AppError>,
    /// Where calls come from now, and what the REST source last did (account mode).
    pub source: Option<SourceStatus>,
    /// How the REST API is read (the settings).
    pub source_settings: crate::settings::SourceSettings,
    /// Forward targets that keep failing (one line in the status bar).
    pub forwarding_failing: Vec<crate::forwarding_views::FailingTarget>,
    /// Alert rules firing now.
    pub alerts_firing: Vec<crate::alert_rules::FiringAlert>,
}

/// What runs now; settings say what should run after a restart.
#[derive(Default)]
pub(crate) struct Running {
    pub(crate) key: Option<String>,
    /// Where the key may be sent: from the keychain, beside the key; never from settings.
    pub(crate) api_base: Option<String>,
    pub(crate) keychain_error: Option<AppError>,
    pub(crate) service: Option<ReceiverService>,
    pub(crate) receiver_error: Option<AppError>,
    pub(crate) demo: Option<Demo>,
    pub(crate) subscription_problem: Option<SubscriptionProblem>,
    /// The key before the last replacement, accepted for the grace period. In memory only.
    pub(crate) previous_key: Option<PreviousKey>,
    /// The events the subscriptions pointing here ask for (None: all), kept over restarts.
    pub(crate) event_filter: Option<std::collections::BTreeSet<String>>,
    /// Why the team's database is not watched now.
    pub(crate) team_error: Option<AppError>,
}

pub struct Engine {
    store: Arc<Store>,
    keychain: Arc<dyn Keychain>,
    pub(crate) config_dir: PathBuf,
    pub(crate) settings: Mutex<Settings>,
    pub(crate) running: Mutex<Running>,
    catch_up: Arc<std::sync::Mutex<CatchUpState>>,
    /// The notifications' watcher, once the app started it (the headless receiver has none).
    pub(crate) alerts: std::sync::OnceLock<Alerts>,
    /// Retention's background task, once started.
    pub(crate) pruner: std::sync::OnceLock<crate::retention::Pruner>,
    /// Team mode: the team's database, once connected (see team.rs).
    pub(crate) team: std::sync::RwLock<Option<Arc<calleague_store_pg::PgStore>>>,
    /// The request budget of background REST reads, made on first use (see sources.rs).
    pub(crate) rest_budget: std::sync::Mutex<Option<Arc<calleague_client::RequestBudget>>>,
    /// The forwarder beside the receiver, and a replay in progress (forwarding.rs).
    pub(crate) forwarding: Mutex<crate::forwarding::ForwardingState>,
    /// The alert rules' runner and chat sender (alert_rules.rs).
    pub(crate) alert_rules: Mutex<crate::alert_rules::AlertRulesState>,
}

impl Engine {
    pub fn new(store: Arc<Store>, keychain: Arc<dyn Keychain>, config_dir: PathBuf) -> Self {
        let settings = settings::load(&config_dir);
        Self {
            store,
            keychain,
            config_dir,
            settings: Mutex::new(settings),
            running: Mutex::new(Running::default()),
            catch_up: Arc::default(),
            alerts: std::sync::OnceLock::new(),
            pruner: std::sync::OnceLock::new(),
            team: std::sync::RwLock::new(None),
            rest_budget: std::sync::Mutex::new(None),
            forwarding: Mutex::new(Default::default()),
            alert_rules: Mutex::new(Default::default()),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Picks up where the last run left off: the account's key from the keychain, the
    /// demo, or the team's database.
    pub async fn resume(self: &Arc<Self>) {
        self.start_retention().await;
        let mode = self.settings.lock().await.mode;
        match mode {
            Some(Mode::Account) => match self.keychain(|k| k.load(Entry::ApiKey)).await {
                Ok(Some(key)) => {
                    let base = match self.stored_api_base().await {
                        Ok(base) => base,
                        Err(e) => return self.running.lock().await.keychain_error = Some(e.into()),
                    };
                    let mut running = self.running.lock().await;
                    running.key = Some(key);
                    running.api_base = Some(base);
                    drop(running);
                    self.restart_receiver().await;
                }
                Ok(None) => {
                    self.running.lock().await.keychain_error = Some(AppError::new(
                        ErrorCode::KeyMissing,
                        "No API key was found in the keychain. If your keychain is locked, unlock it and restart; otherwise connect your account again.",
                    ));
                }
                Err(e) => self.running.lock().await.keychain_error = Some(e.into()),
            },
            Some(Mode::Demo) => {
                if let Err(e) = self.start_demo().await {
                    self.running.lock().await.receiver_error = Some(e);
                }
            }
            Some(Mode::Team) => self.resume_team().await,
            None => {}
        }
    }

    pub async fn status(&self) -> AppStatus {
        let settings = self.settings.lock().await.clone();
        let running = self.running.lock().await;
        let catch_up = self.catch_up.lock().map(|c| c.clone()).unwrap_or_default();
        AppStatus {
            mode: settings.mode,
            key_masked: match settings.mode {
                Some(Mode::Account | Mode::Team) => running.key.as_deref().map(mask),
                _ => None,
            },
            keychain_error: running.keychain_error.clone(),
            receiver_url: running.service.as_ref().map(|s| s.url().to_owned()),
            receiver_error: running.receiver_error.clone(),
            port: settings.port,
            public_url: settings.public_url,
            api_base_url: running.api_base.clone().unwrap_or(settings.api_base_url),
            catch_up: catch_up.progress,
            catch_up_error: catch_up.error,
            notifications: settings.notifications,
            alerts: self.alerts.get().map(Alerts::status).unwrap_or_default(),
            start_at_login: settings.start_at_login,
            theme: settings.theme,
            subscription_problem: running.subscription_problem.clone(),
            team_database: self.team_address(),
            team_error: running.team_error.clone().or_else(|| self.team_link_down()),
            source: running.service.as_ref().and_then(|s| s.rest_source()).map(|r| r.current()),
            source_settings: settings.sources,
            forwarding_failing: self.failing_targets(),
            alerts_firing: self.firing_alerts(&settings.alert_rules.rules),
        }
    }

    /// Whether the app has work to do without its window: a receiver runs, or a team's
    /// database is watched (its failures are notified). Without waiting: a change in
    /// progress counts as working (for the window's close button, which must not block).
    pub fn receiving(&self) -> bool {
        self.team_store().is_some() || self.running.try_lock().map(|r| r.service.is_some()).unwrap_or(true)
    }

    /// Checks the key against the API, stores it in the keychain, starts receiving.
    pub async fn connect_account(&self, key: String, api_base_url: Option<String>) -> AppResult<()> {
        let (key, base) = self.check_and_keep_key(key, api_base_url, [Entry::ApiKey, Entry::ApiBase]).await?;
        let was_demo = self.running.lock().await.demo.is_some();
        self.stop_demo().await;
        let grace = self.key_grace().await;
        {
            let mut running = self.running.lock().await;
            // A replaced account key stays accepted for the grace period: deliveries signed
            // with it may still be on their way.
            let replaced = running.key.take().filter(|old| !was_demo && *old != key);
            running.previous_key = replaced
                .filter(|_| !grace.is_zero())
                .map(|old| PreviousKey { key: old, until: std::time::SystemTime::now() + grace });
            running.key = Some(key);
            running.api_base = Some(base.clone());
            running.keychain_error = None;
        }
        self.update_settings(|s| {
            s.mode = Some(Mode::Account);
            // Shown to the person; never read to decide where the key goes.
            s.api_base_url = base;
        })
        .await?;
        self.restart_receiver().await;
        Ok(())
    }

    /// Checks the key against the API at `api_base_url` (Calleague's by default), then
    /// keeps both in the keychain as `[key, address]`; the key and address, trimmed.
    pub(crate) async fn check_and_keep_key(
        &self,
        key: String,
        api_base_url: Option<String>,
        [key_entry, base_entry]: [Entry; 2],
    ) -> AppResult<(String, String)> {
        let key = key.trim().to_owned();
        let empty = || AppError::new(ErrorCode::KeyEmpty, "Paste your Calleague API key.");
        let secret = SecretKey::new(key.clone()).ok_or_else(empty)?;
        let base = api_base_url
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| calleague_client::DEFAULT_BASE_URL.into());
        let client = Client::new(ClientConfig::with_base_url(&base), secret)?;
        client.check_key().await?;
        // The address first: a key never rests in the keychain without the one place it may go.
        let (stored_key, stored_base) = (key.clone(), base.clone());
        self.keychain(move |k| k.save(base_entry, &stored_base)).await?;
        self.keychain(move |k| k.save(key_entry, &stored_key)).await?;
        Ok((key, base))
    }

    pub async fn remove_key(&self) -> AppResult<()> {
        self.keychain(|k| k.remove(Entry::ApiKey)).await?;
        self.keychain(|k| k.remove(Entry::ApiBase)).await?;
        self.stop_receiver().await;
        let mut running = self.running.lock().await;
        running.key = None;
        running.previous_key = None;
        running.api_base = None;
        drop(running);
        self.update_settings(|s| s.mode = None).await
    }

    /// The address stored beside the key. An install from before it was kept there has
    /// only the settings' copy: that is taken once, as it is, and stored beside the key.
    async fn stored_api_base(&self) -> Result<String, KeychainError> {
        if let Some(base) = self.keychain(|k| k.load(Entry::ApiBase)).await? {
            return Ok(base);
        }
        let base = self.settings.lock().await.api_base_url.clone();
        let stored = base.clone();
        self.keychain(move |k| k.save(Entry::ApiBase, &stored)).await?;
        Ok(base)
    }

    pub async fn set_port(&self, port: u16) -> AppResult<()> {
        check_port(port)?;
        self.update_settings(|s| s.port = port).await?;
        self.restart_receiver().await;
        Ok(())
    }

    pub async fn set_public_url(&self, url: Option<String>) -> AppResult<()> {
        let url = checked_public_url(url)?;
        self.update_settings(|s| s.public_url = url).await?;
        self.follow_source_mode().await;
        Ok(())
    }

    /// Starts the simulator in this process and receives its calls. A receiver that cannot
    /// start (say, its port is taken) does not stop the demo: the status shows why, and the
    /// webhook follows the receiver when it moves to another port.
    pub async fn start_demo(&self) -> AppResult<()> {
        self.stop_demo().await;
        let demo = Demo::start().await?;
        {
            let mut running = self.running.lock().await;
            running.key = Some(demo.key().to_owned());
            running.demo = Some(demo);
        }
        self.update_settings(|s| s.mode = Some(Mode::Demo)).await?;
        self.restart_receiver().await;
        Ok(())
    }

    pub async fn leave_demo(&self) -> AppResult<()> {
        self.stop_demo().await;
        self.stop_receiver().await;
        self.running.lock().await.key = None;
        self.update_settings(|s| s.mode = None).await
    }

    /// (Re)starts the receiver service with the current key and port; a failure (e.g. the
    /// port is taken) is kept for the status bar. In account mode, catches up after.
    pub async fn restart_receiver(&self) {
        self.stop_receiver().await;
        let settings = self.settings.lock().await.clone();
        // A desktop watching a team's database receives nothing (its key, if any, is for
        // recordings).
        if settings.mode == Some(Mode::Team) {
            return;
        }
        let mut running = self.running.lock().await;
        let Some(key) = running.key.as_deref().and_then(ApiKey::new) else { return };
        let mut config = self.receiver_config(&settings, key, running.previous_key.as_ref());
        config.subscriptions = running.event_filter.clone();
        match ReceiverService::start(self.store.clone(), config, HEARTBEAT_INTERVAL).await {
            Ok(service) => {
                if let Some(demo) = &running.demo {
                    demo.deliver_to(service.url());
                }
                running.service = Some(service);
                running.receiver_error = None;
            }
            Err(e) => running.receiver_error = Some(e),
        }
        drop(running);
        self.restart_forwarder().await;
        self.restart_alert_rules().await;
        self.start_agents().await;
        if self.settings.lock().await.mode == Some(Mode::Account) {
            self.spawn_catch_up().await;
            self.start_rest_source().await;
        }
    }

    /// Reads the calls missed while the app was not receiving from the REST API, in the
    /// background; progress shows in the status. Running it again adds nothing.
    pub async fn spawn_catch_up(&self) {
        let client = match self.reading_client().await {
            Ok(client) => client,
            Err(e) => return self.set_catch_up(|c| c.error = Some(e)),
        };
        let longest_call = self.settings.lock().await.longest_call();
        let options = CatchUpOptions { longest_call, ..CatchUpOptions::default() };
        let mut running = self.running.lock().await;
        let Some(service) = running.service.as_mut() else { return };
        self.set_catch_up(|c| *c = CatchUpState { progress: Some(Progress::default()), error: None });
        let (progress, done) = (self.catch_up.clone(), self.catch_up.clone());
        let alerts = self.alerts.get().cloned();
        service.catch_up(
            client,
            options,
            move |p| {
                if let Ok(mut c) = progress.lock() {
                    c.progress = Some(p);
                }
            },
            move |result| {
                // Failed calls it merged become one "while closed" note (also after an error:
                // what was merged before it stays merged).
                if let Some(alerts) = alerts {
                    alerts.catch_up_finished();
                }
                if let (Err(e), Ok(mut c)) = (result, done.lock()) {
                    c.error = Some(e.into());
                }
            },
        );
    }

    /// A free loopback port near the configured one, for when that one is taken.
    pub async fn suggest_port(&self) -> Option<u16> {
        let from = self.settings.lock().await.port;
        (1..=100u16)
            .filter_map(|i| from.checked_add(i))
            .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
    }

    /// A REST client for the current mode: the account's API, or the demo's simulator.
    pub async fn client(&self) -> AppResult<Client> {
        let running = self.running.lock().await;
        let team = self.team_store().is_some();
        let not_connected = || {
            let message = if team {
                "Calleague's API needs the account's key, and this app watches the team's database without one."
            } else {
                "Connect an account or start the demo first."
            };
            AppError::new(ErrorCode::NotConnected, message)
        };
        let key = running.key.clone().ok_or_else(not_connected)?;
        let base = match (&running.demo, &running.api_base) {
            (Some(demo), _) => demo.api_url(),
            (None, Some(base)) => base.clone(),
            (None, None) => return Err(not_connected()),
        };
        drop(running);
        let secret = SecretKey::new(key).ok_or_else(not_connected)?;
        Ok(Client::new(ClientConfig::with_base_url(base), secret)?)
    }

    /// Stops the demo and the receiver service (or notes when watching a team's database
    /// stopped), then lets the store commit what is queued.
    pub async fn shutdown(&self) {
        self.stop_watching().await;
        self.stop_demo().await;
        self.stop_receiver().await;
        crate::service::close_store(self.store.clone()).await;
    }

    pub(crate) async fn stop_demo(&self) {
        let demo = self.running.lock().await.demo.take();
        if let Some(demo) = demo {
            demo.stop().await;
        }
    }

    pub(crate) async fn stop_receiver(&self) {
        self.stop_forwarder().await;
        self.stop_alert_rules().await;
        let service = self.running.lock().await.service.take();
        if let Some(service) = service {
            service.shutdown().await;
        }
    }

    pub(crate) async fn update_settings(&self, change: impl FnOnce(&mut Settings)) -> AppResult<()> {
        let mut settings = self.settings.lock().await;
        let mut changed = settings.clone();
        change(&mut changed);
        settings::save(&self.config_dir, &changed)
            .map_err(|e| AppError::new(ErrorCode::SettingsWrite, format!("cannot save settings: {e}")))?;
        // Only what was saved takes effect: a failed save changes nothing.
        *settings = changed;
        Ok(())
    }

    fn set_catch_up(&self, change: impl FnOnce(&mut CatchUpState)) {
        if let Ok(mut c) = self.catch_up.lock() {
            change(&mut c);
        }
    }

    /// Keychain calls block on D-Bus: off the async workers.
    pub(crate) async fn keychain<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn Keychain) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        let keychain = self.keychain.clone();
        tokio::task::spawn_blocking(move || call(keychain.as_ref()))
            .await
            .map_err(|e| KeychainError::Unavailable(e.to_string()))?
    }
}
