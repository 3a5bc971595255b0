//! The receiver service's Prometheus metrics.
//!
//! One [`ServiceMetrics`] per process: the receiver, catch-up and the REST source record
//! into it by meaning ([`ServiceMetrics::delivery`], [`ServiceMetrics::rejected`], …), and
//! [`ServiceMetrics::encode`] writes the text exposition for `/metrics`. Names and labels
//! follow Prometheus's conventions: units in the names, `_total` on counters (added by the
//! encoder), and only labels with a few fixed values (never a call id or a peer). What each
//! metric means is in `docs/operations.md`.
//!
//! The hot path (a delivery's counter and its two latencies) touches atomics and one
//! histogram lock each, never a label lookup: the counters of every outcome and reason are
//! made at start and kept.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The media type of what [`ServiceMetrics::encode`] writes (OpenMetrics text, which
/// Prometheus reads and prefers).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What became of a delivery, as `calleague_deliveries_total`'s `outcome` label says.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    /// Committed (to the log, or in a burst to the inbox), visible or hidden by the
    /// subscription filter.
    stored,
    /// A repeat of a stored delivery: its attempt counted.
    duplicate,
    /// Verified but not an event: kept raw for a person.
    quarantined,
    /// Refused (the `reason` label says why).
    rejected,
}

/// Why a delivery was refused: the `reason` label of rejected deliveries.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum RejectReason {
    /// No or malformed `Authorization` header (401).
    unauthenticated,
    /// A Bearer token that is not the account's key (200, discarded).
    wrong_token,
    /// Over the body limit (413).
    too_large,
    /// The headers or body arrived too slowly (408).
    timed_out,
    /// The client cut the body off (400).
    aborted,
    /// The store could not commit (503; Calleague retries).
    store_unavailable,
    /// Over the connection cap (503 before any request was read).
    too_many_connections,
}

impl RejectReason {
    const ALL: [RejectReason; 7] = [
        Self::unauthenticated,
        Self::wrong_token,
        Self::too_large,
        Self::timed_out,
        Self::aborted,
        Self::store_unavailable,
        Self::too_many_connections,
    ];
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct DeliveryLabels {
    outcome: Outcome,
    reason: Option<RejectReason>,
}

/// `reason` only on rejected deliveries (the derive would write `reason=""` on the others).
impl EncodeLabelSet for DeliveryLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), std::fmt::Error> {
        let outcome = [("outcome", self.outcome)];
        outcome.as_slice().encode(encoder)?;
        match self.reason {
            Some(reason) => [("reason", reason)].as_slice().encode(encoder),
            None => Ok(()),
        }
    }
}

/// How a background run (catch-up, a REST source round) ended.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum RunResult {
    ok,
    failed,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: RunResult,
}

/// A state of the team database's connection pool.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum PoolState {
    /// Open and idle in the pool.
    idle,
    /// Open and lent out.
    in_use,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: PoolState,
}

/// What the REST source said.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Notice {
    /// "Webhooks are not arriving."
    webhooks_not_arriving,
    /// "Webhooks are arriving again."
    webhooks_arriving_again,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NoticeLabels {
    notice: Notice,
}

/// Figures read when `/metrics` is scraped rather than counted as they change.
pub type Refresh = Box<dyn Fn(&ServiceMetrics) + Send + Sync>;

/// Every metric of one process, registered once.
pub struct ServiceMetrics {
    registry: Registry,
    stored: Counter,
    duplicate: Counter,
    quarantined: Counter,
    rejected: [Counter; RejectReason::ALL.len()],
    acknowledgement: Histogram,
    commit: Histogram,
    backlog: Gauge,
    ready: Gauge,
    catch_up_runs: Family<ResultLabels, Counter>,
    catch_up_calls: Counter,
    rest_rounds: Family<ResultLabels, Counter>,
    rest_calls_found: Counter,
    notices: Family<NoticeLabels, Counter>,
    pool: Family<PoolLabels, Gauge>,
    refresh: Mutex<Vec<Refresh>>,
}

impl std::fmt::Debug for ServiceMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceMetrics").finish_non_exhaustive()
    }
}

/// Latency buckets from 0.5 ms to 10 s: an acknowledgement is a few milliseconds when all
/// is well, seconds when the disk or the database struggles.
const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

