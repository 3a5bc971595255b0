//! `trigger`: a made-up delivery sent to a handler or a receiver.

use anyhow::{bail, Context};
use calleague_forward::{made_up, made_up_from, parse_set, ApiKey, ForwardTarget, Sender};
use calleague_store::Store;
use calleague_store_pg::{PgOptions, PgStore};

use crate::args::TriggerArgs;

pub fn run(args: TriggerArgs) -> anyhow::Result<()> {
    let target = ForwardTarget::new(&args.to, Vec::<String>::new()).context("--to")?;
    let key = ApiKey::new(crate::key::read(args.key_file.as_deref())?);
    let sets = args.sets.iter().map(|s| parse_set(s)).collect::<Result<Vec<_>, _>>()?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let made = match crate::database::from_argument(args.database.as_deref(), args.database_allow_plaintext)? {
        // Team mode: the newest real delivery of the event from the team's database.
        Some(url) => {
            let stored = runtime.block_on(async {
                let store =
                    PgStore::connect_reader(&url, PgOptions { max_connections: 1, ..PgOptions::default() }).await?;
                store.latest_delivery_of(calleague_events::EventKind::parse(&args.event).as_str()).await
            })?;
            made_up_from(stored.as_ref(), &args.event, &sets)?
        }
        None => {
            let store = match &args.db {
                Some(db) => Some(Store::open_read_only(db).with_context(|| format!("cannot open {}", db.display()))?),
                None => None,
            };
            made_up(store.as_deref(), &args.event, &sets)?
        }
    };
    let answer = runtime.block_on(Sender::new(Some(key), args.timeout).send(&target, &made, &made.body, 1, false));
    println!("{}", String::from_utf8_lossy(&made.body));
    match (answer.status, answer.error) {
        (Some(status), _) if (200..300).contains(&status) => {
            say!("→ {} {status} in {} ms", target.short_name(), answer.latency.as_millis());
            Ok(())
        }
        (Some(status), _) => {
            bail!("{} answered {status}: {}", target.short_name(), String::from_utf8_lossy(&answer.body))
        }
        (None, error) => bail!("{}: {}", target.short_name(), error.unwrap_or_else(|| "no answer".into())),
    }
}
