//! `calleague-sim`: serve the stand-in platform, trigger one delivery, or play a scenario.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use calleague_sim::{trigger_payload, ScenarioSpec, SimConfig, Simulator};
use clap::{Args, Parser, Subcommand};
use serde_json::Value;

/// A local stand-in for the Calleague platform: its REST API and webhook deliveries.
#[derive(Debug, Parser)]
#[command(name = "calleague-sim", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the REST API and deliver webhooks; prints `listening on URL` when ready.
    Serve(ServeArgs),
    /// Send one realistic delivery to a URL and print the reply (like `stripe trigger`).
    Trigger(TriggerArgs),
    /// Play a scenario on a running simulator, with progress, then print a summary.
    Scenario(ScenarioArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8790")]
    bind: SocketAddr,
    /// The API key the simulator accepts and puts on its deliveries (a test key).
    #[arg(long, env = "CALLEAGUE_SIM_KEY", hide_env_values = true)]
    key: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run every wait this many times faster.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Seconds (simulated) a delivery is retried before it is given up.
    #[arg(long, default_value_t = 3600.0)]
    retry_window: f64,
    /// Seconds one delivery attempt may take.
    #[arg(long, default_value_t = 10.0)]
    reply_timeout: f64,
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    dup_rate: f64,
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    reorder_rate: f64,
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    drop_rate: f64,
    /// Share of deliveries never sent and never retried (lost silently, unlike --drop-rate).
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    lose_rate: f64,
    /// Start with deliveries stopped; `POST /sim/delivery {"stopped": false}` resumes them.
    #[arg(long)]
    delivery_stopped: bool,
    /// Share of deliveries using the older spellings call.ended and assistantId.
    #[arg(long, default_value_t = 0.0, value_parser = share)]
    legacy_rate: f64,
    /// Accept http://127.0.0.1 and http://localhost webhook URLs.
    #[arg(long)]
    allow_loopback_http: bool,
    /// Requests per second allowed on /api before 429.
    #[arg(long)]
    rate_limit: Option<u32>,
    /// Keep registered webhooks in this JSON file.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Seconds a signed recording link stays valid.
    #[arg(long, default_value_t = 300)]
    recording_url_ttl: u64,
}

#[derive(Debug, Args)]
struct TriggerArgs {
    /// The event to send, e.g. call.failed.
    event: String,
    #[arg(long)]
    to: String,
    #[arg(long, env = "CALLEAGUE_SIM_KEY", hide_env_values = true)]
    key: String,
    #[arg(long)]
    call_id: Option<String>,
}

#[derive(Debug, Args)]
struct ScenarioArgs {
    /// The running simulator.
    #[arg(long, default_value = "http://127.0.0.1:8790")]
    sim: String,
    #[arg(long, env = "CALLEAGUE_SIM_KEY", hide_env_values = true)]
    key: String,
    #[arg(long, default_value_t = 10)]
    calls: u32,
    /// Calls started per second.
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    #[arg(long, default_value_t = 0.2, value_parser = share)]
    failed_share: f64,
    /// Skip recording.ready and transcript.ready.
    #[arg(long)]
    no_media: bool,
    /// Multiply every gap inside a call (0.01 plays a call in about a second).
    #[arg(long, default_value_t = 1.0)]
    gap_scale: f64,
    /// Return once the calls are started instead of waiting for them.
    #[arg(long)]
    no_wait: bool,
}

fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("\"{text}\" is not a share between 0 and 1")),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            let rendered = e.render().to_string();
            let first = rendered.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            eprintln!("error: {} (see calleague-sim --help)", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Trigger(args) => trigger(args).await,
            Command::Scenario(args) => scenario(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = SimConfig::new(args.key);
    config.seed = args.seed;
    config.time_scale = args.time_scale;
    config.retry_window = Duration::try_from_secs_f64(args.retry_window).context("--retry-window must be positive")?;
    config.reply_timeout =
        Duration::try_from_secs_f64(args.reply_timeout).context("--reply-timeout must be positive")?;
    config.dup_rate = args.dup_rate;
    config.reorder_rate = args.reorder_rate;
    config.drop_rate = args.drop_rate;
    config.lose_rate = args.lose_rate;
    config.start_delivery_stopped = args.delivery_stopped;
    config.legacy_rate = args.legacy_rate;
    config.allow_loopback_http = args.allow_loopback_http;
    config.rate_limit = args.rate_limit;
    config.state_file = args.state_file;
    config.recording_url_ttl = Duration::from_secs(args.recording_url_ttl);
    let sim = Simulator::start(config, args.bind).await?;
    println!("listening on {}", sim.url());
    std::io::stdout().flush()?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = terminate.recv() => {}
    }
    sim.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn trigger(args: TriggerArgs) -> anyhow::Result<ExitCode> {
    let body = trigger_payload(&args.event, args.call_id.as_deref(), 0);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let response = client
        .post(&args.to)
        .header("authorization", format!("Bearer {}", args.key))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .with_context(|| format!("cannot reach {}", args.to))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    println!(
        "sent {} {} to {}",
        body["event"].as_str().unwrap_or(""),
        body["deliveryId"].as_str().unwrap_or(""),
        args.to
    );
    println!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    if !text.is_empty() {
        println!("{text}");
    }
    Ok(if status.is_success() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

async fn scenario(args: ScenarioArgs) -> anyhow::Result<ExitCode> {
    let spec = ScenarioSpec {
        calls: args.calls,
        rate: args.rate,
        failed_share: args.failed_share,
        recordings: !args.no_media,
        transcripts: !args.no_media,
        gap_scale: args.gap_scale,
        ..Default::default()
    };
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let base = args.sim.trim_end_matches('/');
    let get =
        |path: &str| client.get(format!("{base}{path}")).header("authorization", format!("Bearer {}", args.key)).send();
    let started = client
        .post(format!("{base}/sim/calls"))
        .header("authorization", format!("Bearer {}", args.key))
        .json(&spec)
        .send()
        .await
        .with_context(|| format!("cannot reach the simulator at {base}"))?;
    if !started.status().is_success() {
        let status = started.status();
        let body: Value = started.json().await.unwrap_or(Value::Null);
        bail!("the simulator refused the scenario ({status}): {}", body["message"].as_str().unwrap_or("no message"));
    }
    let ids: Value = started.json().await?;
    let ids: Vec<String> = serde_json::from_value(ids["callIds"].clone()).unwrap_or_default();
    eprintln!("started {} calls", ids.len());
    if args.no_wait {
        return Ok(ExitCode::SUCCESS);
    }
    let bar = indicatif::ProgressBar::new(ids.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} calls {pos}/{len} finished [{bar:30}] {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let status = loop {
        let status: Value = get("/sim/status").await?.json().await?;
        let live = status["callsLive"].as_u64().unwrap_or(0);
        let pending = status["deliveriesPending"].as_u64().unwrap_or(0);
        let planned = status["callsPlanned"].as_u64().unwrap_or(0);
        bar.set_position(planned.saturating_sub(live).min(ids.len() as u64));
        bar.set_message(format!("{pending} deliveries pending"));
        if status["idle"].as_bool() == Some(true) {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    bar.finish_and_clear();
    let calls: Value = get("/sim/calls").await?.json().await?;
    let list = calls["list"].as_array().cloned().unwrap_or_default();
    let ours: Vec<&Value> = list.iter().filter(|c| ids.iter().any(|id| c["callId"] == id.as_str())).collect();
    let count = |state: &str| ours.iter().filter(|c| c["status"] == state).count();
    println!(
        "{} calls: {} completed, {} failed; {} delivery attempts, {} acknowledged, {} duplicates sent, {} reordered, {} given up",
        ours.len(),
        count("completed"),
        count("failed"),
        status["attempts"],
        status["succeeded"],
        status["duplicates"],
        status["reordered"],
        status["gaveUp"],
    );
    Ok(ExitCode::SUCCESS)
}
