//! Demo mode: the simulator in this process, playing a steady stream of short calls to
//! the app's own receiver. Nothing leaves the machine.

use std::time::Duration;

use calleague_error_code::ErrorCode;
use calleague_sim::{ScenarioSpec, SimConfig, Simulator};
use tokio::task::JoinHandle;

use crate::error::{AppError, AppResult};

/// Every event the demo's webhook subscribes to.
const EVENTS: [&str; 6] =
    ["call.started", "call.connected", "call.completed", "call.failed", "recording.ready", "transcript.ready"];

pub struct Demo {
    sim: Simulator,
    player: JoinHandle<()>,
    key: String,
}

impl Demo {
    /// Starts the simulator on a free loopback port with a one-off key, and the calls.
    pub async fn start() -> AppResult<Self> {
        let key = format!("demo_{:016x}", random_u64());
        let mut config = SimConfig::new(key.clone());
        config.time_scale = 6.0;
        config.allow_loopback_http = true;
        config.dup_rate = 0.05;
        config.reorder_rate = 0.05;
        config.seed = random_u64();
        let sim = Simulator::start(config, std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| AppError::new(ErrorCode::DemoFailed, e.to_string()))?;
        // Short calls, so a person sees them move through their phases within seconds.
        let spec =
            ScenarioSpec { calls: 3, rate: 2.0, min_duration_sec: 12.0, max_duration_sec: 90.0, ..Default::default() };
        let stage = sim.player();
        let player = tokio::spawn(async move {
            // The first calls once the receiver had its moment to start; then two more every
            // few seconds while the demo runs.
            tokio::time::sleep(Duration::from_millis(300)).await;
            stage.play(spec.clone());
            loop {
                tokio::time::sleep(Duration::from_secs(4)).await;
                stage.play(ScenarioSpec { calls: 2, rate: 1.0, ..spec.clone() });
            }
        });
        Ok(Self { sim, player, key })
    }

    /// The key the simulator signs its deliveries with (and accepts on its REST API).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The simulator's REST API.
    pub fn api_url(&self) -> String {
        self.sim.url()
    }

    /// Sends every delivery to `receiver_url` (the receiver moved to another port).
    pub fn deliver_to(&self, receiver_url: &str) {
        self.sim.deliver_only_to(receiver_url, EVENTS.iter().map(|e| e.to_string()).collect());
    }

    pub async fn stop(self) {
        self.player.abort();
        self.sim.shutdown().await;
    }
}

/// Not for secrets: a one-off local demo key and a scenario seed.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}
