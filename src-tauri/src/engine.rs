//! The engine inside the app: the store, the receiver on the configured port, the key
//! (in memory; at rest only in the keychain), and the simulator in demo mode.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use calleague_catchup::{Uptime, HEARTBEAT_INTERVAL};
use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig};
use calleague_sim::{ScenarioSpec, SimConfig, Simulator};
use calleague_store::Store;
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::error::{AppError, AppResult};
use crate::keychain;
use crate::settings::{self, Settings};

pub const DEMO: &str = "demo";
pub const ACCOUNT: &str = "account";

/// What the UI shows about the app's state.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// "account", "demo", or none before onboarding.
    #[ts(type = "\"account\" | \"demo\" | null")]
    pub mode: Option<String>,
    pub key_masked: Option<String>,
    pub keychain_error: Option<AppError>,
    pub receiver_url: Option<String>,
    pub receiver_error: Option<AppError>,
    pub port: u16,
    pub public_url: Option<String>,
    pub api_base_url: String,
    /// The last catch-up after downtime, while it runs and once done.
    pub catch_up: Option<calleague_catchup::Progress>,
    pub catch_up_error: Option<AppError>,
}

struct Demo {
    sim: Simulator,
    player: JoinHandle<()>,
}

#[derive(Default)]
struct Running {
    key: Option<String>,
    keychain_error: Option<AppError>,
    receiver: Option<Receiver>,
    receiver_error: Option<AppError>,
    uptime: Option<Uptime>,
    demo: Option<Demo>,
}

pub struct Engine {
    pub store: Arc<Store>,
    catch_up: Arc<std::sync::Mutex<(Option<calleague_catchup::Progress>, Option<AppError>)>>,
    config_dir: PathBuf,
    settings: Mutex<Settings>,
    running: Mutex<Running>,
}

impl Engine {
    pub fn new(store: Arc<Store>, config_dir: PathBuf) -> Self {
        let settings = settings::load(&config_dir);
        Self {
            store,
            catch_up: Arc::default(),
            config_dir,
            settings: Mutex::new(settings),
            running: Mutex::new(Running::default()),
        }
    }

    /// Picks up where the last run left off: the account's key from the keychain, or demo.
    pub async fn resume(&self) {
        let mode = self.settings.lock().await.mode.clone();
        match mode.as_deref() {
            Some(ACCOUNT) => match keychain::load().await {
                Ok(Some(key)) => {
                    self.running.lock().await.key = Some(key);
                    self.restart_receiver().await;
                }
                Ok(None) => {
                    self.running.lock().await.keychain_error = Some(AppError::new(
                        "key_missing",
                        "No API key was found in the keychain. If your keychain is locked, unlock it and restart; otherwise connect your account again.",
                    ));
                }
                Err(e) => self.running.lock().await.keychain_error = Some(e.into()),
            },
            Some(DEMO) => {
                if let Err(e) = self.start_demo().await {
                    self.running.lock().await.receiver_error = Some(e);
                }
            }
            _ => {}
        }
    }

    pub async fn status(&self) -> AppStatus {
        let settings = self.settings.lock().await.clone();
        let running = self.running.lock().await;
        let (catch_up, catch_up_error) = self.catch_up.lock().map(|c| c.clone()).unwrap_or_default();
        AppStatus {
            mode: settings.mode.clone(),
            key_masked: if settings.mode.as_deref() == Some(ACCOUNT) {
                running.key.as_deref().map(keychain::mask)
            } else {
                None
            },
            keychain_error: running.keychain_error.clone(),
            receiver_url: running.receiver.as_ref().map(|r| r.url().to_owned()),
            receiver_error: running.receiver_error.clone(),
            port: settings.port,
            public_url: settings.public_url,
            api_base_url: settings.api_base_url,
            catch_up,
            catch_up_error,
        }
    }

    async fn update_settings(&self, change: impl FnOnce(&mut Settings)) -> AppResult<()> {
        let mut settings = self.settings.lock().await;
        change(&mut settings);
        settings::save(&self.config_dir, &settings)
            .map_err(|e| AppError::new("settings_write", format!("cannot save settings: {e}")))
    }

