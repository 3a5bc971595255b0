//! Active hours: days of the week and a time of day, in a time zone (the computer's unless
//! the rule names one), daylight saving included. "09:00"–"18:00" is active from 9 until
//! 18; a span that ends before it starts ("22:00"–"06:00") runs over midnight, and belongs
//! to the day it starts on.

use serde::{Deserialize, Serialize};

use crate::AlertRulesError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields = nullable)]
pub struct ActiveHours {
    pub days: Vec<Weekday>,
    /// "HH:MM", 24-hour clock.
    pub from: String,
    pub to: String,
    /// An IANA name ("Europe/Berlin"); the computer's own zone when none.
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    fn of(day: jiff::civil::Weekday) -> Self {
        use jiff::civil::Weekday as W;
        match day {
            W::Monday => Self::Mon,
            W::Tuesday => Self::Tue,
            W::Wednesday => Self::Wed,
            W::Thursday => Self::Thu,
            W::Friday => Self::Fri,
            W::Saturday => Self::Sat,
            W::Sunday => Self::Sun,
        }
    }

    fn before(self) -> Self {
        match self {
            Self::Mon => Self::Sun,
            Self::Tue => Self::Mon,
            Self::Wed => Self::Tue,
            Self::Thu => Self::Wed,
            Self::Fri => Self::Thu,
            Self::Sat => Self::Fri,
            Self::Sun => Self::Sat,
        }
    }
}

/// Minutes after midnight of "HH:MM".
fn minute_of_day(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

impl ActiveHours {
    pub fn check(&self) -> Result<(), AlertRulesError> {
        if self.days.is_empty() {
            return Err(AlertRulesError::invalid("days", "Choose at least one day.".into()));
        }
        let Some(from) = minute_of_day(&self.from) else {
            return Err(AlertRulesError::invalid("from", format!("\"{}\" is not a time like 09:00.", self.from)));
        };
        let Some(to) = minute_of_day(&self.to) else {
            return Err(AlertRulesError::invalid("to", format!("\"{}\" is not a time like 18:00.", self.to)));
        };
        if from == to {
            return Err(AlertRulesError::invalid(
                "to",
                "The active hours end when they start: leave them out for all day.".into(),
            ));
        }
        if let Some(zone) = &self.time_zone {
            if jiff::tz::TimeZone::get(zone).is_err() {
                return Err(AlertRulesError::invalid(
                    "timeZone",
                    format!("\"{zone}\" is not a time zone this computer knows (such as Europe/Berlin)."),
                ));
            }
        }
        Ok(())
    }

    /// Whether the instant `at_ms` (Unix milliseconds) falls within these hours.
    pub fn contains(&self, at_ms: i64) -> bool {
        let zone = match &self.time_zone {
            Some(name) => match jiff::tz::TimeZone::get(name) {
                Ok(zone) => zone,
                Err(_) => return true,
            },
            None => jiff::tz::TimeZone::system(),
        };
        let Ok(instant) = jiff::Timestamp::from_millisecond(at_ms) else {
            return true;
        };
        let local = instant.to_zoned_datetime(zone);
        let now = local.hour() as u32 * 60 + local.minute() as u32;
        let day = Weekday::of(local.weekday());
        let (Some(from), Some(to)) = (minute_of_day(&self.from), minute_of_day(&self.to)) else {
            return true;
        };
        if from < to {
            self.days.contains(&day) && from <= now && now < to
        } else {
            // Over midnight: the evening of an active day, or the morning after one.
            (now >= from && self.days.contains(&day)) || (now < to && self.days.contains(&day.before()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
    }

    fn hours(days: Vec<Weekday>, from: &str, to: &str, zone: &str) -> ActiveHours {
        ActiveHours { days, from: from.into(), to: to.into(), time_zone: Some(zone.into()) }
    }

    #[test]
    fn working_hours_in_a_named_zone_with_daylight_saving() {
        let office = hours(
            vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
            "09:00",
            "18:00",
            "Europe/Berlin",
        );
        // Wednesday 2026-07-15: Berlin is UTC+2 in summer.
        assert!(!office.contains(at("2026-07-15T06:59:00Z")));
        assert!(office.contains(at("2026-07-15T07:00:00Z")));
        assert!(office.contains(at("2026-07-15T15:59:00Z")));
        assert!(!office.contains(at("2026-07-15T16:00:00Z")));
        // Wednesday 2026-01-14: UTC+1 in winter.
        assert!(!office.contains(at("2026-01-14T07:30:00Z")));
        assert!(office.contains(at("2026-01-14T08:00:00Z")));
        // Saturday.
        assert!(!office.contains(at("2026-07-18T10:00:00Z")));
    }

    #[test]
    fn a_night_shift_belongs_to_the_day_it_starts_on() {
        let friday_night = hours(vec![Weekday::Fri], "22:00", "06:00", "UTC");
        assert!(friday_night.contains(at("2026-07-17T23:00:00Z"))); // Friday
        assert!(friday_night.contains(at("2026-07-18T05:59:00Z"))); // Saturday morning
        assert!(!friday_night.contains(at("2026-07-18T06:00:00Z")));
        assert!(!friday_night.contains(at("2026-07-17T05:00:00Z"))); // Friday morning: Thursday's night
        assert!(!friday_night.contains(at("2026-07-18T23:00:00Z"))); // Saturday night
    }

    #[test]
    fn times_and_zones_are_checked() {
        let mut h = hours(vec![Weekday::Mon], "9:00", "18:00", "UTC");
        assert_eq!(h.check().unwrap_err().field(), Some("from"));
        h.from = "09:00".into();
        h.to = "24:00".into();
        assert_eq!(h.check().unwrap_err().field(), Some("to"));
        h.to = "18:00".into();
        h.time_zone = Some("Mars/Olympus".into());
        assert_eq!(h.check().unwrap_err().field(), Some("timeZone"));
        h.time_zone = Some("America/New_York".into());
        h.check().unwrap();
    }
}
