//! Calls in progress over time: the overview chart's peak per bar (migration 0020).
//!
//! A call is in progress from its start (its place on the timeline) to its end; one that
//! has not ended is in progress until it is stale — older than the longest a call can last
//! (the catch-up setting `longestCallHours`), when its end never came or was lost. The
//! setting can change at any time, so it is applied when reading, never stored:
//! `in_progress_edges` keeps, by minute, hour and day, the calls that `started` and `ended`
//! there and those started there that have not ended (`open`). The calls in progress during
//! minute `m` are then three sums:
//!
//! ```text
//! started(<= m) - ended(< m) - open(< m - longest)
//! ```
//!
//! and the peak of a bar is the largest of its minutes'. The sums before the range are read
//! from the day and hour rows, the range itself from its minutes: a week costs ten
//! thousand rows, however many calls it holds. PostgreSQL feeds the same [`PeakCounter`]
//! from the calls that overlap the range.

use std::collections::BTreeMap;

use calleague_events::{CallPhase, CallRecord};
use rusqlite::{params, Connection};

use crate::ranges::{pieces_of, MINUTE_MS, SPANS_WITH_DAYS};
use crate::Result;

/// When a call was in progress, in Unix milliseconds: from `start` to `end` (none while it
/// has not ended). None for a call not known to have started (nothing but a recording or a
/// transcript arrived): it is not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InProgressSpan {
    pub start_ms: i64,
    pub end_ms: Option<i64>,
}

impl InProgressSpan {
    /// `sort_ms` is the call's place on the timeline, its earliest `occurredAt`. An ended
    /// call ends at its `endedAt`, or its start plus its duration, or else at its start; never
    /// before its start.
    pub fn of(record: &CallRecord, sort_ms: i64) -> Option<Self> {
        let end_ms = match record.phase? {
            CallPhase::Started | CallPhase::Connected => None,
            CallPhase::Completed | CallPhase::Failed => Some(
                record
                    .ended_at
                    .map(|t| t.unix_millis())
                    .or_else(|| {
                        record.duration_sec.filter(|d| d.is_finite()).map(|d| sort_ms + (d * 1000.0).round() as i64)
                    })
                    .unwrap_or(sort_ms)
                    .max(sort_ms),
            ),
        };
        Some(Self { start_ms: sort_ms, end_ms })
    }
}

/// What one minute holds: calls started in it, ended in it, and started in it and not ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Edges {
    pub(crate) started: i64,
    pub(crate) ended: i64,
    pub(crate) open: i64,
}

impl Edges {
    /// What a call's span adds, by minute: its start's and, once ended, its end's.
    pub(crate) fn of(span: &InProgressSpan) -> Vec<(i64, Edges)> {
        let start = floor_minute(span.start_ms);
        match span.end_ms {
            None => vec![(start, Edges { started: 1, open: 1, ..Edges::default() })],
            Some(end) => vec![
                (start, Edges { started: 1, ..Edges::default() }),
                (floor_minute(end), Edges { ended: 1, ..Edges::default() }),
            ],
        }
    }

    pub(crate) fn add(&mut self, other: Edges, sign: i64) {
        self.started += sign * other.started;
        self.ended += sign * other.ended;
        self.open += sign * other.open;
    }

    pub(crate) fn is_zero(&self) -> bool {
        *self == Edges::default()
    }
}

fn floor_minute(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS) * MINUTE_MS
}

/// The peak of calls in progress per bar of `[from, to)` (whole minutes), as it is counted:
/// minutes before `from - longest` are summed, the rest kept minute by minute.
#[derive(Debug)]
pub struct PeakCounter {
    from: i64,
    to: i64,
    bar_ms: i64,
    /// The longest a call can last, in whole minutes.
    longest_ms: i64,
    /// Minutes before `from - longest`, summed.
    before: Edges,
    minutes: BTreeMap<i64, Edges>,
}

impl PeakCounter {
    /// For the bars of `[from, to)`, `bar_ms` wide; an open call older than `longest_ms` is
    /// stale.
    pub(crate) fn new(from: i64, to: i64, bar_ms: i64, longest_ms: i64) -> Self {
        let longest_ms = floor_minute(longest_ms.max(0));
        Self { from, to, bar_ms, longest_ms, before: Edges::default(), minutes: BTreeMap::new() }
    }

