use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use calleague_events::Timestamp;
use calleague_forward::ForwardTarget;
use calleague_receiver::{
    DEFAULT_BIND, DEFAULT_BODY_LIMIT, DEFAULT_LIVE_PATH, DEFAULT_MAX_CONNECTIONS, DEFAULT_METRICS_PATH, DEFAULT_PATH,
    DEFAULT_READY_PATH,
};
use calleague_store::{ExportFormat, ExportWhat};
use clap::{Args, Parser, Subcommand};

/// Calleague Monitor's headless webhook receiver.
///
/// The API key is read from the CALLEAGUE_API_KEY environment variable or from --key-file,
/// never from a plain argument (arguments are visible to every user of the machine).
#[derive(Debug, Parser)]
#[command(name = "calleague-receiver", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Logs on stderr as text for a person, or as one JSON object a line (level, target,
    /// message, fields) for a log pipeline. The level from RUST_LOG (default: warn for
    /// text, info for JSON).
    #[arg(long, global = true, value_enum, default_value = "text", env = "CALLEAGUE_LOG_FORMAT")]
    pub log_format: crate::log::LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Receive deliveries and store them; prints `listening on URL` when ready.
    Serve(Box<ServeArgs>),
    /// Write stored calls or events to stdout.
    Export(ExportArgs),
    /// Read the calls of a time window from Calleague's REST API into the database.
    CatchUp(CatchUpArgs),
    /// List, create, update or delete the account's webhook subscriptions.
    Webhooks(WebhooksArgs),
    /// Send stored deliveries again to a handler: one, those received since a time, or
    /// those a handler has not answered 2xx. One line per delivery with its answer; exits
    /// 1 when any was not answered 2xx.
    Replay(ReplayArgs),
    /// Send a made-up delivery of an event to a handler (or to a receiver), its values
    /// from the newest real one in --db, with fields set by --set.
    Trigger(TriggerArgs),
    /// Alert rules: try a rules file against the stored history, or print the starter rules.
    Alerts(AlertsArgs),
    /// Show or choose the dimensions: the metadata fields (at most five) calls are filtered,
    /// grouped and exported by. Fields given replace those chosen; --clear chooses none. In
    /// team mode they are the fleet's, shown in every window.
    Dimensions(DimensionsArgs),
}

#[derive(Debug, Args)]
pub struct DimensionsArgs {
    /// The SQLite database (not while a receiver runs on it).
    #[arg(long, required_unless_present = "database", conflicts_with = "database")]
    pub db: Option<PathBuf>,
    /// Team mode: the PostgreSQL database the receivers write to (a writer's role to choose).
    /// Its password from CALLEAGUE_DATABASE_URL or PGPASSWORD, never from this argument.
    #[arg(long, env = "CALLEAGUE_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Team mode over an unencrypted link to another computer (with sslmode=disable): the
    /// database password and every call cross the network in clear. Refused without this.
    #[arg(long)]
    pub database_allow_plaintext: bool,
    /// The fields, in order: they replace those chosen.
    pub fields: Vec<String>,
    /// Choose none.
    #[arg(long, conflicts_with = "fields")]
    pub clear: bool,
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: AlertsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Each rule's firings over the stored history, as evaluation would have made them (the
    /// Alerts page's preview, on the command line).
    Check(AlertsCheckArgs),
    /// Print the starter rules as a rules file (turned off: set "enabled": true).
    Example,
}