    /// Checks the key against the API, stores it in the keychain, starts receiving.
    pub async fn connect_account(&self, key: String, api_base_url: Option<String>) -> AppResult<()> {
        let key = key.trim().to_owned();
        if key.is_empty() {
            return Err(AppError::new("key_empty", "Paste your Calleague API key."));
        }
        let base =
            api_base_url.filter(|b| !b.trim().is_empty()).unwrap_or_else(|| calleague_client::DEFAULT_BASE_URL.into());
        let secret = calleague_client::SecretKey::new(key.clone())
            .ok_or_else(|| AppError::new("key_empty", "Paste your Calleague API key."))?;
        let client = calleague_client::Client::new(calleague_client::ClientConfig::with_base_url(base.trim()), secret)?;
        client.check_key().await?;
        keychain::save(key.clone()).await?;
        self.stop_demo().await;
        {
            let mut running = self.running.lock().await;
            running.key = Some(key);
            running.keychain_error = None;
        }
        self.update_settings(|s| {
            s.mode = Some(ACCOUNT.into());
            s.api_base_url = base.trim().to_owned();
        })
        .await?;
        self.restart_receiver().await;
        Ok(())
    }

    pub async fn remove_key(&self) -> AppResult<()> {
        keychain::remove().await?;
        self.stop_receiver().await;
        self.running.lock().await.key = None;
        self.update_settings(|s| s.mode = None).await
    }

    pub async fn set_port(&self, port: u16) -> AppResult<()> {
        if port < 1024 {
            return Err(AppError::new("port_invalid", "Choose a port from 1024 to 65535."));
        }
        self.update_settings(|s| s.port = port).await?;
        self.restart_receiver().await;
        Ok(())
    }

    pub async fn set_public_url(&self, url: Option<String>) -> AppResult<()> {
        let url = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
        if let Some(u) = &url {
            if !u.starts_with("https://") {
                return Err(AppError::new("public_url_invalid", "The public address must start with https://"));
            }
        }
        self.update_settings(|s| s.public_url = url).await
    }

    /// Starts the simulator in this process, registers our receiver with it, and plays a
    /// steady stream of calls. A receiver that cannot start (say, its port is taken) does
    /// not stop the demo: the status shows why, and the webhook follows the receiver when
    /// it moves to another port.
    pub async fn start_demo(&self) -> AppResult<()> {
        self.stop_demo().await;
        let demo_key = format!("demo_{:016x}", rand_u64());
        let mut config = SimConfig::new(demo_key.clone());
        config.time_scale = 6.0;
        config.allow_loopback_http = true;
        config.dup_rate = 0.05;
        config.reorder_rate = 0.05;
        config.seed = rand_u64();
        let sim = Simulator::start(config, "127.0.0.1:0".parse().expect("loopback"))
            .await
            .map_err(|e| AppError::new("demo_failed", e.to_string()))?;
        // Short calls, so a person sees them move through their states within seconds.
        let spec =
            ScenarioSpec { calls: 3, rate: 2.0, min_duration_sec: 12.0, max_duration_sec: 90.0, ..Default::default() };
        let stage = sim.player();
        let first = spec.clone();
        let player = tokio::spawn(async move {
            // The first calls once the receiver had its moment to start; then two more every
            // few seconds while the demo runs.
            tokio::time::sleep(Duration::from_millis(300)).await;
            stage.play(first);
            loop {
                tokio::time::sleep(Duration::from_secs(4)).await;
                stage.play(ScenarioSpec { calls: 2, rate: 1.0, ..spec.clone() });
            }
        });
        {
            let mut running = self.running.lock().await;
            running.key = Some(demo_key);
            running.demo = Some(Demo { sim, player });
        }
        self.update_settings(|s| s.mode = Some(DEMO.into())).await?;
        self.restart_receiver().await;
        Ok(())
    }

    pub async fn stop_demo(&self) {
        let demo = self.running.lock().await.demo.take();
        if let Some(demo) = demo {
            demo.player.abort();
            demo.sim.shutdown().await;
        }
    }

