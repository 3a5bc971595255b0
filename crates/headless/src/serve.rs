//! `serve`: the engine's receiver service (receiver, heartbeat, catch-up), as the desktop
//! app runs it, until SIGINT or SIGTERM.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Context;
use calleague_agents::{AgentRefresher, RefreshTiming};
use calleague_catchup::{catch_up_downtime, CatchUpOptions, Uptime};
use calleague_engine::{close_store, public_address, ReceiverService};
use calleague_events::EventKind;
use calleague_forward::{ForwardOptions, Forwarder};
use calleague_receiver::{ApiKey, KeySet, Receiver, ReceiverConfig, ServiceMetrics, TlsSettings};
use calleague_rest_source::RestSourceOptions;
use calleague_store::{Store, StoreOptions};
use calleague_store_pg::{DatabaseUrl, PgOptions, PgStore};

use crate::args::ServeArgs;
use crate::{key, rest_source, service_manager};

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    refuse_plaintext_on_the_network(&args)?;
    let (keys, forward_key) = load_keys(&args)?;
    if let Some(events) = &args.events {
        for name in events {
            if !EventKind::parse(name).is_known() {
                tracing::warn!(event = %name, "subscribed to an event name Calleague does not document");
            }
        }
    }
    let database = crate::database::from_argument(args.database.as_deref(), args.database_allow_plaintext)?;
    // Before anything starts: a rules file that does not pass stops the start.
    let alerts = crate::alerts::config(&args)?;
    let tls = if args.tls_self_signed {
        let Some(db) = &args.db else {
            anyhow::bail!("--tls-self-signed writes its certificate next to --db; in team mode give the receivers a certificate with --tls-cert and --tls-key")
        };
        let cert_out = db.with_extension("tls-cert.pem");
        Some(TlsSettings::SelfSigned { hostnames: Vec::new(), cert_out: Some(cert_out) })
    } else {
        match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsSettings::Pem { cert: cert.clone(), key: key.clone() }),
            _ => credential_tls_files()?.map(|(cert, key)| {
                say!("TLS certificate and key from the service's credentials");
                TlsSettings::Pem { cert, key }
            }),
        }
    };
    let mut config = ReceiverConfig::new(keys);
    config.bind = args.bind;
    config.path = args.path.clone();
    config.body_limit = args.body_limit;
    config.read_timeout = args.read_timeout;
    config.max_connections = args.max_connections;
    config.live_path = args.live_path.clone();
    config.ready_path = args.ready_path.clone();
    config.metrics_path = args.metrics_path.clone();
    config.metrics_bind = args.metrics_bind;
    config.metrics = (!args.no_metrics).then(ServiceMetrics::new);
    config.shutdown_delay = args.shutdown_delay;
    config.tls = tls;
    config.subscriptions = args
        .events
        .as_ref()
        .map(|e| e.iter().map(|n| EventKind::parse(n).as_str().to_owned()).collect::<BTreeSet<_>>());

    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    let rest = rest_source::clients(&args)?;
    let rest_options = rest_source::options(&args);
    let catch_up_options = CatchUpOptions { longest_call: args.longest_call, ..CatchUpOptions::default() };
    if let Some(database) = database {
        let rest = rest.map(|clients| TeamRest {
            clients,
            catch_up: catch_up_options,
            source: rest_options,
            public_url: args.public_url.clone(),
        });
        return runtime.block_on(serve_team(database, config, args.heartbeat_interval, rest, alerts));
    }
    let metrics = config.metrics.clone();
    let db = args.db.clone().context("--db or --database is required")?;
    runtime.block_on(async move {
        let store = Store::open(&db, StoreOptions { burst_rate: args.burst_rate, ..StoreOptions::default() })?;
        // Before the receiver: a new target's place in the log is taken before any delivery
        // can be acknowledged, so none from this start on is missed.
        let forwarder = forwarding(&args, store.clone(), forward_key).await;
        let alerts = match alerts {
            Some(config) => {
                Some(crate::alerts::start(config, store.clone(), Some(store.clone()), store.subscribe()).await?)
            }
            None => None,
        };
        let mut service = ReceiverService::start(store.clone(), config, args.heartbeat_interval).await?;
        let stop = StopSignals::watch()?;
        if args.tls_self_signed {
            say!("self-signed certificate written to {}", db.with_extension("tls-cert.pem").display());
        }
        announce_listening(service.receiver())?;
        let watchdog = service_manager::feed_watchdog(service.receiver().liveness());
        let mut source = None;
        if let Some(clients) = rest {
            // Every gap since the last run, however short (see CatchUpOptions::min_gap).
            service.catch_up(
                clients.catch_up,
                catch_up_options,
                crate::catch_up::reporter(),
                crate::catch_up::outcome_reporter(metrics.clone()),
            );
            if let Some(agents) = clients.agents {
                service.start_agents(agents, RefreshTiming::default()).await;
            }
            let public = args.public_url.clone().map(|url| public_address(url, service.probes()));
            source = clients.source.map(|(client, mode)| {
                rest_source::start(store.clone(), client, mode, rest_options, public, metrics.clone())
            });
        }
        stop.wait().await;
        service_manager::stopping();
        service.receiver().start_draining();
        if let Some(watchdog) = watchdog {
            watchdog.abort();
        }
        if let Some(source) = source {
            source.stop().await;
        }
        if let Some(alerts) = alerts {
            alerts.stop().await;
        }
        service.shutdown().await;
        if let Some(forwarder) = forwarder {
            // A round in flight is dropped: sent again on the next start (at least once).
            forwarder.stop().await;
        }
        // Let the writer commit whatever is still queued before we exit.
        close_store(store).await;
        Ok(())
    })
}