impl ServiceMetrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("calleague");
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let counter = |outcome, reason| deliveries.get_or_create_owned(&DeliveryLabels { outcome, reason });
        let stored = counter(Outcome::stored, None);
        let duplicate = counter(Outcome::duplicate, None);
        let quarantined = counter(Outcome::quarantined, None);
        let rejected = RejectReason::ALL.map(|reason| counter(Outcome::rejected, Some(reason)));
        registry.register(
            "deliveries",
            "Deliveries received, by what became of them (outcome) and, when rejected, why (reason)",
            deliveries,
        );
        let acknowledgement = Histogram::new(LATENCY_BUCKETS);
        registry.register_with_unit(
            "acknowledgement",
            "From a delivery's arrival to its reply, for deliveries that reached the store",
            Unit::Seconds,
            acknowledgement.clone(),
        );
        let commit = Histogram::new(LATENCY_BUCKETS);
        registry.register_with_unit(
            "store_commit",
            "How long the store took to commit a delivery (queueing for the writer included)",
            Unit::Seconds,
            commit.clone(),
        );
        let backlog = Gauge::default();
        registry.register(
            "projection_backlog_deliveries",
            "Deliveries acknowledged but not yet on the timeline (a burst's inbox, then the projection's lag)",
            backlog.clone(),
        );
        let ready = Gauge::default();
        registry.register(
            "ready",
            "1 while /readyz answers 200 (the store commits and the receiver is not draining), else 0",
            ready.clone(),
        );
        let catch_up_runs = Family::<ResultLabels, Counter>::default();
        registry.register("catch_up_runs", "Catch-up runs after downtime, by result", catch_up_runs.clone());
        let catch_up_calls = Counter::default();
        registry.register(
            "catch_up_calls_merged",
            "Calls that catch-up merged from the REST API (they had steps no webhook brought)",
            catch_up_calls.clone(),
        );
        let rest_rounds = Family::<ResultLabels, Counter>::default();
        registry.register(
            "rest_source_rounds",
            "Reads of the calls list by the REST source, by result",
            rest_rounds.clone(),
        );
        let rest_calls_found = Counter::default();
        registry.register(
            "rest_source_calls_found",
            "Calls that the REST source found steps of that no webhook had brought",
            rest_calls_found.clone(),
        );
        let notices = Family::<NoticeLabels, Counter>::default();
        registry.register("notices", "What the receiver told its operator, by notice", notices.clone());
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "database_connections",
            "Team mode: the PostgreSQL pool's open connections, by state",
            pool.clone(),
        );
        Arc::new(Self {
            registry,
            stored,
            duplicate,
            quarantined,
            rejected,
            acknowledgement,
            commit,
            backlog,
            ready,
            catch_up_runs,
            catch_up_calls,
            rest_rounds,
            rest_calls_found,
            notices,
            pool,
            refresh: Mutex::new(Vec::new()),
        })
    }

    /// A delivery that reached the store, and how long its reply took.
    pub fn delivery(&self, outcome: Outcome, acknowledged_in: Duration) {
        match outcome {
            Outcome::stored => self.stored.inc(),
            Outcome::duplicate => self.duplicate.inc(),
            Outcome::quarantined => self.quarantined.inc(),
            Outcome::rejected => return,
        };
        self.acknowledgement.observe(acknowledged_in.as_secs_f64());
    }

    pub fn rejected(&self, reason: RejectReason) {
        let index = RejectReason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        self.rejected[index].inc();
    }

    /// How long one commit of the store took.
    pub fn committed(&self, took: Duration) {
        self.commit.observe(took.as_secs_f64());
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.set(i64::from(ready));
    }

    pub fn catch_up_finished(&self, result: RunResult, calls_merged: u64) {
        self.catch_up_runs.get_or_create(&ResultLabels { result }).inc();
        self.catch_up_calls.inc_by(calls_merged);
    }

    /// `rounds` reads of the calls list that ended with `result`, and the calls they found.
    pub fn rest_rounds(&self, result: RunResult, rounds: u64, calls_found: u64) {
        self.rest_rounds.get_or_create(&ResultLabels { result }).inc_by(rounds);
        self.rest_calls_found.inc_by(calls_found);
    }

    pub fn notice(&self, notice: Notice) {
        self.notices.get_or_create(&NoticeLabels { notice }).inc();
    }

    pub fn set_backlog(&self, deliveries: usize) {
        self.backlog.set(i64::try_from(deliveries).unwrap_or(i64::MAX));
    }

    pub fn set_pool(&self, idle: usize, in_use: usize) {
        self.pool.get_or_create(&PoolLabels { state: PoolState::idle }).set(idle as i64);
        self.pool.get_or_create(&PoolLabels { state: PoolState::in_use }).set(in_use as i64);
    }

    /// Runs `refresh` before each encoding: for figures that are read, not counted.
    pub fn on_scrape(&self, refresh: Refresh) {
        if let Ok(mut all) = self.refresh.lock() {
            all.push(refresh);
        }
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        if let Ok(all) = self.refresh.lock() {
            for refresh in all.iter() {
                refresh(self);
            }
        }
        let mut text = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_and_reason_is_exposed_from_the_start() {
        let metrics = ServiceMetrics::new();
        metrics.delivery(Outcome::stored, Duration::from_millis(3));
        metrics.delivery(Outcome::stored, Duration::from_millis(3));
        metrics.rejected(RejectReason::wrong_token);
        let text = metrics.encode();
        assert!(text.contains("calleague_deliveries_total{outcome=\"stored\"} 2"), "{text}");
        assert!(text.contains("calleague_deliveries_total{outcome=\"duplicate\"} 0"), "{text}");
        assert!(text.contains("calleague_deliveries_total{outcome=\"rejected\",reason=\"wrong_token\"} 1"), "{text}");
        assert!(text.contains("calleague_deliveries_total{outcome=\"rejected\",reason=\"too_large\"} 0"), "{text}");
        assert!(text.contains("calleague_acknowledgement_seconds_count 2"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn figures_read_at_scrape_time_are_read_then() {
        let metrics = ServiceMetrics::new();
        let n = Arc::new(std::sync::atomic::AtomicUsize::new(7));
        let seen = n.clone();
        metrics.on_scrape(Box::new(move |m| m.set_backlog(seen.load(std::sync::atomic::Ordering::Relaxed))));
        assert!(metrics.encode().contains("calleague_projection_backlog_deliveries 7"));
        n.store(0, std::sync::atomic::Ordering::Relaxed);
        assert!(metrics.encode().contains("calleague_projection_backlog_deliveries 0"));
    }
}

#[cfg(test)]
mod docs {
    use super::*;

    /// Every `calleague_…` name in a text.
    fn names(text: &str) -> std::collections::BTreeSet<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("calleague_") && word.len() > "calleague_".len())
            .map(str::to_owned)
            .collect()
    }

    /// The metric families exposed, as a scrape names their samples (`_total`, `_bucket`…).
    fn exposed() -> (String, std::collections::BTreeSet<String>) {
        let metrics = ServiceMetrics::new();
        metrics.set_pool(1, 0);
        metrics.catch_up_finished(RunResult::ok, 0);
        metrics.rest_rounds(RunResult::ok, 1, 0);
        metrics.notice(Notice::webhooks_not_arriving);
        let text = metrics.encode();
        let samples =
            text.lines().filter(|l| !l.starts_with('#')).map(|l| l.split(['{', ' ']).next().unwrap_or("").to_owned());
        (text.clone(), samples.collect())
    }

    #[test]
    fn the_operations_page_lists_every_metric_and_no_other() {
        let page = include_str!("../../../docs/operations.md");
        let (_, samples) = exposed();
        let documented = names(page);
        for sample in &samples {
            let family =
                ["_bucket", "_count", "_sum"].iter().fold(sample.as_str(), |s, end| s.strip_suffix(end).unwrap_or(s));
            assert!(documented.contains(family), "{family} is exposed but not in docs/operations.md");
        }
        for name in documented.iter().filter(|n| !n.ends_with("_bucket") && *n != "calleague_receiver") {
            assert!(
                samples.iter().any(|s| s == name || s.starts_with(&format!("{name}_"))),
                "docs/operations.md names {name}, which is not exposed"
            );
        }
    }

    #[test]
    fn the_grafana_dashboard_asks_only_for_exposed_metrics() {
        let dashboard = include_str!("../../../docs/grafana-dashboard.json");
        let (_, samples) = exposed();
        let asked = names(dashboard);
        assert!(asked.len() >= 10, "the dashboard shows only {asked:?}");
        for name in asked.iter().filter(|n| *n != "calleague_receivers") {
            assert!(samples.contains(name), "the dashboard asks for {name}, which is not exposed");
        }
    }
}
