//! The receiver's logs on stderr: free text for a person (the default), or one JSON object
//! a line for a log pipeline (`--log-format json`: level, target, message and fields at the
//! top level, with a timestamp). The level comes from `RUST_LOG`.
//!
//! What the receiver tells its operator (catch-up's progress, the REST source's notices)
//! goes through [`say`]: a plain line in text mode, an `info` event in JSON mode, so that
//! every line of a JSON log is JSON.
//!
//! Nothing secret reaches a log: the receiver logs no header, no body and no key, and the
//! PostgreSQL driver (which logs each statement's parameters, deliveries' bodies among
//! them, at debug level) is held at info whatever `RUST_LOG` says.

use std::sync::OnceLock;

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Directives that hold back loggers that would write what must never be logged.
const NEVER_VERBOSE: [&str; 1] = ["tokio_postgres=info"];

pub fn init(format: LogFormat) {
    let _ = FORMAT.set(format);
    let default = match format {
        LogFormat::Text => "warn",
        LogFormat::Json => "info",
    };
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    for directive in NEVER_VERBOSE {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).with_span_list(false).init(),
    }
}

/// A line for the operator: on stderr as it is in text mode, an `info` event in JSON mode.
pub fn say(line: impl std::fmt::Display) {
    match FORMAT.get() {
        Some(LogFormat::Json) => tracing::info!(target: "calleague_receiver", "{line}"),
        _ => eprintln!("{line}"),
    }
}

/// [`say`] with `format!`'s arguments.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::log::say(format_args!($($arg)*))
    };
}
