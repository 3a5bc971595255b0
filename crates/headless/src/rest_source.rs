//! The REST source `serve --api-base` runs beside the receiver: its mode from the flags,
//! one request budget for every REST read, and what it finds said on stderr.

use std::sync::Arc;

use calleague_client::{Client, RequestBudget};
use calleague_metrics::{Notice, RunResult, ServiceMetrics};
use calleague_rest_source::{PublicAddress, RestSource, RestSourceOptions, SourceMode, SourceNotice};
use calleague_store::DeliverySink;

use crate::args::ServeArgs;
use crate::key;

/// The REST clients of one `serve`, sharing the budget of --api-requests-per-minute.
pub struct RestClients {
    pub catch_up: Client,
    pub source: Option<(Client, SourceMode)>,
    /// Keeps the agents' names fresh (`calleague-agents`); taken by whoever starts it.
    pub agents: Option<Client>,
}

pub fn clients(args: &ServeArgs) -> anyhow::Result<Option<RestClients>> {
    let Some(base) = args.api_base.as_deref() else { return Ok(None) };
    let budget = Arc::new(RequestBudget::per_minute(args.api_requests_per_minute));
    let client = || key::client(base, args.key_file.as_deref()).map(|c| c.with_budget(budget.clone()));
    let mode = if !args.poll_every.is_zero() {
        Some(SourceMode::RestOnly)
    } else if !args.reconcile_every.is_zero() {
        Some(SourceMode::Both)
    } else {
        None
    };
    let source = mode.map(|mode| client().map(|c| (c, mode))).transpose()?;
    Ok(Some(RestClients { catch_up: client()?, source, agents: Some(client()?) }))
}

pub fn options(args: &ServeArgs) -> RestSourceOptions {
    RestSourceOptions {
        poll_every: args.poll_every,
        reconcile_every: args.reconcile_every,
        quiet_after: args.quiet_after,
        settle: args.settle,
        longest_call: args.longest_call,
        ..RestSourceOptions::default()
    }
}

/// Starts the source; its notices and every round that merged something go to stderr,
/// and its rounds and notices are counted in the metrics.
pub fn start(
    store: Arc<dyn DeliverySink>,
    client: Client,
    mode: SourceMode,
    options: RestSourceOptions,
    public: Option<PublicAddress>,
    metrics: Option<Arc<ServiceMetrics>>,
) -> RestSource {
    let counted = metrics.clone();
    let source = RestSource::start(store, client, options, mode, public, move |notice| {
        if let Some(metrics) = &counted {
            metrics.notice(match notice {
                SourceNotice::NotArriving(_) => Notice::webhooks_not_arriving,
                SourceNotice::Cleared { .. } => Notice::webhooks_arriving_again,
            });
        }
        say(notice)
    });
    let mut status = source.status();
    tokio::spawn(async move {
        let mut last_rounds = 0;
        let (mut last_found, mut last_retry) = (0, None);
        while status.changed().await.is_ok() {
            let now = status.borrow_and_update().clone();
            if let Some(metrics) = &metrics {
                // Rounds that read the list, and each failed read (it sets a new retry time).
                let found = now.calls_found.saturating_sub(last_found);
                metrics.rest_rounds(RunResult::ok, now.rounds.saturating_sub(last_rounds), found);
                if now.error.is_some() && now.retry_at.is_some() && now.retry_at != last_retry {
                    metrics.rest_rounds(RunResult::failed, 1, 0);
                }
                last_found = now.calls_found;
                last_retry = now.retry_at;
            }
            if let Some(round) = now.last_round.filter(|r| now.rounds != last_rounds && r.events_added > 0) {
                say!(
                    "{}: {} calls listed, {} gained steps ({} events) no webhook had brought",
                    round.read_by,
                    round.calls_listed,
                    round.calls_found,
                    round.events_added
                );
            }
            last_rounds = now.rounds;
        }
    });
    say!(
        "REST source: {} (every {:?})",
        match mode {
            SourceMode::RestOnly => "reading the calls list instead of webhooks",
            SourceMode::Both => "reconciling webhooks with the calls list",
            SourceMode::Webhooks => "off",
        },
        if mode == SourceMode::RestOnly { options.poll_every } else { options.reconcile_every }
    );
    source
}

fn say(notice: SourceNotice) {
    match notice {
        SourceNotice::NotArriving(n) => {
            say!(
                "webhooks are not arriving: Calleague listed {} calls in the last {} minutes and none was delivered here",
                n.calls_listed, n.quiet_minutes
            );
            for cause in n.causes {
                let verdict = match cause.fine {
                    Some(true) => "fine",
                    Some(false) => "PROBLEM",
                    None => "unknown",
                };
                say!("  {}: {verdict}: {}", cause.what, cause.detail);
            }
        }
        SourceNotice::Cleared { .. } => say!("webhooks are arriving again"),
    }
}
