//! `calleague-receiver dimensions`: the metadata fields calls are filtered, grouped and
//! exported by, shown or chosen — a team's for every window of the fleet (`--database`), or
//! a SQLite database's (`--db`, counted in the background by its next `serve`).

use anyhow::Context;
use calleague_store::{DimensionStatus, Store, StoreOptions};
use calleague_store_pg::{PgOptions, PgStore};

use crate::args::DimensionsArgs;

pub fn run(args: DimensionsArgs) -> anyhow::Result<()> {
    let choose = (args.clear || !args.fields.is_empty()).then(|| if args.clear { Vec::new() } else { args.fields });
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let chosen = match crate::database::from_argument(args.database.as_deref(), args.database_allow_plaintext)? {
        Some(url) => runtime.block_on(async {
            let options = PgOptions { max_connections: 1, ..PgOptions::default() };
            let store = match &choose {
                // Choosing writes (and brings the schema up to date, as a receiver would).
                Some(fields) => {
                    let store = PgStore::connect(&url, options).await?;
                    store.set_dimensions(fields).await?;
                    store
                }
                None => PgStore::connect_reader(&url, options).await?,
            };
            anyhow::Ok(store.dimensions().await?)
        })?,
        None => {
            let db = args.db.context("--db or --database is required")?;
            match choose {
                Some(fields) => {
                    let store = Store::open(&db, StoreOptions::default())
                        .with_context(|| format!("cannot open {} (is a receiver running on it?)", db.display()))?;
                    runtime.block_on(store.set_dimensions(fields))?;
                    let chosen = store.dimensions()?;
                    store.close();
                    chosen
                }
                None => Store::open_read_only(&db)?.dimensions()?,
            }
        }
    };
    if chosen.is_empty() {
        println!("no dimensions chosen");
    }
    for d in chosen {
        println!("{}", line(&d));
    }
    Ok(())
}

/// `campaign  ready`, or how far its count has got.
fn line(d: &DimensionStatus) -> String {
    if d.ready {
        format!("{}\tready", d.field)
    } else {
        format!("{}\tcounting: {} of {} calls (by the next serve)", d.field, d.counted_calls, d.calls)
    }
}