    /// Where kept minute by minute starts: what came before is only summed. Open calls
    /// started before this are stale throughout the range (ended ones count while they last).
    pub fn kept_from(&self) -> i64 {
        self.from - self.longest_ms
    }

    /// One call that may have been in progress in the range. A call that ended before it or
    /// went stale before it may be added too: it adds nothing.
    pub fn add_call(&mut self, span: &InProgressSpan) {
        for (minute, edges) in Edges::of(span) {
            self.add_edges(minute, edges);
        }
    }

    /// Edges at `at_ms`: a minute, or any bucket wholly before [`Self::kept_from`].
    pub(crate) fn add_edges(&mut self, at_ms: i64, edges: Edges) {
        if at_ms < self.kept_from() {
            self.before.add(edges, 1);
        } else if at_ms < self.to {
            self.minutes.entry(at_ms).or_default().add(edges, 1);
        }
    }

    /// The peak of each bar (the first at `from`'s bar), none for a bar wholly after
    /// `now_ms`: the calls in progress during each minute up to now, the largest per bar.
    pub(crate) fn finish(self, now_ms: i64) -> Vec<Option<i64>> {
        let first_bar = self.from.div_euclid(self.bar_ms) * self.bar_ms;
        let bar_count = ((self.to - first_bar + self.bar_ms - 1) / self.bar_ms).max(0) as usize;
        let mut peaks = vec![None; bar_count];
        let last_minute = floor_minute(now_ms).min(self.to - MINUTE_MS);
        // Running sums: started up to and including the minute, ended before it, open
        // started before it less the longest a call lasts.
        let (mut started, mut ended, mut stale) = (self.before.started, self.before.ended, self.before.open);
        let at = |minute: i64| self.minutes.get(&minute).copied().unwrap_or_default();
        let mut minute = self.kept_from();
        while minute <= last_minute {
            let here = at(minute);
            started += here.started;
            if minute >= self.from {
                // `before` holds the open calls stale at `from`; each later minute, those
                // started a minute further on.
                if minute > self.from {
                    stale += at(minute - self.longest_ms - MINUTE_MS).open;
                }
                let level = started - ended - stale;
                let bar = ((minute - first_bar) / self.bar_ms) as usize;
                let peak = peaks[bar].get_or_insert(0);
                *peak = (*peak).max(level);
            }
            ended += here.ended;
            minute += MINUTE_MS;
        }
        peaks
    }
}

/// Feeds `counter` from `in_progress_edges`: everything before its kept minutes summed from
/// the largest rows that fit, its kept minutes row by row.
pub(crate) fn read_in_progress_edges(conn: &Connection, counter: &mut PeakCounter) -> Result<()> {
    let kept_from = counter.kept_from();
    let first: Option<i64> = conn
        .prepare_cached("SELECT min(at_ms) FROM in_progress_edges WHERE span = ?1")?
        .query_row([SPANS_WITH_DAYS[SPANS_WITH_DAYS.len() - 1]], |r| r.get(0))?;
    if let Some(first) = first.filter(|first| *first < kept_from) {
        for (span, start, end) in pieces_of(first, kept_from, SPANS_WITH_DAYS) {
            let edges = conn
                .prepare_cached(
                    "SELECT coalesce(sum(started), 0), coalesce(sum(ended), 0), coalesce(sum(open), 0)
                     FROM in_progress_edges WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3",
                )?
                .query_row(params![span, start, end], |r| {
                    Ok(Edges { started: r.get(0)?, ended: r.get(1)?, open: r.get(2)? })
                })?;
            counter.add_edges(start, edges);
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT at_ms, started, ended, open FROM in_progress_edges WHERE span = ?1 AND at_ms >= ?2 AND at_ms < ?3",
    )?;
    let mut rows = stmt.query(params![MINUTE_MS, kept_from, counter.to])?;
    while let Some(r) = rows.next()? {
        counter.add_edges(r.get(0)?, Edges { started: r.get(1)?, ended: r.get(2)?, open: r.get(3)? });
    }
    Ok(())
}
