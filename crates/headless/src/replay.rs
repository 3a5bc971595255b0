//! `replay`: stored deliveries sent again to a handler, one line each.

use std::sync::atomic::AtomicBool;

use anyhow::{bail, Context};
use calleague_forward::{replay_all, ApiKey, ForwardTarget, Sender};
use calleague_store::{ForwardAttempt, ReplaySelection, Store, StoreOptions};

use crate::args::ReplayArgs;

/// The most deliveries one `replay --since` sends.
const MOST: u32 = 100_000;

pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let target = ForwardTarget::new(&args.to, Vec::<String>::new()).context("--to")?;
    let key = ApiKey::new(crate::key::read(args.key_file.as_deref())?);
    // Replays are recorded beside the other attempts: the database is opened for writing.
    let store =
        Store::open(&args.db, StoreOptions::default()).with_context(|| format!("cannot open {}", args.db.display()))?;
    let ids = selected(&store, &args, &target)?;
    if ids.is_empty() {
        say!("nothing to replay");
        return Ok(());
    }
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let sender = Sender::new(Some(key), args.timeout);
    let cancel = AtomicBool::new(false);
    let done = runtime.block_on(replay_all(&store, &sender, &target, &ids, &cancel, |_, attempt| {
        if let Some(attempt) = attempt {
            println!("{}", line(&store, &target, attempt));
        }
    }));
    store.close();
    let done = done?;
    say!("{} sent to {}: {} answered 2xx, {} not", done.sent, target.short_name(), done.answered, done.failed);
    if done.failed > 0 {
        bail!("{} of {} were not answered 2xx", done.failed, done.sent);
    }
    Ok(())
}

fn selected(store: &Store, args: &ReplayArgs, target: &ForwardTarget) -> anyhow::Result<Vec<i64>> {
    let Some(since) = args.since else {
        let mut ids = Vec::new();
        for given in &args.delivery {
            let id = match given.parse::<i64>() {
                Ok(number) => store.forward_delivery(number)?.map(|d| d.id),
                Err(_) => store.delivery_with_id(given)?,
            };
            ids.push(id.with_context(|| format!("no delivery {given} in {}", args.db.display()))?);
        }
        return Ok(ids);
    };
    let now = calleague_events::Timestamp::now().unix_millis();
    let from_ms = now - since.as_millis() as i64;
    let selection = if args.not_answered {
        ReplaySelection::NotAnswered { target: target.key().to_owned(), since_ms: from_ms }
    } else {
        let mut events = Vec::new();
        for name in &args.event {
            let kind = calleague_events::EventKind::parse(name);
            if !kind.is_known() {
                bail!("{name:?} is not an event Calleague sends");
            }
            events.push(kind.as_str().to_owned());
        }
        ReplaySelection::Received { from_ms, to_ms: now + 1, events }
    };
    Ok(store.forward_selection(&selection, MOST)?)
}

/// `dl_abc call.failed → localhost:3000 200 in 12 ms`
fn line(store: &Store, target: &ForwardTarget, attempt: &ForwardAttempt) -> String {
    let named = store
        .forward_delivery(attempt.delivery)
        .ok()
        .flatten()
        .and_then(|d| calleague_events::parse_delivery(&d.body).ok())
        .map(|d| format!("{} {}", d.delivery_id.unwrap_or_else(|| format!("#{}", attempt.delivery)), d.event_name))
        .unwrap_or_else(|| format!("#{}", attempt.delivery));
    let answer = match (&attempt.status, &attempt.error) {
        (Some(status), _) => format!("{status} in {} ms", attempt.latency_ms),
        (None, Some(error)) => error.clone(),
        (None, None) => "no answer".to_owned(),
    };
    format!("{named} → {} {answer}", target.short_name())
}