/// With `--forward-to`: every stored delivery sent on to the user's handlers.
async fn forwarding(args: &ServeArgs, store: Arc<Store>, key: calleague_forward::ApiKey) -> Option<Forwarder> {
    if args.forward_to.is_empty() {
        return None;
    }
    for target in &args.forward_to {
        let events = if target.events.is_empty() {
            "every event".to_owned()
        } else {
            target.events.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        say!("forwarding {events} to {}", target.url);
    }
    let options = ForwardOptions {
        timeout: args.forward_timeout,
        in_flight: args.forward_in_flight.into(),
        retry_window: args.forward_retry_window,
        ..ForwardOptions::default()
    };
    Some(Forwarder::start(store, args.forward_to.clone(), Some(key), options).await)
}

/// What a team receiver reads from the REST API.
struct TeamRest {
    clients: rest_source::RestClients,
    catch_up: CatchUpOptions,
    source: RestSourceOptions,
    public_url: Option<String>,
}

/// Team mode: the receiver over PostgreSQL, acknowledging after its COMMIT, recording its
/// runs in the fleet's uptime and, with `--api-base`, catching up the fleet's downtime
/// (one receiver at a time: see `store-pg/src/uptime.rs`). Several such receivers may
/// share the database (docs/team-mode.md). After its catch-up, one receiver of the fleet
/// (the one holding the REST source's lock) runs the REST source; when it stops, the next
/// receiver waiting takes over.
async fn serve_team(
    database: DatabaseUrl,
    config: ReceiverConfig,
    heartbeat: std::time::Duration,
    rest: Option<TeamRest>,
    alerts: Option<crate::alerts::AlertsConfig>,
) -> anyhow::Result<()> {
    let store = PgStore::connect(&database, PgOptions::default()).await?;
    let metrics = config.metrics.clone();
    if let Some(metrics) = &metrics {
        let pool = store.clone();
        metrics.on_scrape(Box::new(move |m| {
            let (idle, in_use) = pool.connections();
            m.set_pool(idle, in_use);
        }));
    }
    let receiver = Receiver::start(config, store.clone()).await?;
    // Before any catch-up: this run's start closes the gap it is to fetch.
    let uptime = Uptime::start(store.clone(), heartbeat).await?;
    let stop = StopSignals::watch()?;
    say!("team mode: deliveries go to {database}");
    announce_listening(&receiver)?;
    let watchdog = service_manager::feed_watchdog(receiver.liveness());
    // Every receiver runs a refresher; a round is claimed in the database, so one of them
    // takes each.
    let mut rest = rest;
    let agents = rest
        .as_mut()
        .and_then(|rest| rest.clients.agents.take())
        .map(|client| AgentRefresher::start(store.clone(), client, RefreshTiming::default()));
    let (stop_source, mut source_stopped) = tokio::sync::watch::channel(false);
    let catching = rest.map(|rest| {
        let (store, probes) = (store.clone(), receiver.probes());
        tokio::spawn(async move {
            let leading = async {
                let result = async {
                    let _one_at_a_time = store.lock_catch_up(calleague_store_pg::CATCH_UP_LOCK_WAIT).await?;
                    catch_up_downtime(&store, &rest.clients.catch_up, rest.catch_up, crate::catch_up::reporter()).await
                }
                .await;
                crate::catch_up::outcome_reporter(metrics.clone())(result);
                let (client, mode) = rest.clients.source?;
                // One receiver of the fleet reads the calls list; the others wait their turn.
                match store.lock_rest_source().await {
                    Ok(lock) => {
                        let public = rest.public_url.map(|url| public_address(url, probes));
                        let source = rest_source::start(store.clone(), client, mode, rest.source, public, metrics);
                        Some((lock, source))
                    }
                    Err(e) => {
                        say!("REST source not started ({}): {e}", e.code());
                        None
                    }
                }
            };
            // A stop ends a catch-up where it is (its window is recorded only once read
            // whole, so it is done again) and a wait for the lock.
            let leader = tokio::select! {
                _ = source_stopped.changed() => return,
                leader = leading => leader,
            };
            if let Some((_lock, source)) = leader {
                let _ = source_stopped.changed().await;
                source.stop().await;
            }
        })
    });
    // One receiver of the fleet evaluates the alert rules (and posts to the chat webhook);
    // the others wait for its lock and take over when it stops.
    let (stop_alerts, mut alerts_stopped) = tokio::sync::watch::channel(false);
    let alerting = alerts.map(|config| {
        let store = store.clone();
        tokio::spawn(async move {
            let lock = tokio::select! {
                _ = alerts_stopped.changed() => return,
                lock = store.lock_alert_rules() => lock,
            };
            let _lock = match lock {
                Ok(lock) => lock,
                Err(e) => return say!("alert rules not evaluated here ({}): {e}", e.code()),
            };
            say!("this receiver evaluates the fleet's alert rules");
            let feed = store.subscribe();
            match crate::alerts::start(config, store, None, feed).await {
                Ok(running) => {
                    let _ = alerts_stopped.changed().await;
                    running.stop().await;
                }
                Err(e) => tracing::error!(error = %format!("{e:#}"), "alert rules could not start"),
            }
        })
    });
    stop.wait().await;
    service_manager::stopping();
    if let Some(watchdog) = watchdog {
        watchdog.abort();
    }
    receiver.shutdown().await;
    if let Some(task) = alerting {
        let _ = stop_alerts.send(true);
        let _ = task.await;
    }
    if let Some(task) = catching {
        let _ = stop_source.send(true);
        let _ = task.await;
    }
    if let Some(agents) = agents {
        agents.stop().await;
    }
    uptime.stop().await;
    Ok(())
}

/// `listening on URL` on stdout (what scripts and tests wait for), then READY=1 to systemd:
/// the listener is bound and the store open.
fn announce_listening(receiver: &Receiver) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", receiver.url())?;
    stdout.flush()?;
    if let Some(metrics) = receiver.metrics_url() {
        say!("metrics at {metrics}");
    }
    service_manager::ready(receiver.url());
    Ok(())
}

