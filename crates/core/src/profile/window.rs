//! One compiled window: the local times it opens and closes on the days it applies
//! to, and its occurrence on a given day across daylight saving.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::days::Applies;
use super::holidays::{Holidays, OnHolidays};

/// More windows than this make a profile unreadable and every evaluation slow.
pub const MAX_WINDOWS: usize = 1000;

/// A validated window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub(super) applies: Applies,
    pub(super) on_holidays: OnHolidays,
    pub(super) start: Time,
    /// None: midnight at the end of the day.
    pub(super) end: Option<Time>,
    pub(super) crosses_midnight: bool,
    pub min_tasks: u32,
    pub max_tasks: Option<u32>,
    pub required: bool,
}

impl Window {
    pub(super) fn applies_on(&self, date: Date, holidays: &Holidays) -> bool {
        let holiday = holidays.contains(date);
        match self.on_holidays {
            OnHolidays::Skip if holiday => return false,
            OnHolidays::Only if !holiday => return false,
            _ => {}
        }
        match &self.applies {
            Applies::Weekdays(days) => days.iter().any(|(weekday, nth)| {
                *weekday == date.weekday() && nth.is_none_or(|n| n.matches(date))
            }),
            Applies::Dates(dates) => dates.contains(&date),
            Applies::DaysOfMonth(ranges) => ranges.iter().any(|(first, last)| {
                let day = date.day();
                match (first.resolve(date, holidays), last.resolve(date, holidays)) {
                    (Some(first), Some(last)) => first <= day && day <= last,
                    _ => false,
                }
            }),
            Applies::Holidays => holiday,
        }
    }

    /// The window's occurrence that starts on `date`, as instants.
    fn occurrence(&self, date: Date, tz: &TimeZone) -> Option<(Timestamp, Timestamp)> {
        let start = local_instant(date.to_datetime(self.start), tz)?;
        let end_date = if self.crosses_midnight || self.end.is_none() {
            date.tomorrow().ok()?
        } else {
            date
        };
        let end = local_instant(
            end_date.to_datetime(self.end.unwrap_or(Time::midnight())),
            tz,
        )?;
        Some((start, end))
    }

    /// Whether the window is open at `at`: an occurrence starting today or (crossing
    /// midnight) yesterday holds it.
    pub(super) fn open_at(&self, at: Timestamp, tz: &TimeZone, holidays: &Holidays) -> bool {
        let today = tz.to_datetime(at).date();
        [today.yesterday().ok(), Some(today)]
            .into_iter()
            .flatten()
            .any(|date| {
                self.applies_on(date, holidays)
                    && self
                        .occurrence(date, tz)
                        .is_some_and(|(start, end)| start <= at && at < end)
            })
    }
}

/// A local date and time as an instant, by the rules in the module comment.
fn local_instant(local: DateTime, tz: &TimeZone) -> Option<Timestamp> {
    let ambiguous = tz.to_ambiguous_timestamp(local);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(local).ok(),
        // Read with the offset before the gap, the time lands after the transition;
        // the transition itself is the first valid minute.
        AmbiguousOffset::Gap { before, .. } => {
            let past_gap = before.to_timestamp(local).ok()?;
            tz.preceding(past_gap)
                .next()
                .map(|transition| transition.timestamp())
        }
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(local).ok(),
    }
}

/// The months of the year in which none of `open` falls, named; None when every
/// month has one.
pub(super) fn skipped_months(open: &[Date]) -> Option<String> {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let skipped: Vec<&str> = (1..=12)
        .filter(|m| !open.iter().any(|d| d.month() == *m))
        .map(|m| NAMES[usize::from(m as u8 - 1)])
        .collect();
    (!skipped.is_empty()).then(|| skipped.join(", "))
}
