use std::io::Write;

use anyhow::Context;
use calleague_store::{Store, TimeRange};
use calleague_store_pg::{PgOptions, PgStore};

use crate::args::ExportArgs;

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let range = TimeRange { from: args.from, to: args.to };
    match crate::database::from_argument(args.database.as_deref(), args.database_allow_plaintext)? {
        Some(url) => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the runtime")?;
            runtime.block_on(async {
                let store =
                    PgStore::connect_reader(&url, PgOptions { max_connections: 1, ..PgOptions::default() }).await?;
                store.export(args.what, args.format, range, &mut out).await
            })?;
        }
        None => {
            let db = args.db.context("--db or --database is required")?;
            Store::open_read_only(&db)?.export(args.what, args.format, range, &mut out)?;
        }
    }
    out.flush().context("cannot write to stdout")?;
    Ok(())
}
