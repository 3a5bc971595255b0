//! `calleague-receiver`: the engine without a window — the webhook receiver as a service,
//! export, catch-up, and the account's webhook subscriptions.

mod args;
mod catch_up;
mod database;
mod export;
mod key;
mod rest_source;
mod serve;
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
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve::run(*args),
        Command::Export(args) => export::run(args),
        Command::CatchUp(args) => catch_up::run(args),
        Command::Webhooks(args) => webhooks::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, the whole chain of causes.
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
