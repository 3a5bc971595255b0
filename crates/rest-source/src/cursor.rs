//! Where the next read of the calls list starts.
//!
//! Calleague lists calls by when they started, so a call still going on is listed only by
//! a read that starts before it did. The cursor remembers the calls it saw unfinished and
//! starts the next read at the earliest of them (never more than the longest call back),
//! or else where the last read ended, less a margin for clocks that differ.

use std::collections::HashMap;
use std::time::Duration;

use calleague_client::Call;
use calleague_events::Timestamp;

#[derive(Debug, Default)]
pub(crate) struct ReadCursor {
    read_to: Option<Timestamp>,
    /// Calls listed unfinished, by id, with their start.
    open: HashMap<String, Timestamp>,
}

pub(crate) struct Span {
    pub first_window: Duration,
    pub margin: Duration,
    pub longest_call: Duration,
}

fn back(t: Timestamp, by: Duration) -> Timestamp {
    t.saturating_add_millis(-(by.as_millis() as i64))
}

impl ReadCursor {
    /// The calls to list next: those that started in `[from, now)`.
    pub fn range(&self, now: Timestamp, span: &Span) -> (Timestamp, Timestamp) {
        let after_last = match self.read_to {
            Some(to) => back(to, span.margin),
            None => back(now, span.first_window),
        };
        let from = self.open.values().copied().fold(after_last, Timestamp::min);
        (from.max(back(now, span.longest_call)), now)
    }

    /// Moves past a read of `[_, to)` that listed `calls`.
    pub fn advance(&mut self, to: Timestamp, calls: &[Call], span: &Span) {
        self.read_to = Some(to);
        for call in calls {
            let finished =
                call.ended_at.is_some() || matches!(call.phase.as_deref(), Some("completed" | "ended" | "failed"));
            match call.started_at {
                Some(started) if !finished => {
                    self.open.insert(call.call_id.clone(), started);
                }
                _ => {
                    self.open.remove(&call.call_id);
                }
            }
        }
        let oldest = back(to, span.longest_call);
        self.open.retain(|_, started| *started >= oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn call(id: &str, started: &str, ended: Option<&str>) -> Call {
        serde_json::from_value(serde_json::json!({
            "callId": id, "startedAt": started, "endedAt": ended,
            "status": if ended.is_some() { "completed" } else { "connected" },
        }))
        .unwrap()
    }

    const SPAN: Span = Span {
        first_window: Duration::from_secs(900),
        margin: Duration::from_secs(30),
        longest_call: Duration::from_secs(4 * 3600),
    };

    #[test]
    fn the_first_read_looks_back_its_window_and_later_ones_overlap_by_the_margin() {
        let mut cursor = ReadCursor::default();
        let now = at("2026-01-01T12:00:00Z");
        assert_eq!(cursor.range(now, &SPAN), (at("2026-01-01T11:45:00Z"), now));
        cursor.advance(now, &[], &SPAN);
        let later = at("2026-01-01T12:00:15Z");
        assert_eq!(cursor.range(later, &SPAN), (at("2026-01-01T11:59:30Z"), later));
    }

    #[test]
    fn an_unfinished_call_is_listed_again_until_it_ends() {
        let mut cursor = ReadCursor::default();
        let now = at("2026-01-01T12:00:00Z");
        cursor.advance(now, &[call("long", "2026-01-01T11:50:00Z", None)], &SPAN);
        let later = at("2026-01-01T12:30:00Z");
        assert_eq!(cursor.range(later, &SPAN).0, at("2026-01-01T11:50:00Z"));
        cursor.advance(later, &[call("long", "2026-01-01T11:50:00Z", Some("2026-01-01T12:20:00Z"))], &SPAN);
        assert_eq!(cursor.range(later, &SPAN).0, at("2026-01-01T12:29:30Z"));
    }

    #[test]
    fn never_further_back_than_the_longest_call() {
        let mut cursor = ReadCursor::default();
        cursor.advance(at("2026-01-01T12:00:00Z"), &[call("stuck", "2026-01-01T11:00:00Z", None)], &SPAN);
        let much_later = at("2026-01-01T20:00:00Z");
        assert_eq!(cursor.range(much_later, &SPAN).0, at("2026-01-01T16:00:00Z"));
        cursor.advance(much_later, &[], &SPAN);
        assert!(cursor.open.is_empty(), "a call older than the longest call is no longer followed");
    }
}
