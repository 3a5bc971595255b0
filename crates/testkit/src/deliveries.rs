//! Deliveries for tests: calls through their lifecycle, as Calleague's JSON bodies.

/// A small deterministic generator (xorshift), so a failure can be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// `calls` calls of five events each: started, connected, completed or failed, recording,
/// transcript. One event in ten has no deliveryId (deduplicated on callId + event).
pub fn lifecycle_bodies(calls: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
    let base_ms = 1_795_000_000_000i64;
    let mut out = Vec::new();
    for call in 0..calls {
        let start = base_ms + call as i64 * 1_000 + rng.below(500) as i64;
        let failed = call % 6 == 0;
        let steps: [(&str, i64); 5] = [
            ("call.started", 0),
            ("call.connected", 2_000),
            (if failed { "call.failed" } else { "call.completed" }, 60_000 + call as i64 % 97 * 1_000),
            ("recording.ready", 70_000 + call as i64 % 97 * 1_000),
            ("transcript.ready", 80_000 + call as i64 % 97 * 1_000),
        ];
        for (step, (event, offset)) in steps.into_iter().enumerate() {
            let at = rfc3339_millis(start + offset);
            let delivery_id =
                if rng.below(10) == 0 { String::new() } else { format!(r#""deliveryId":"dl_{call}_{step}","#) };
            let reason = if failed { "no-answer" } else { "customer-ended-call" };
            out.push(
                format!(
                    r#"{{"event":"{event}",{delivery_id}"occurredAt":"{at}","data":{{"callId":"call_{call:05}","agentId":"ag_{agent}","direction":"inbound","status":"{status}","durationSec":{duration},"endedReason":"{reason}","language":"en","recordingId":"rec_{call}","transcriptId":"tr_{call}","metadata":{{"orderId":"A-{call}","tier":"gold"}}}}}}"#,
                    agent = call % 7,
                    status = event.trim_start_matches("call."),
                    duration = 30 + call % 200,
                )
                .into_bytes(),
            );
        }
    }
    out
}

/// `2026-11-18T11:13:48.067Z` from Unix milliseconds (no calendar crate needed here).
pub fn rfc3339_millis(ms: i64) -> String {
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}
