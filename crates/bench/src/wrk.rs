//! The same comparison under an external load generator: wrk (Debian's `wrk`), in its own
//! process, so the ratio does not depend on our own client sharing the server's cores.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What wrk measured in one run.
pub struct WrkResult {
    pub requests: u64,
    pub rate: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub non_2xx: u64,
    pub errors: u64,
}

/// A script that POSTs realistic deliveries, each with a delivery id of its own (`prefix`
/// keeps runs apart), five lifecycle events per call, as `load::deliveries` does.
fn script(key: &str, prefix: &str) -> String {
    format!(
        r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local i = 0
local events = {{"call.started", "call.connected", "call.completed", "recording.ready", "transcript.ready"}}
function request()
  i = i + 1
  local call = math.floor(i / 5)
  local body = string.format('{{"event":"%s","deliveryId":"{prefix}_%d_%d","occurredAt":"2026-11-26T12:%02d:%02d.000Z","data":{{"callId":"{prefix}_%d_call_%d","agentId":"ag_%d","direction":"inbound","durationSec":%d,"endedReason":"completed","language":"en","metadata":{{"orderId":"A-%d","customerTier":"gold","campaign":"spring-renewals-2026","note":"callback requested after 5pm"}}}}}}',
    events[i % 5 + 1], id, i, math.floor(i / 60) % 60, i % 60, id, call, call % 7, 30 + call % 200, call)
  return wrk.format(nil, nil, nil, body)
end
"#
    )
}

/// Whether wrk is installed (`cargo xtask bench` installs it).
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Runs wrk against `url` for `seconds` with `connections`, two threads.
pub fn run(
    url: &str,
    key: &str,
    prefix: &str,
    seconds: u32,
    connections: usize,
    dir: &Path,
) -> anyhow::Result<WrkResult> {
    let lua = dir.join(format!("{prefix}.lua"));
    std::fs::write(&lua, script(key, prefix))?;
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(&lua)
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        anyhow::bail!("wrk failed: {}{}", text, String::from_utf8_lossy(&out.stderr));
    }
    parse(&text).ok_or_else(|| anyhow::anyhow!("cannot read wrk's output:\n{text}"))
}

fn duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

fn parse(text: &str) -> Option<WrkResult> {
    let mut result = WrkResult {
        requests: 0,
        rate: 0.0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        max: Duration::ZERO,
        non_2xx: 0,
        errors: 0,
    };
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Latency", _avg, _stdev, max, ..] => result.max = duration(max)?,
            ["50%", value] => result.p50 = duration(value)?,
            ["99%", value] => result.p99 = duration(value)?,
            [count, "requests", "in", ..] => result.requests = count.parse().ok()?,
            ["Requests/sec:", rate] => result.rate = rate.parse().ok()?,
            ["Non-2xx", "or", "3xx", "responses:", n] => result.non_2xx = n.parse().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                result.errors = rest.iter().filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok()).sum()
            }
            _ => {}
        }
    }
    (result.requests > 0).then_some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrks_report() {
        let report = "Running 5s test @ http://127.0.0.1:1/hooks/calleague
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.51ms    1.02ms  31.20ms   90.00%
    Req/Sec    12.91k     1.01k   14.73k    71.00%
  Latency Distribution
     50%    2.30ms
     75%    2.80ms
     90%    3.50ms
     99%    6.10ms
  128473 requests in 5.00s, 20.09MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  25690.36
Transfer/sec:      4.02MB
";
        let r = parse(report).unwrap();
        assert_eq!((r.requests, r.non_2xx, r.errors), (128_473, 3, 0));
        assert!((r.rate - 25_690.36).abs() < 0.01);
        assert_eq!(
            (r.p50, r.p99, r.max),
            (Duration::from_micros(2_300), Duration::from_micros(6_100), Duration::from_micros(31_200))
        );
        assert_eq!(duration("850.00us"), Some(Duration::from_micros(850)));
    }
}
