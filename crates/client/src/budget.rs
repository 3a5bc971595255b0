//! A ceiling on requests per minute, shared by every request of the clients that hold it.
//!
//! The REST source reads the calls list all day long; Calleague's limits are not published,
//! so the app never sends more than the user's setting in any 60 seconds (a sliding window,
//! not a per-minute counter that would allow twice the setting across a minute's edge), and
//! a 429's `Retry-After` holds every request of the budget, not only the one refused.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

const MINUTE: Duration = Duration::from_secs(60);

pub struct RequestBudget {
    requests: u32,
    window: Duration,
    state: Mutex<BudgetState>,
}

#[derive(Default)]
struct BudgetState {
    /// When each request of the last minute was sent, oldest first.
    sent: VecDeque<Instant>,
    /// No request before this (a 429's `Retry-After`).
    held_until: Option<Instant>,
}

impl RequestBudget {
    /// At most `per_minute` requests in any 60 seconds (at least one).
    pub fn per_minute(per_minute: u32) -> Self {
        Self::new(per_minute, MINUTE)
    }

    /// At most `requests` in any `window` (tests use a window of seconds).
    pub fn new(requests: u32, window: Duration) -> Self {
        Self { requests: requests.max(1), window, state: Mutex::default() }
    }

    /// The requests allowed per minute.
    pub fn per_minute_limit(&self) -> f64 {
        f64::from(self.requests) * MINUTE.as_secs_f64() / self.window.as_secs_f64().max(0.001)
    }

    /// Waits until a request may be sent, and counts it as sent.
    pub async fn acquire(&self) {
        loop {
            let wait_until = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                while state.sent.front().is_some_and(|&at| now.duration_since(at) >= self.window) {
                    state.sent.pop_front();
                }
                match state.held_until.filter(|&until| until > now) {
                    Some(until) => until,
                    None if state.sent.len() < self.requests as usize => {
                        state.sent.push_back(now);
                        return;
                    }
                    // The oldest request leaves the window then.
                    None => state.sent.front().map_or(now, |&oldest| oldest + self.window),
                }
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// Holds every request for `wait` (the server said when to come back).
    pub fn hold_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.held_until = Some(state.held_until.map_or(until, |held| held.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_limit_in_any_sixty_seconds() {
        let budget = RequestBudget::per_minute(3);
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..7 {
            budget.acquire().await;
            sent.push(start.elapsed());
        }
        // Three at once, the fourth when the first leaves the window, and so on.
        let secs: Vec<u64> = sent.iter().map(|d| d.as_secs()).collect();
        assert_eq!(secs, [0, 0, 0, 60, 60, 60, 120]);
        for (i, at) in sent.iter().enumerate() {
            let in_window = sent.iter().filter(|other| **other <= *at && *at - **other < MINUTE).count();
            assert!(in_window <= 3, "request {i} had {in_window} in its minute");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_delays_every_request_until_it_ends() {
        let budget = RequestBudget::per_minute(100);
        let start = Instant::now();
        budget.acquire().await;
        budget.hold_for(Duration::from_secs(7));
        budget.hold_for(Duration::from_secs(2)); // a shorter hold does not shorten the first
        budget.acquire().await;
        assert_eq!(start.elapsed().as_secs(), 7);
    }
}