#[derive(Debug, Args)]
pub struct AlertsCheckArgs {
    /// The SQLite database to read.
    #[arg(long)]
    pub db: PathBuf,
    /// The rules file (the JSON the Alerts page exports).
    #[arg(long)]
    pub alerts: PathBuf,
    /// How far back, e.g. 24h, 7d, 30d.
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    pub since: Duration,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The SQLite database the deliveries are in (replays are recorded there, beside the
    /// other attempts).
    #[arg(long, required_unless_present = "database", conflicts_with = "database")]
    pub db: Option<PathBuf>,
    /// Team mode: the PostgreSQL database (a read-only role is enough). Replays from it are
    /// sent and printed, not recorded. Its password from CALLEAGUE_DATABASE_URL or
    /// PGPASSWORD, never from this argument.
    #[arg(long, env = "CALLEAGUE_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Team mode over an unencrypted link to another computer (with sslmode=disable).
    #[arg(long)]
    pub database_allow_plaintext: bool,
    /// Where to send them (plain http only to this computer).
    #[arg(long)]
    pub to: String,
    /// One delivery: its deliveryId (dl_…) or its number in the log (repeatable).
    #[arg(long, required_unless_present = "since", conflicts_with = "since")]
    pub delivery: Vec<String>,
    /// Every delivery received within this long, e.g. 1h, 7d.
    #[arg(long, value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// With --since: only these events (comma-separated).
    #[arg(long, value_delimiter = ',', requires = "since")]
    pub event: Vec<String>,
    /// With --since: only the deliveries --to was sent in that time and never answered 2xx
    /// (not with --database: team mode keeps no attempts).
    #[arg(long, requires = "since", conflicts_with = "database")]
    pub not_answered: bool,
    /// A file holding the API key (instead of CALLEAGUE_API_KEY): the Bearer token sent.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// How long one request may take.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// call.started, call.connected, call.completed, call.failed, recording.ready or
    /// transcript.ready.
    pub event: String,
    /// Where to send it: a handler, or a receiver's webhook address.
    #[arg(long)]
    pub to: String,
    /// A field of the delivery's data, e.g. endedReason=no-answer, durationSec=12,
    /// metadata.campaign=spring (repeatable; JSON values are read as JSON).
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub sets: Vec<String>,
    /// A database to take the other values from (the newest delivery of the event).
    #[arg(long, conflicts_with = "database")]
    pub db: Option<PathBuf>,
    /// Team mode: the PostgreSQL database to take them from instead.
    #[arg(long, env = "CALLEAGUE_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    #[arg(long)]
    pub database_allow_plaintext: bool,
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct CatchUpArgs {
    /// The SQLite database.
    #[arg(long, required_unless_present = "database", conflicts_with = "database")]
    pub db: Option<PathBuf>,
    /// Team mode: the PostgreSQL database the receivers write to. Its password from
    /// CALLEAGUE_DATABASE_URL or PGPASSWORD, never from this argument.
    #[arg(long, env = "CALLEAGUE_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Team mode over an unencrypted link to another computer (with sslmode=disable): the
    /// database password and every call cross the network in clear. Refused without this.
    #[arg(long)]
    pub database_allow_plaintext: bool,
    /// Calls that started at or after this RFC 3339 time.
    #[arg(long, value_parser = parse_time)]
    pub from: Timestamp,
    /// Calls that started before this RFC 3339 time.
    #[arg(long, value_parser = parse_time)]
    pub to: Timestamp,
    #[arg(long, env = "CALLEAGUE_API_BASE", default_value = calleague_client::DEFAULT_BASE_URL)]
    pub api_base: String,
    #[arg(long)]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WebhooksArgs {
    #[command(subcommand)]
    pub command: WebhookCommand,
    #[arg(long, global = true, env = "CALLEAGUE_API_BASE", default_value = calleague_client::DEFAULT_BASE_URL)]
    pub api_base: String,
    #[arg(long, global = true)]
    pub key_file: Option<PathBuf>,
    /// Allow http:// to loopback addresses (only the simulator accepts them).
    #[arg(long, global = true)]
    pub allow_loopback_http: bool,
    /// Subscribe a private, link-local or loopback host (refused without this: every
    /// delivery carries the account's key to it).
    #[arg(long, global = true)]
    pub allow_private_host: bool,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    List {
        /// Print JSON instead of one line per webhook.
        #[arg(long)]
        json: bool,
    },
    Create {
        #[arg(long)]
        url: String,
        /// Comma-separated event names.
        #[arg(long, value_delimiter = ',', required = true)]
        events: Vec<String>,
    },
    Update {
        id: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
    },
    Delete {
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The SQLite database (created if missing).
    #[arg(long, required_unless_present = "database", conflicts_with = "database")]
    pub db: Option<PathBuf>,
    /// Team mode: a PostgreSQL database that several receivers share, e.g.
    /// postgres://calleague_writer@db.internal:5432/calleague. Its password from
    /// CALLEAGUE_DATABASE_URL or PGPASSWORD, never from this argument (visible to every
    /// user of the machine).
    #[arg(long, env = "CALLEAGUE_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Team mode over an unencrypted link to another computer (with sslmode=disable): the
    /// database password and every call cross the network in clear. Refused without this.
    #[arg(long)]
    pub database_allow_plaintext: bool,
    /// Address to listen on. Anything but loopback is reachable from the network.
    #[arg(long, default_value = DEFAULT_BIND)]
    pub bind: SocketAddr,
    /// The webhook path deliveries are posted to.
    #[arg(long, default_value = DEFAULT_PATH)]
    pub path: String,
    /// A file holding the API key (instead of CALLEAGUE_API_KEY).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// During a key rotation: a file holding the previous key, accepted for --key-grace.
    #[arg(long)]
    pub previous_key_file: Option<PathBuf>,
    /// How long the previous key stays valid, e.g. 30m, 24h, 7d.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub key_grace: Duration,
    /// TLS certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key", conflicts_with = "tls_self_signed")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM); needs --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a generated self-signed certificate (for LAN tests); its PEM is
    /// written next to the database.
    #[arg(long)]
    pub tls_self_signed: bool,
    /// Listen on a non-loopback address without TLS. Deliveries carry the account's API key
    /// as their Bearer token: over plain HTTP anyone on the path can read it. Only behind a
    /// proxy that terminates TLS on the same host.
    #[arg(long)]
    pub allow_plaintext: bool,
    /// Event names subscribed to, comma-separated; others are stored but hidden. Default: all.
    #[arg(long, value_delimiter = ',')]
    pub events: Option<Vec<String>>,
    /// Largest accepted body in bytes.
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// How long a client may take to send its headers, and then its body, e.g. 10s.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub read_timeout: Duration,
    /// Connections served at once; more get a 503 and are closed.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Where a load balancer asks whether the process answers: 200 `ok`. No key needed;
    /// it tells nothing of calls.
    #[arg(long, default_value = DEFAULT_LIVE_PATH)]
    pub live_path: String,
    /// Where a load balancer asks whether the receiver takes deliveries now: 200 `ok`, or
    /// 503 `draining` (stopping) or `store` (the store cannot commit).
    #[arg(long, default_value = DEFAULT_READY_PATH)]
    pub ready_path: String,
    /// Where Prometheus scrapes the receiver's metrics (docs/operations.md lists them).
    #[arg(long, default_value = DEFAULT_METRICS_PATH)]
    pub metrics_path: String,
    /// Serve the metrics on this address instead of the receiver's own (e.g. a private
    /// interface, when the receiver's port is reachable from the internet).
    #[arg(long, conflicts_with = "no_metrics")]
    pub metrics_bind: Option<SocketAddr>,
    /// Count nothing and serve no metrics.
    #[arg(long)]
    pub no_metrics: bool,
    /// At a stop, how long /readyz answers 503 `draining` while deliveries are still
    /// taken, before the listener closes: a load balancer's time to take this receiver out
    /// (its check interval times its failure threshold), e.g. 15s.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub shutdown_delay: Duration,
    /// Calleague's REST API: when given, the calls missed while the receiver was down are
    /// read from it on start, and it is read beside webhooks (--reconcile-every) or
    /// instead of them (--poll-every).
    #[arg(long, env = "CALLEAGUE_API_BASE")]
    pub api_base: Option<String>,
    /// With --api-base: read the calls list this often instead of waiting for webhooks
    /// (REST only: for a receiver no webhook can reach), e.g. 15s; 0 is off.
    #[arg(long, default_value = "0", value_parser = parse_duration, requires = "api_base")]
    pub poll_every: Duration,
    /// With --api-base: merge what webhooks missed from the calls list this often, and warn
    /// when the list shows calls no webhook brought; 0 turns it off.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub reconcile_every: Duration,
    /// With --api-base: at most this many REST requests in any minute, whatever reads them.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
    pub api_requests_per_minute: u32,
    /// How long the calls list may show calls that no webhook brought before the receiver
    /// says webhooks are not arriving.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub quiet_after: Duration,
    /// The public address Calleague posts to (e.g. a tunnel's), so that when webhooks stop
    /// the receiver can check the subscription still points there.
    #[arg(long)]
    pub public_url: Option<String>,
    /// How long a call's deliveries may take before they count as missing; for tests.
    #[arg(long, default_value = "60s", value_parser = parse_duration, hide = true)]
    pub settle: Duration,
    /// How often the receiver records that it is up (for finding downtime); for tests.
    #[arg(long, default_value = "5s", value_parser = parse_duration, hide = true)]
    pub heartbeat_interval: Duration,
    /// Deliveries per second above which a burst is appended to the inbox first and taken
    /// into the log between acknowledgements; for tests on a slow build.
    #[arg(long, default_value_t = calleague_store::StoreOptions::default().burst_rate, hide = true)]
    pub burst_rate: u32,
    /// The longest a call may last: catch-up reads calls that started this long before a
    /// downtime, to find long calls that ended inside it.
    #[arg(long, default_value = "4h", value_parser = parse_duration)]
    pub longest_call: Duration,
    /// Send each delivery on to your own handler once it is stored (repeatable): URL, or
    /// EVENT,EVENT=URL for some events only, e.g.
    /// 'call.failed,call.completed=http://localhost:3000/webhooks'. Plain http only to
    /// this computer; the request carries the API key as Calleague sends it
    /// (docs/forwarding.md).
    #[arg(long = "forward-to", value_name = "[EVENTS=]URL", value_parser = parse_forward_target, conflicts_with = "database")]
    pub forward_to: Vec<ForwardTarget>,
    /// How long after its receipt a delivery a handler has not answered 2xx is retried.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub forward_retry_window: Duration,
    /// How long one forwarded request may take.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub forward_timeout: Duration,
    /// Requests in flight to one handler at once (sent in the log's order; with more than
    /// one, answered in any).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub forward_in_flight: u16,
    /// Alert rules to evaluate as deliveries arrive and every 30 s (the JSON the Alerts
    /// page exports; `calleague-receiver alerts example` prints a start). Re-read on SIGHUP.
    /// In team mode one receiver of the fleet evaluates them (a lock in the database).
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
    /// A file holding the chat webhook's URL (Slack or Mattermost incoming webhook) that
    /// firings and resolutions are posted to. A secret: never logged. Under systemd, the
    /// credential `alert-webhook` is read when this is not given.
    #[arg(long, value_name = "FILE", requires = "alerts")]
    pub alert_webhook_file: Option<PathBuf>,
}

fn parse_forward_target(text: &str) -> Result<ForwardTarget, String> {
    ForwardTarget::parse_spec(text).map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The SQLite database to read.
    #[arg(long, required_unless_present = "database", conflicts_with = "database")]
    pub db: Option<PathBuf>,
    /// Team mode: the PostgreSQL database the receivers write to (a read-only role is
    /// enough). Its password from CALLEAGUE_DATABASE_URL or PGPASSWORD, never from this
    /// argument.
    #[arg(long, env = "CALLEAGUE_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// Team mode over an unencrypted link to another computer (with sslmode=disable): the
    /// database password and every call cross the network in clear. Refused without this.
    #[arg(long)]
    pub database_allow_plaintext: bool,
    /// calls or events.
    #[arg(long)]
    pub what: ExportWhat,
    /// ndjson or csv.
    #[arg(long, default_value = "ndjson")]
    pub format: ExportFormat,
    /// Only what occurred at or after this RFC 3339 time.
    #[arg(long, value_parser = parse_time)]
    pub from: Option<Timestamp>,
    /// Only what occurred before this RFC 3339 time.
    #[arg(long, value_parser = parse_time)]
    pub to: Option<Timestamp>,
}

fn parse_time(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text).map_err(|_| format!("\"{text}\" is not an RFC 3339 time such as 2026-01-01T12:00:00Z"))
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| format!("\"{text}\" is not a duration such as 10s, 30m, 24h or 7d"))?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("\"{text}\" has an unknown unit (use ms, s, m, h or d)")),
    };
    Ok(Duration::from_secs(seconds))
}

/// clap's own messages run to several lines; a bad argument gets one line and a hint.
pub fn report_usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let rendered = e.render().to_string();
    let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
    let first = first.trim_start_matches("error: ");
    eprintln!("error: {first} (see calleague-receiver --help)");
    ExitCode::from(2)
}