    pub async fn leave_demo(&self) -> AppResult<()> {
        self.stop_demo().await;
        self.stop_receiver().await;
        self.running.lock().await.key = None;
        self.update_settings(|s| s.mode = None).await
    }

    async fn stop_receiver(&self) {
        let (receiver, uptime) = {
            let mut running = self.running.lock().await;
            (running.receiver.take(), running.uptime.take())
        };
        if let Some(receiver) = receiver {
            receiver.shutdown().await;
        }
        if let Some(uptime) = uptime {
            uptime.stop().await;
        }
    }

    /// (Re)starts the receiver with the current key and port; a failure (e.g. the port is
    /// taken) is kept for the status bar.
    pub async fn restart_receiver(&self) {
        self.stop_receiver().await;
        let port = self.settings.lock().await.port;
        let key = self.running.lock().await.key.clone();
        let Some(key) = key.as_deref().and_then(ApiKey::new) else { return };
        let mut config = ReceiverConfig::new(KeySet::single(key));
        config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let started = Receiver::start(config, self.store.clone()).await;
        let mut running = self.running.lock().await;
        match started {
            Ok(receiver) => {
                if let Some(demo) = &running.demo {
                    let events = [
                        "call.started",
                        "call.connected",
                        "call.completed",
                        "call.failed",
                        "recording.ready",
                        "transcript.ready",
                    ];
                    demo.sim.deliver_only_to(receiver.url(), events.iter().map(|e| e.to_string()).collect());
                }
                running.receiver = Some(receiver);
                running.receiver_error = None;
            }
            Err(e) => running.receiver_error = Some(e.into()),
        }
        drop(running);
        match Uptime::start(self.store.clone(), HEARTBEAT_INTERVAL).await {
            Ok(uptime) => self.running.lock().await.uptime = Some(uptime),
            Err(e) => tracing::warn!(error = %e, "cannot record uptime"),
        }
        if self.settings.lock().await.mode.as_deref() == Some(ACCOUNT) {
            self.spawn_catch_up().await;
        }
    }

    /// Reads the calls missed while the app was not receiving from the REST API, in the
    /// background; progress shows in the status. Running it again adds nothing.
    pub async fn spawn_catch_up(&self) {
        let client = match self.client().await {
            Ok(client) => client,
            Err(e) => {
                if let Ok(mut c) = self.catch_up.lock() {
                    c.1 = Some(e);
                }
                return;
            }
        };
        let (store, shared) = (self.store.clone(), self.catch_up.clone());
        if let Ok(mut c) = shared.lock() {
            *c = (Some(calleague_catchup::Progress::default()), None);
        }
        tokio::spawn(async move {
            let progress = shared.clone();
            let result = calleague_catchup::catch_up_downtime(&store, &client, Default::default(), move |p| {
                if let Ok(mut c) = progress.lock() {
                    c.0 = Some(p);
                }
            })
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "catch-up failed");
                if let Ok(mut c) = shared.lock() {
                    c.1 = Some(AppError::new(e.code(), e.to_string()));
                }
            }
        });
    }

    /// A free loopback port near the configured one, for when that one is taken.
    pub async fn suggest_port(&self) -> Option<u16> {
        let from = self.settings.lock().await.port;
        (1..=100u16)
            .filter_map(|i| from.checked_add(i))
            .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
    }

    /// A REST client for the current mode: the account's API, or the demo's simulator.
    pub async fn client(&self) -> AppResult<calleague_client::Client> {
        let running = self.running.lock().await;
        let key = running
            .key
            .clone()
            .ok_or_else(|| AppError::new("not_connected", "Connect an account or start the demo first."))?;
        let base = match &running.demo {
            Some(demo) => demo.sim.url(),
            None => self.settings.lock().await.api_base_url.clone(),
        };
        drop(running);
        let secret =
            calleague_client::SecretKey::new(key).ok_or_else(|| AppError::new("not_connected", "No API key."))?;
        Ok(calleague_client::Client::new(calleague_client::ClientConfig::with_base_url(base), secret)?)
    }

    pub async fn shutdown(&self) {
        self.stop_demo().await;
        self.stop_receiver().await;
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}
