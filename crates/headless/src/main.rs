//! `calleague-receiver`: the engine without a window — the webhook receiver as a service,
//! export, catch-up, and the account's webhook subscriptions.

#[macro_use]
mod log;

mod alerts;
mod args;
mod catch_up;
mod database;
mod dimensions;
mod export;
mod key;
mod replay;
mod rest_source;
mod serve;
mod service_manager;
mod trigger;
mod webhooks;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// mimalloc rather than glibc's malloc: under load, perf showed a tenth of the receiver's
/// handler threads in glibc's allocator (its arena lock and chunk consolidation included).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return args::report_usage_error(e),
    };
    log::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(args) => serve::run(*args),
        Command::Export(args) => export::run(args),
        Command::CatchUp(args) => catch_up::run(args),
        Command::Webhooks(args) => webhooks::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Trigger(args) => trigger::run(args),
        Command::Alerts(args) => alerts::run(args),
        Command::Dimensions(args) => dimensions::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, the whole chain of causes.
            let line = format!("{e:#}").replace('\n', " ");
            match cli.log_format {
                log::LogFormat::Text => eprintln!("error: {line}"),
                log::LogFormat::Json => tracing::error!(target: "calleague_receiver", "{line}"),
            }
            ExitCode::FAILURE
        }
    }
}
