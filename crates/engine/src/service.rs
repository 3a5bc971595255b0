//! The receiver service: the receiver, the heartbeat that records when it was up, the
//! catch-up that reads from the REST API what it missed while it was down, and the REST
//! source beside it, started and stopped as one. The desktop app and
//! `calleague-receiver serve` both run it.

use std::sync::Arc;
use std::time::Duration;

use calleague_agents::{AgentRefresher, RefreshTiming};
use calleague_catchup::{catch_up_downtime, CatchUpError, CatchUpOptions, Progress, Uptime};
use calleague_client::Client;
use calleague_receiver::{ProbeLog, Receiver, ReceiverConfig};
use calleague_rest_source::{PublicAddress, RestSource, RestSourceOptions, SourceMode, SourceNotice};
use calleague_store::Store;
use tokio::task::JoinHandle;

use crate::error::AppResult;
use crate::AppError;

/// The last catch-up, while it runs and once it is done, for a status display.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CatchUpState {
    pub progress: Option<Progress>,
    pub error: Option<AppError>,
}

pub struct ReceiverService {
    receiver: Receiver,
    uptime: Uptime,
    store: Arc<Store>,
    catch_up: Option<JoinHandle<()>>,
    /// The REST API read beside the receiver, or instead of it (docs/sources.md).
    rest: Option<RestSource>,
    /// The agents' names, kept fresh from the REST API.
    agents: Option<AgentRefresher>,
}

impl ReceiverService {
    /// Starts receiving, then the heartbeat: uptime is recorded only while deliveries can
    /// arrive, so a receiver that could not start leaves a gap for catch-up to fill.
    pub async fn start(store: Arc<Store>, config: ReceiverConfig, heartbeat: Duration) -> AppResult<Self> {
        let receiver = Receiver::start(config, store.clone()).await?;
        let uptime = match Uptime::start(store.clone(), heartbeat).await {
            Ok(uptime) => uptime,
            Err(e) => {
                receiver.shutdown().await;
                return Err(e.into());
            }
        };
        Ok(Self { receiver, uptime, store, catch_up: None, rest: None, agents: None })
    }

    /// Where deliveries go, e.g. `http://127.0.0.1:8787/hooks/calleague`.
    pub fn url(&self) -> &str {
        self.receiver.url()
    }

    /// The events shown on the timeline (None: all); others are kept, hidden.
    pub fn set_subscriptions(&self, events: Option<std::collections::BTreeSet<String>>) {
        self.receiver.set_subscriptions(events);
    }

    /// Reads the calls missed while no receiver ran, in the background, replacing a
    /// catch-up still running (catch-up is idempotent: what it had merged stays merged).
    pub fn catch_up(
        &mut self,
        client: Client,
        options: CatchUpOptions,
        progress: impl FnMut(Progress) + Send + 'static,
        done: impl FnOnce(Result<Progress, CatchUpError>) + Send + 'static,
    ) {
        if let Some(running) = self.catch_up.take() {
            running.abort();
        }
        let store = self.store.clone();
        self.catch_up = Some(tokio::spawn(async move {
            let result = catch_up_downtime(&store, &client, options, progress).await;
            if let Err(e) = &result {
                tracing::warn!(code = %e.code(), error = %e, "catch-up failed");
            }
            done(result);
        }));
    }

    /// Reads the calls list beside the receiver (or instead of it, in REST-only mode),
    /// replacing a source already running.
    pub async fn start_rest_source(
        &mut self,
        client: Client,
        options: RestSourceOptions,
        mode: SourceMode,
        public_url: Option<String>,
        notice: impl Fn(SourceNotice) + Send + Sync + 'static,
    ) {
        if let Some(running) = self.rest.take() {
            running.stop().await;
        }
        let public = public_url.map(|url| public_address(url, self.receiver.probes()));
        self.rest = Some(RestSource::start(self.store.clone(), client, options, mode, public, notice));
    }

    /// Keeps the agents' names fresh from the REST API (replacing a refresher running).
    pub async fn start_agents(&mut self, client: Client, timing: RefreshTiming) {
        if let Some(running) = self.agents.take() {
            running.stop().await;
        }
        self.agents = Some(AgentRefresher::start(self.store.clone(), client, timing));
    }

    /// The receiver itself: its readiness, liveness and metrics address.
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// The probes of the public address that reached this receiver.
    pub fn probes(&self) -> Arc<ProbeLog> {
        self.receiver.probes()
    }

    /// The REST source, while one runs.
    pub fn rest_source(&self) -> Option<&RestSource> {
        self.rest.as_ref()
    }

    /// Stops a catch-up still running (an unfinished window is read again next time),
    /// drains the deliveries in flight, then writes the last heartbeat.
    pub async fn shutdown(mut self) {
        // First of all, so that a load balancer stops sending while the rest winds down.
        self.receiver.start_draining();
        if let Some(rest) = self.rest.take() {
            rest.stop().await;
        }
        if let Some(agents) = self.agents.take() {
            agents.stop().await;
        }
        if let Some(running) = self.catch_up.take() {
            running.abort();
            let _ = running.await;
        }
        self.receiver.shutdown().await;
        self.uptime.stop().await;
    }
}

/// `url`, checked against a receiver's `probes`: a probe sent there must reach it.
pub fn public_address(url: String, probes: Arc<ProbeLog>) -> PublicAddress {
    PublicAddress { url, reached_here: Arc::new(move |nonce: &str| probes.saw(nonce)) }
}

/// Lets the store's writer commit what is queued and stop. After the service's shutdown,
/// before the process exits.
pub async fn close_store(store: Arc<Store>) {
    if let Err(e) = tokio::task::spawn_blocking(move || store.close()).await {
        tracing::warn!(error = %e, "the store did not close cleanly");
    }
}
