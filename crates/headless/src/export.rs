use std::io::Write;

use anyhow::Context;
use calleague_store::{Store, TimeRange};

use crate::args::ExportArgs;

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let store = Store::open_read_only(&args.db)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let range = TimeRange { from: args.from, to: args.to };
    store.export(args.what, args.format, range, &mut out)?;
    out.flush().context("cannot write to stdout")?;
    Ok(())
}