/// SIGINT and SIGTERM, watched from the moment this is made: made before `listening on`
/// is printed, so a signal sent as soon as the line appears stops the server cleanly.
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn watch() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot watch SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot watch SIGTERM")?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Calleague's deliveries carry the API key: plain HTTP only on loopback, unless asked.
fn refuse_plaintext_on_the_network(args: &ServeArgs) -> anyhow::Result<()> {
    let tls = args.tls_self_signed || args.tls_cert.is_some() || matches!(credential_tls_files(), Ok(Some(_)));
    if !args.bind.ip().is_loopback() && !tls && !args.allow_plaintext {
        anyhow::bail!(
            "refusing to listen on {} without TLS: deliveries carry your API key as their Bearer token, readable by anyone on the network. Use --tls-cert/--tls-key or --tls-self-signed, keep the default loopback address behind a tunnel, or pass --allow-plaintext if a TLS proxy on this host fronts the receiver",
            args.bind
        );
    }
    Ok(())
}

/// The keys deliveries are checked against, and the current one for forwarded requests.
fn load_keys(args: &ServeArgs) -> anyhow::Result<(KeySet, calleague_forward::ApiKey)> {
    let text = key::read(args.key_file.as_deref())?;
    let current = ApiKey::new(&text).context("the API key is empty")?;
    let forward_key = calleague_forward::ApiKey::new(text);
    let mut keys = KeySet::single(current);
    if let Some(previous) = &args.previous_key_file {
        let until = SystemTime::now() + args.key_grace;
        let previous = ApiKey::new(&key::read(Some(previous))?).context("the previous key is empty")?;
        keys = keys.with_previous(previous, until);
    }
    Ok((keys, forward_key))
}

/// Under systemd, the certificate and key handed over as credentials (the packaged unit's
/// `LoadCredential=tls:/etc/calleague-receiver/tls` makes `cert.pem` and `key.pem` there
/// `tls_cert.pem` and `tls_key.pem`): the files stay root's, readable by the service alone,
/// with no permission to loosen.
fn credential_tls_files() -> anyhow::Result<Option<(std::path::PathBuf, std::path::PathBuf)>> {
    let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY").map(std::path::PathBuf::from) else { return Ok(None) };
    let (cert, key) = (dir.join("tls_cert.pem"), dir.join("tls_key.pem"));
    match (cert.exists(), key.exists()) {
        (true, true) => Ok(Some((cert, key))),
        (false, false) => Ok(None),
        _ => anyhow::bail!(
            "the service's credentials hold only one of tls_cert.pem and tls_key.pem: put both cert.pem and key.pem in /etc/calleague-receiver/tls"
        ),
    }
}
