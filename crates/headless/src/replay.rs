//! `replay`: stored deliveries sent again to a handler, one line each. From a SQLite
//! database the replays are recorded beside the other attempts; from a team's database
//! they are sent and printed (team mode keeps no attempts yet).

use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context};
use calleague_forward::{replay_all, ApiKey, ForwardTarget, Sender};
use calleague_store::{ForwardDelivery, ReplaySelection, Store, StoreOptions};
use calleague_store_pg::{PgOptions, PgStore};

use crate::args::ReplayArgs;

/// The most deliveries one `replay --since` sends.
const MOST: u32 = 100_000;

pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let target = ForwardTarget::new(&args.to, Vec::<String>::new()).context("--to")?;
    let key = ApiKey::new(crate::key::read(args.key_file.as_deref())?);
    let sender = Sender::new(Some(key), args.timeout);
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let (sent, failed) = match crate::database::from_argument(args.database.as_deref(), args.database_allow_plaintext)?
    {
        Some(url) => runtime.block_on(async {
            let store = PgStore::connect_reader(&url, PgOptions { max_connections: 1, ..PgOptions::default() }).await?;
            replay_team(&store, &args, &sender, &target).await
        })?,
        None => replay_local(&runtime, &args, &sender, &target)?,
    };
    if sent == 0 {
        say!("nothing to replay");
        return Ok(());
    }
    say!("{sent} sent to {}: {} answered 2xx, {failed} not", target.short_name(), sent - failed);
    if failed > 0 {
        bail!("{failed} of {sent} were not answered 2xx");
    }
    Ok(())
}

/// From a SQLite database, each replay recorded.
fn replay_local(
    runtime: &tokio::runtime::Runtime,
    args: &ReplayArgs,
    sender: &Sender,
    target: &ForwardTarget,
) -> anyhow::Result<(u64, u64)> {
    let db = args.db.as_ref().context("--db or --database is required")?;
    let store = Store::open(db, StoreOptions::default()).with_context(|| format!("cannot open {}", db.display()))?;
    let ids = local_selection(&store, args, target)?;
    let cancel = AtomicBool::new(false);
    let done = runtime.block_on(replay_all(&store, sender, target, &ids, &cancel, |_, attempt| {
        if let Some(a) = attempt {
            let delivery = store.forward_delivery(a.delivery).ok().flatten();
            println!("{}", line(delivery.as_ref(), a.delivery, target, a.status, a.error.as_deref(), a.latency_ms));
        }
    }));
    store.close();
    let done = done?;
    Ok((done.sent, done.failed))
}

fn local_selection(store: &Store, args: &ReplayArgs, target: &ForwardTarget) -> anyhow::Result<Vec<i64>> {
    let Some(since) = args.since else {
        let mut ids = Vec::new();
        for given in &args.delivery {
            let id = match given.parse::<i64>() {
                Ok(number) => store.forward_delivery(number)?.map(|d| d.id),
                Err(_) => store.delivery_with_id(given)?,
            };
            ids.push(id.with_context(|| format!("no delivery {given} in the database"))?);
        }
        return Ok(ids);
    };
    let now = calleague_events::Timestamp::now().unix_millis();
    let from_ms = now - since.as_millis() as i64;
    let selection = if args.not_answered {
        ReplaySelection::NotAnswered { target: target.key().to_owned(), since_ms: from_ms }
    } else {
        ReplaySelection::Received { from_ms, to_ms: now + 1, events: events(&args.event)? }
    };
    Ok(store.forward_selection(&selection, MOST)?)
}

/// From a team's database: sent and printed.
async fn replay_team(
    store: &PgStore,
    args: &ReplayArgs,
    sender: &Sender,
    target: &ForwardTarget,
) -> anyhow::Result<(u64, u64)> {
    let deliveries = match args.since {
        None => {
            let mut found = Vec::new();
            for given in &args.delivery {
                found.push(
                    store
                        .forward_delivery(given)
                        .await?
                        .with_context(|| format!("no delivery {given} in the team's database"))?,
                );
            }
            found
        }
        Some(since) => {
            let now = calleague_events::Timestamp::now().unix_millis();
            store
                .received_deliveries(now - since.as_millis() as i64, now + 1, &events(&args.event)?, i64::from(MOST))
                .await?
        }
    };
    let (mut sent, mut failed) = (0, 0);
    for delivery in &deliveries {
        let answer = sender.send(target, delivery, &delivery.body, 1, true).await;
        sent += 1;
        if !answer.is_success() {
            failed += 1;
        }
        let latency = answer.latency.as_millis() as i64;
        println!("{}", line(Some(delivery), delivery.id, target, answer.status, answer.error.as_deref(), latency));
    }
    Ok((sent, failed))
}

fn events(names: &[String]) -> anyhow::Result<Vec<String>> {
    names
        .iter()
        .map(|name| {
            let kind = calleague_events::EventKind::parse(name);
            if !kind.is_known() {
                bail!("{name:?} is not an event Calleague sends");
            }
            Ok(kind.as_str().to_owned())
        })
        .collect()
}

/// `dl_abc call.failed → localhost:3000 200 in 12 ms`
fn line(
    delivery: Option<&ForwardDelivery>,
    id: i64,
    target: &ForwardTarget,
    status: Option<u16>,
    error: Option<&str>,
    latency_ms: i64,
) -> String {
    let named = delivery
        .and_then(|d| calleague_events::parse_delivery(&d.body).ok())
        .map(|d| format!("{} {}", d.delivery_id.unwrap_or_else(|| format!("#{id}")), d.event_name))
        .unwrap_or_else(|| format!("#{id}"));
    let answer = match (status, error) {
        (Some(status), _) => format!("{status} in {latency_ms} ms"),
        (None, Some(error)) => error.to_owned(),
        (None, None) => "no answer".to_owned(),
    };
    format!("{named} → {} {answer}", target.short_name())
}
