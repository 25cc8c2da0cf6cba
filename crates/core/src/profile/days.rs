//! The days a window applies to: weekdays, the nth weekday of a month, days of the
//! month counted from either end or in business days, and times of day.

use jiff::civil::{Date, Time, Weekday};

use super::holidays::Holidays;

/// When a window applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Applies {
    Weekdays(Vec<(Weekday, Option<Nth>)>),
    DaysOfMonth(Vec<(DayOfMonth, DayOfMonth)>),
    Dates(Vec<Date>),
    /// Only `on_holidays: only` windows may leave out their days: every holiday.
    Holidays,
}

/// Which of a month's same weekdays: the first to fifth, or the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nth {
    Index(i8),
    Last,
}

impl Nth {
    pub(super) fn matches(self, date: Date) -> bool {
        match self {
            Nth::Index(n) => (date.day() - 1) / 7 + 1 == n,
            Nth::Last => date.day() + 7 > date.days_in_month(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DayOfMonth {
    Day(u8),
    /// The last day less this many days (`L` is 0, `L-2` is 2).
    Last(u8),
    /// The nth business day (1-23).
    BusinessDay(u8),
    /// The last business day less this many business days.
    LastBusinessDay(u8),
}

impl DayOfMonth {
    /// The day of `date`'s month it means; None when the month has none (the 23rd
    /// business day of a short month, `L-30`).
    pub(super) fn resolve(self, date: Date, holidays: &Holidays) -> Option<i8> {
        let business_days = || {
            (1..=date.days_in_month())
                .filter_map(|day| date.with().day(day).build().ok())
                .filter(|d| holidays.is_business_day(*d))
                .map(|d| d.day())
        };
        match self {
            DayOfMonth::Day(day) => Some(day as i8),
            DayOfMonth::Last(back) => Some(date.days_in_month() - back as i8).filter(|d| *d >= 1),
            DayOfMonth::BusinessDay(n) => business_days().nth(usize::from(n) - 1),
            DayOfMonth::LastBusinessDay(back) => {
                let days: Vec<i8> = business_days().collect();
                days.len()
                    .checked_sub(1 + usize::from(back))
                    .map(|i| days[i])
            }
        }
    }

    fn is_business(self) -> bool {
        matches!(
            self,
            DayOfMonth::BusinessDay(_) | DayOfMonth::LastBusinessDay(_)
        )
    }
}

pub(super) fn parse_time(text: &str, allow_24: bool) -> Result<Option<Time>, String> {
    let bad = || {
        format!(
            "{text:?} is not a time of day HH:MM (00:00 to 23:59{})",
            if allow_24 { ", or 24:00" } else { "" }
        )
    };
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hours) || !two_digits(minutes) {
        return Err(bad());
    }
    let hours: i8 = hours.parse().map_err(|_| bad())?;
    let minutes: i8 = minutes.parse().map_err(|_| bad())?;
    if allow_24 && hours == 24 && minutes == 0 {
        return Ok(None);
    }
    Time::new(hours, minutes, 0, 0).map(Some).map_err(|_| bad())
}

fn parse_weekday(text: &str) -> Option<Weekday> {
    Some(match text.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// `mon`, `mon#2` (the second Monday of the month) or `fri#L` (its last Friday).
pub(super) fn parse_day_of_week(text: &str) -> Option<(Weekday, Option<Nth>)> {
    let (day, nth) = match text.split_once('#') {
        Some((day, nth)) => (day, Some(nth)),
        None => (text, None),
    };
    let nth = match nth {
        None => None,
        Some(n) if n.eq_ignore_ascii_case("L") => Some(Nth::Last),
        Some(n) => match n.parse::<i8>() {
            Ok(n @ 1..=5) => Some(Nth::Index(n)),
            _ => return None,
        },
    };
    Some((parse_weekday(day)?, nth))
}

/// One day of a `days_of_month` item: `15`, `L`, `L-2`, `BD3`, `BDL`, `BDL-1`.
fn parse_day_of_month(part: &str) -> Result<DayOfMonth, String> {
    let bad = || {
        format!(
            "{part:?} is not a day of the month (1-31, L, L-n, BDn for the nth business day, \
             BDL or BDL-n)"
        )
    };
    let upper = part.to_ascii_uppercase();
    let back = |rest: &str, max: u8| -> Result<u8, String> {
        match rest {
            "" => Ok(0),
            _ => match rest.strip_prefix('-').map(str::parse::<u8>) {
                Some(Ok(n)) if n <= max => Ok(n),
                _ => Err(bad()),
            },
        }
    };
    if let Some(rest) = upper.strip_prefix("BDL") {
        return Ok(DayOfMonth::LastBusinessDay(back(rest, 22)?));
    }
    if let Some(rest) = upper.strip_prefix("BD") {
        return match rest.parse::<u8>() {
            Ok(n @ 1..=23) => Ok(DayOfMonth::BusinessDay(n)),
            _ => Err(bad()),
        };
    }
    if let Some(rest) = upper.strip_prefix('L') {
        return Ok(DayOfMonth::Last(back(rest, 30)?));
    }
    match part.parse::<u8>() {
        Ok(day @ 1..=31) => Ok(DayOfMonth::Day(day)),
        _ => Err(bad()),
    }
}

/// Splits `first-last` at the hyphen that separates the two days: `L-2` and `BDL-1`
/// alone are one day, `25-L-2` and `L-3-L` are ranges.
fn split_range(item: &str) -> Option<(&str, &str)> {
    let hyphens: Vec<usize> = item.match_indices('-').map(|(i, _)| i).collect();
    let upper = item.to_ascii_uppercase();
    let starts_with_last = upper.starts_with('L') || upper.starts_with("BDL");
    let at = match hyphens.as_slice() {
        [] => return None,
        [only] if starts_with_last && item[only + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            return None;
        }
        [only] => *only,
        [first, ..] if starts_with_last => *hyphens.get(1).unwrap_or(first),
        [first, ..] => *first,
    };
    Some((item[..at].trim(), item[at + 1..].trim()))
}

pub(super) fn parse_days_of_month(text: &str) -> Result<Vec<(DayOfMonth, DayOfMonth)>, String> {
    let mut ranges = Vec::new();
    for item in text.split(',').map(str::trim) {
        let (first, last) = match split_range(item) {
            Some((first, last)) => (parse_day_of_month(first)?, parse_day_of_month(last)?),
            None => {
                let only = parse_day_of_month(item)?;
                (only, only)
            }
        };
        if first != last && (first.is_business() || last.is_business()) {
            return Err(format!(
                "{item:?}: a business day is a single day; list them (BD1,BD2,BD3)"
            ));
        }
        let ends_before = match (first, last) {
            (DayOfMonth::Last(_), DayOfMonth::Day(_)) => true,
            (DayOfMonth::Day(first), DayOfMonth::Day(last)) => last < first,
            (DayOfMonth::Last(first), DayOfMonth::Last(last)) => last > first,
            _ => false,
        };
        if ends_before {
            return Err(format!(
                "{item:?} cannot occur: the range ends before it starts"
            ));
        }
        ranges.push((first, last));
    }
    Ok(ranges)
}
