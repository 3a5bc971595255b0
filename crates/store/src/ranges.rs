//! A range of whole minutes cut into the pieces the rollups serve: each piece read at the
//! largest level (the day, the hour, the minute) it holds whole buckets of, so that a week
//! costs a few rows per key however many calls it holds.

pub(crate) const MINUTE_MS: i64 = 60_000;
pub(crate) const HOUR_MS: i64 = 3_600_000;
/// A day, in UTC.
pub(crate) const DAY_MS: i64 = 86_400_000;
/// The Agents page's tables add days to the minutes and hours (migration 0019): a week of
/// 200 agents' reasons and histograms is then a few thousand rows, not a hundred thousand.
pub(crate) const SPANS_WITH_DAYS: &[i64] = &[MINUTE_MS, HOUR_MS, DAY_MS];

/// The pieces of `[from, to)` (whole minutes) and the level that serves each: whole hours
/// from the hour rows, the minutes at either end from the minute rows.
pub(crate) fn pieces(from: i64, to: i64) -> Vec<(i64, i64, i64)> {
    pieces_of(from, to, &[MINUTE_MS, HOUR_MS])
}

/// The pieces of `[from, to)` at the levels `spans` (ascending, a minute first): each
/// piece read at the largest level it holds whole buckets of.
pub(crate) fn pieces_of(from: i64, to: i64, spans: &[i64]) -> Vec<(i64, i64, i64)> {
    let mut pieces = Vec::with_capacity(2 * spans.len());
    split(from, to, spans, &mut pieces);
    pieces
}

fn split(from: i64, to: i64, spans: &[i64], pieces: &mut Vec<(i64, i64, i64)>) {
    let Some((&span, smaller)) = spans.split_last() else { return };
    if from >= to {
        return;
    }
    let first = from.div_euclid(span) * span + if from.rem_euclid(span) == 0 { 0 } else { span };
    let last = to.div_euclid(span) * span;
    if smaller.is_empty() || first >= last {
        if smaller.is_empty() {
            pieces.push((span, from, to));
        } else {
            split(from, to, smaller, pieces);
        }
        return;
    }
    split(from, first, smaller, pieces);
    pieces.push((span, first, last));
    split(last, to, smaller, pieces);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_split_into_minutes_hours_minutes() {
        let h = HOUR_MS;
        let m = MINUTE_MS;
        assert_eq!(pieces(0, 2 * h), vec![(h, 0, 2 * h)]);
        assert_eq!(pieces(5 * m, 2 * h + 3 * m), vec![(m, 5 * m, h), (h, h, 2 * h), (m, 2 * h, 2 * h + 3 * m)]);
        assert_eq!(pieces(5 * m, 50 * m), vec![(m, 5 * m, 50 * m)]);
        assert_eq!(pieces(5 * m, h + 5 * m), vec![(m, 5 * m, h + 5 * m)]);
    }

    #[test]
    fn a_range_with_whole_days_reads_them_from_the_day_rows() {
        let (m, h, d) = (MINUTE_MS, HOUR_MS, DAY_MS);
        let spans = SPANS_WITH_DAYS;
        assert_eq!(
            pieces_of(5 * m, 2 * d + h + 3 * m, spans),
            vec![(m, 5 * m, h), (h, h, d), (d, d, 2 * d), (h, 2 * d, 2 * d + h), (m, 2 * d + h, 2 * d + h + 3 * m)]
        );
        assert_eq!(pieces_of(0, d, spans), vec![(d, 0, d)]);
        assert_eq!(pieces_of(5 * m, 50 * m, spans), vec![(m, 5 * m, 50 * m)]);
        assert_eq!(pieces_of(h, 3 * h, spans), vec![(h, h, 3 * h)]);
        // Every minute of the range in exactly one piece.
        let (from, to) = (17 * m, 3 * d + 5 * h + 7 * m);
        let pieces = pieces_of(from, to, spans);
        assert_eq!(pieces.first().map(|p| p.1), Some(from));
        assert_eq!(pieces.last().map(|p| p.2), Some(to));
        assert!(pieces.windows(2).all(|w| w[0].2 == w[1].1));
        assert!(pieces.iter().all(|(span, start, end)| start % span == 0 && end % span == 0 && start < end));
    }
}
