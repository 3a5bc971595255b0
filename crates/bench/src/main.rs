//! `calleague-bench ingest|scale|team|forward|alerts|seed`: run by `cargo xtask bench` in release mode.
//!
//! These machines are noisy, so every number is printed beside a baseline measured in the
//! same run, and targets are judged on ratios and percentiles, never by a timed assertion.

mod alerts;
mod disk;
mod forward;
mod ingest;
mod load;
mod scale;
mod team;
mod wrk;

/// The allocator the receiver ships with (`calleague-receiver`, the app), so the receiver
/// measured here allocates as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        // `ingest metrics`: only what the metrics cost.
        Some("ingest") if args.get(1).map(String::as_str) == Some("metrics") => ingest::run_metrics_cost(),
        Some("ingest") => ingest::run(),
        Some("scale") => {
            let calls = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000);
            scale::run(calls)
        }
        Some("team") => team::run(),
        Some("alerts") => {
            let calls = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(1_000_000);
            alerts::run(calls)
        }
        Some("forward") => {
            let down_seconds = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(60);
            forward::run(down_seconds)
        }
        Some("seed") => match (args.get(1), args.get(2).map(|n| n.parse::<usize>())) {
            (Some(db), Some(Ok(calls))) => scale::seed(std::path::Path::new(db), calls),
            _ => anyhow::bail!("usage: calleague-bench seed DB CALLS"),
        },
        _ => {
            eprintln!("usage: calleague-bench ingest [metrics] | scale [CALLS] | team | forward [DOWN_SECONDS] | alerts [CALLS] | seed DB CALLS");
            std::process::exit(2);
        }
    }
}

/// The value below which `p` (0..=1) of the sorted samples fall.
pub fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    if sorted.is_empty() {
        return std::time::Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub fn ms(d: std::time::Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
