//! Days off: dates that close a profile's windows, or open windows of their own.

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// A profile's days off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    dates: Vec<Date>,
    /// (month, day), every year.
    yearly: Vec<(i8, i8)>,
}

/// A holiday as written: a date, or a (month, day) of every year.
pub(super) enum Holiday {
    Date(Date),
    Yearly(i8, i8),
}

/// `YYYY-MM-DD`, or `MM-DD` for every year (02-29 included); Err says what is wrong.
pub fn parse_holiday(text: &str) -> Result<(), String> {
    holiday(text).map(|_| ())
}

/// A calendar date written exactly `YYYY-MM-DD`: jiff's parser also takes a date with
/// a time and an offset (`2026-12-24T10:00+01:00`) and drops them, which a profile
/// must not (a window's or a holiday's day is a local day, and a time in it means a
/// mistake).
pub(super) fn calendar_date(text: &str) -> Option<Date> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped.then(|| text.parse::<Date>().ok()).flatten()
}

fn holiday(text: &str) -> Result<Holiday, String> {
    if let Some(date) = calendar_date(text) {
        return Ok(Holiday::Date(date));
    }
    // Checked against a leap year, so that 02-29 is a valid yearly day.
    match calendar_date(&format!("2024-{text}")) {
        Some(date) => Ok(Holiday::Yearly(date.month(), date.day())),
        _ => Err(format!(
            "{text:?} is not a date YYYY-MM-DD or a yearly MM-DD"
        )),
    }
}

impl Holidays {
    /// Parses `YYYY-MM-DD` and yearly `MM-DD`; every bad one is a problem by path.
    pub(super) fn parse(texts: &[String], path: &str, problems: &mut Vec<Problem>) -> Holidays {
        let mut holidays = Holidays::default();
        for (index, text) in texts.iter().enumerate() {
            match holiday(text) {
                Ok(Holiday::Date(date)) => holidays.dates.push(date),
                Ok(Holiday::Yearly(month, day)) => holidays.yearly.push((month, day)),
                Err(message) => {
                    problems.push(Problem::new(format!("{path}.holidays[{index}]"), message))
                }
            }
        }
        holidays
    }

    pub fn contains(&self, date: Date) -> bool {
        self.dates.contains(&date) || self.yearly.contains(&(date.month(), date.day()))
    }

    pub(super) fn is_business_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.contains(date)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
/// What a window does on a holiday: closes (skip), opens only then, or opens also then.
pub enum OnHolidays {
    #[default]
    Skip,
    Only,
    Also,
}

impl OnHolidays {
    pub(super) fn is_skip(&self) -> bool {
        *self == OnHolidays::Skip
    }
}
