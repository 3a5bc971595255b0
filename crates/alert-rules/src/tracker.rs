//! A rule's states — ok → firing → resolved (ok again) — and its cooldown, as a pure state
//! machine of time: the live runner and the preview over history drive the same one, so
//! the preview says what evaluation would have done.

use crate::rule::AlertRule;

/// What one evaluation changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Not firing, and still not.
    Ok,
    /// Began to fire now; `notify` false when the cooldown holds its notice back.
    Fired { notify: bool },
    /// Was firing and still is.
    StillFiring,
    /// Stopped firing now; `notify` when its firing was notified.
    Resolved { notify: bool, started_ms: i64 },
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Open {
    started_ms: i64,
    notified: bool,
}

/// One rule's state between evaluations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tracker {
    open: Option<Open>,
    /// When the last notified firing started: the cooldown runs from there.
    last_notified_ms: Option<i64>,
}

impl Tracker {
    /// The state as the store left it: a firing still open (since when, notified or not),
    /// and when the rule last notified.
    pub fn resume(open: Option<(i64, bool)>, last_notified_ms: Option<i64>) -> Self {
        Self { open: open.map(|(started_ms, notified)| Open { started_ms, notified }), last_notified_ms }
    }

    pub fn is_firing(&self) -> bool {
        self.open.is_some()
    }

    /// Since when it has been firing.
    pub fn firing_since(&self) -> Option<i64> {
        self.open.map(|open| open.started_ms)
    }

    /// One evaluation at `now_ms`: `breaking` is whether the rule's condition holds now.
    pub fn step(&mut self, rule: &AlertRule, now_ms: i64, breaking: bool) -> Change {
        match (self.open, breaking) {
            (None, false) => Change::Ok,
            (Some(_), true) => Change::StillFiring,
            (None, true) => {
                let cooldown_ms = i64::from(rule.cooldown_minutes) * 60_000;
                let notify = self.last_notified_ms.is_none_or(|last| now_ms - last >= cooldown_ms);
                if notify {
                    self.last_notified_ms = Some(now_ms);
                }
                self.open = Some(Open { started_ms: now_ms, notified: notify });
                Change::Fired { notify }
            }
            (Some(open), false) => {
                self.open = None;
                Change::Resolved { notify: open.notified, started_ms: open.started_ms }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::starter_rules;

    const MIN: i64 = 60_000;

    #[test]
    fn ok_firing_resolved_with_one_notice_each_way() {
        let rule = starter_rules().remove(0);
        let mut t = Tracker::default();
        assert_eq!(t.step(&rule, 0, false), Change::Ok);
        assert_eq!(t.step(&rule, MIN, true), Change::Fired { notify: true });
        assert_eq!(t.step(&rule, 2 * MIN, true), Change::StillFiring);
        assert_eq!(t.step(&rule, 3 * MIN, false), Change::Resolved { notify: true, started_ms: MIN });
        assert_eq!(t.step(&rule, 4 * MIN, false), Change::Ok);
    }

    #[test]
    fn a_flapping_rule_notifies_once_per_cooldown() {
        let mut rule = starter_rules().remove(0);
        rule.cooldown_minutes = 30;
        let mut t = Tracker::default();
        let mut notices = 0;
        // Fires and clears every other minute for an hour.
        for minute in 0..60 {
            match t.step(&rule, minute * MIN, minute % 2 == 0) {
                Change::Fired { notify: true } | Change::Resolved { notify: true, .. } => notices += 1,
                _ => {}
            }
        }
        // Fired at 0 and 30 (each notified, with its resolution): 4 notices, not 60.
        assert_eq!(notices, 4);
    }

    #[test]
    fn a_resumed_firing_is_not_notified_again() {
        let rule = starter_rules().remove(0);
        let mut t = Tracker::resume(Some((5 * MIN, true)), Some(5 * MIN));
        assert_eq!(t.step(&rule, 10 * MIN, true), Change::StillFiring);
        assert_eq!(t.step(&rule, 11 * MIN, false), Change::Resolved { notify: true, started_ms: 5 * MIN });
        // Within the cooldown of the resumed one's notice.
        assert_eq!(t.step(&rule, 12 * MIN, true), Change::Fired { notify: false });
        assert_eq!(t.step(&rule, 13 * MIN, false), Change::Resolved { notify: false, started_ms: 12 * MIN });
    }
}
