//! How many notifications a run of failures becomes.
//!
//! Failures are gathered for a moment ([`GATHER`]) so that calls failing together are seen
//! together. Up to [`BURST_THRESHOLD`] failures within [`BURST_WINDOW`] are notified one by
//! one; more than that is a burst: what is gathered becomes one summary at once, and what
//! fails during the next window is held and summarized when it ends. A window with nothing
//! held ends the burst, and failures are notified singly again. A single call held alone
//! is notified singly (a summary of one call says less than the call).
//!
//! Pure and on tokio's clock, so the rules are tested on a paused clock.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::rules::Failure;

pub const GATHER: Duration = Duration::from_secs(1);
pub const BURST_WINDOW: Duration = Duration::from_secs(10);
pub const BURST_THRESHOLD: usize = 3;

/// What to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    Single(Failure),
    Summary(Vec<Failure>),
}

#[derive(Debug, Default)]
pub struct Pacing {
    /// When each recent single notification went out, oldest first.
    singles: VecDeque<Instant>,
    gathering: Vec<Failure>,
    gather_until: Option<Instant>,
    burst: Option<Burst>,
}

#[derive(Debug)]
struct Burst {
    until: Instant,
    held: Vec<Failure>,
}

impl Pacing {
    pub fn push(&mut self, failure: Failure, now: Instant) {
        match &mut self.burst {
            Some(burst) => burst.held.push(failure),
            None => {
                self.gathering.push(failure);
                self.gather_until.get_or_insert(now + GATHER);
            }
        }
    }

    /// When [`Pacing::due`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.gather_until, self.burst.as_ref().map(|b| b.until)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// What is due at `now`.
    pub fn due(&mut self, now: Instant) -> Vec<Outgoing> {
        let mut out = Vec::new();
        if let Some(burst) = self.burst.as_mut().filter(|b| b.until <= now) {
            let held = std::mem::take(&mut burst.held);
            match held.len() {
                0 => self.burst = None,
                1 => {
                    // One call after the burst: no longer a burst.
                    self.burst = None;
                    self.singles.push_back(now);
                    out.extend(held.into_iter().map(Outgoing::Single));
                }
                _ => {
                    burst.until = now + BURST_WINDOW;
                    out.push(Outgoing::Summary(held));
                }
            }
        }
        if self.gather_until.is_some_and(|t| t <= now) {
            self.gather_until = None;
            let gathered = std::mem::take(&mut self.gathering);
            while self.singles.front().is_some_and(|t| now.duration_since(*t) >= BURST_WINDOW) {
                self.singles.pop_front();
            }
            if self.singles.len() + gathered.len() <= BURST_THRESHOLD {
                self.singles.extend(std::iter::repeat_n(now, gathered.len()));
                out.extend(gathered.into_iter().map(Outgoing::Single));
            } else if gathered.len() == 1 {
                // The one that tips recent singles into a burst: held with what follows.
                self.burst = Some(Burst { until: now + BURST_WINDOW, held: gathered });
            } else {
                self.burst = Some(Burst { until: now + BURST_WINDOW, held: Vec::new() });
                out.push(Outgoing::Summary(gathered));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calleague_events::Timestamp;

    fn failure(n: usize) -> Failure {
        Failure {
            call_id: format!("c{n}"),
            agent: Some(format!("agent_{}", n % 2)),
            ended_reason: Some("busy".into()),
            occurred_at: Timestamp::now(),
            detail: None,
            caught_up: false,
        }
    }

    /// Feeds failures at the given offsets (ms from the start) and runs the clock, as the
    /// watcher does, until nothing is left; returns what went out with when.
    async fn play(offsets_ms: &[u64]) -> Vec<(u64, Outgoing)> {
        let start = Instant::now();
        let mut pacing = Pacing::default();
        let mut shown = Vec::new();
        let mut pending = offsets_ms.iter().copied().enumerate().peekable();
        loop {
            let next_push = pending.peek().map(|(_, ms)| start + Duration::from_millis(*ms));
            let next = match (next_push, pacing.next_deadline()) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => return shown,
            };
            tokio::time::sleep_until(next).await;
            let now = Instant::now();
            while let Some((n, _)) = pending.next_if(|(_, ms)| start + Duration::from_millis(*ms) <= now) {
                pacing.push(failure(n), now);
            }
            for out in pacing.due(now) {
                shown.push((now.duration_since(start).as_millis() as u64, out));
            }
        }
    }

    fn singles(shown: &[(u64, Outgoing)]) -> usize {
        shown.iter().filter(|(_, o)| matches!(o, Outgoing::Single(_))).count()
    }

    fn summary_sizes(shown: &[(u64, Outgoing)]) -> Vec<usize> {
        shown
            .iter()
            .filter_map(|(_, o)| match o {
                Outgoing::Summary(f) => Some(f.len()),
                Outgoing::Single(_) => None,
            })
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn failures_spaced_apart_are_notified_singly_after_a_moment() {
        let shown = play(&[0, 2_000, 4_000]).await;
        assert_eq!(singles(&shown), 3);
        assert!(summary_sizes(&shown).is_empty());
        assert_eq!(shown[0].0, GATHER.as_millis() as u64, "shown one gathering moment after it came");
    }

    #[tokio::test(start_paused = true)]
    async fn three_together_are_still_three_singles() {
        let shown = play(&[0, 10, 20]).await;
        assert_eq!(singles(&shown), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_ten_is_one_summary_at_once() {
        let offsets: Vec<u64> = (0..10).map(|i| i * 50).collect();
        let shown = play(&offsets).await;
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(summary_sizes(&shown), vec![10]);
        assert_eq!(shown[0].0, GATHER.as_millis() as u64);
    }

    #[tokio::test(start_paused = true)]
    async fn the_fourth_within_the_window_starts_a_burst_and_later_failures_resume_singly() {
        // Three singles, then a fourth and fifth within ten seconds: one summary of the two
        // at the end of the window; a failure long after is single again.
        let shown = play(&[0, 2_000, 4_000, 6_000, 8_000, 40_000]).await;
        assert_eq!(singles(&shown), 4, "{shown:?}");
        assert_eq!(summary_sizes(&shown), vec![2]);
        let (last_at, last) = shown.last().unwrap();
        assert!(matches!(last, Outgoing::Single(f) if f.call_id == "c5"));
        assert_eq!(*last_at, 41_000);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_failure_after_recent_singles_is_not_a_summary_of_one() {
        let shown = play(&[0, 2_000, 4_000, 6_000]).await;
        assert_eq!(singles(&shown), 4);
        assert!(summary_sizes(&shown).is_empty());
        assert_eq!(shown[3].0, 7_000 + BURST_WINDOW.as_millis() as u64, "held to the end of the window");
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_storm_is_one_summary_per_window() {
        // Four failures a second for 30 seconds.
        let offsets: Vec<u64> = (0..120).map(|i| i * 250).collect();
        let shown = play(&offsets).await;
        assert_eq!(singles(&shown), 0);
        let sizes = summary_sizes(&shown);
        assert_eq!(sizes.iter().sum::<usize>(), 120, "every failure counted once");
        assert!(sizes.len() <= 5, "{sizes:?}");
        for pair in shown.windows(2) {
            assert!(pair[1].0 - pair[0].0 >= BURST_WINDOW.as_millis() as u64, "{shown:?}");
        }
    }
}
