use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// An instant in UTC with millisecond precision, shown as `2026-01-01T12:01:24.000Z`.
///
/// Calleague sends `occurredAt` as ISO-8601 UTC with milliseconds, but we accept any RFC 3339
/// offset and normalize, so that ordering by the text and by the number agree.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_millis: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TimestampError {
    #[error("not an RFC 3339 timestamp: {0}")]
    Invalid(String),
    #[error("timestamp out of range")]
    OutOfRange,
}

impl Timestamp {
    pub fn from_unix_millis(unix_millis: i64) -> Result<Self, TimestampError> {
        // Reject what `time` cannot represent, so Display never fails.
        let nanos = i128::from(unix_millis) * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| TimestampError::OutOfRange)?;
        Ok(Self { unix_millis })
    }

    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        let unix_millis = (dt.unix_timestamp_nanos() / 1_000_000) as i64;
        Self { unix_millis }
    }

    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let dt =
            OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|_| TimestampError::Invalid(truncate(text, 64)))?;
        let ts = Self::from_datetime(dt);
        Self::from_unix_millis(ts.unix_millis)
    }

    pub fn unix_millis(self) -> i64 {
        self.unix_millis
    }

    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.unix_millis) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(UtcOffset::UTC)
    }

    pub fn saturating_add_millis(self, millis: i64) -> Self {
        Self::from_unix_millis(self.unix_millis.saturating_add(millis)).unwrap_or(self)
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dt = self.to_datetime();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// In TypeScript a timestamp is its JSON text: RFC 3339 in UTC with milliseconds.
impl ts_rs::TS for Timestamp {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }
    fn inline(cfg: &ts_rs::Config) -> String {
        Self::name(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_offsets_to_utc_with_millis() {
        let ts = Timestamp::parse("2026-01-01T15:01:24+03:00").unwrap();
        assert_eq!(ts.to_string(), "2026-01-01T12:01:24.000Z");
        let ts = Timestamp::parse("2026-01-01T12:01:24.123456Z").unwrap();
        assert_eq!(ts.to_string(), "2026-01-01T12:01:24.123Z");
        let ts = Timestamp::parse("2025-12-31T23:59:59.5-00:30").unwrap();
        assert_eq!(ts.to_string(), "2026-01-01T00:29:59.500Z");
    }

    #[test]
    fn rejects_non_rfc3339() {
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("2026-01-01 12:00").is_err());
        assert!(Timestamp::parse("").is_err());
    }

    #[test]
    fn text_order_matches_numeric_order() {
        let a = Timestamp::parse("2026-01-01T12:00:00.999Z").unwrap();
        let b = Timestamp::parse("2026-01-01T12:00:01.000Z").unwrap();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }
}
