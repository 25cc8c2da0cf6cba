//! Capacity profiles: windows of local time in which a target needs a floor, and the
//! floor they give at an instant. Pure; the clock comes in as a `Timestamp`.
//!
//! Daylight saving, deliberately: a local time that does not exist (the skipped spring
//! hour) means the first valid minute after the gap; a local time that exists twice
//! (the repeated autumn hour) means its first occurrence. Each window has exactly one
//! occurrence per day it applies to, so it never fires twice for one day.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::problem::{Problem, Problems, name_problem};

/// A capacity profile as written and stored: windows of local time in which a
/// target needs a floor. [`Schedule::compile`] validates it into a [`Schedule`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    #[serde(default)]
    pub lead_minutes: u32,
    #[serde(default)]
    pub windows: Vec<WindowSpec>,
}

impl Profile {
    /// A profile as stored in the table, compiled for use; the error says why not.
    pub fn from_stored(name: &str, spec: &str) -> Result<Schedule, String> {
        let profile: Profile =
            serde_json::from_str(spec).map_err(|e| format!("stored spec does not parse: {e}"))?;
        if profile.name != name {
            return Err(format!(
                "stored under {name:?} but named {:?}",
                profile.name
            ));
        }
        Schedule::compile(&profile, "profile").map_err(|problems| Problems(problems).to_string())
    }

    /// Every problem of the profile on its own, by path.
    pub fn problems(&self, path: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        if let Some(message) = name_problem(&self.name) {
            problems.push(Problem::new(format!("{path}.name"), message));
        }
        if let Err(more) = Schedule::compile(self, path) {
            problems.extend(more);
        }
        problems
    }
}

/// A window as written in a configuration file. Exactly one of `days`,
/// `days_of_month` and `dates` says when it applies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// Days of the week: mon, tue, wed, thu, fri, sat, sun.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<String>,
    /// Days of the month: `15`, `1-5`, `28-L` (L = last day), comma-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_of_month: Option<String>,
    /// Specific dates, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<String>,
    /// Local start time `HH:MM`; the start of the day when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Local end time `HH:MM` (`24:00` for midnight); the end of the day when left
    /// out. An end at or before the start means the window crosses midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// The floor while the window is open: a whole number of tasks. Read as a number
    /// so that validation can name a fractional or negative count rather than stop
    /// at the first one.
    #[serde(serialize_with = "whole_if_possible")]
    pub min_tasks: f64,
}

/// Writes `4`, not `4.0`, for whole counts.
fn whole_if_possible<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && *value >= 0.0 && *value <= f64::from(u32::MAX) {
        serializer.serialize_u32(*value as u32)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// When a window applies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Applies {
    Weekdays(Vec<Weekday>),
    DaysOfMonth(Vec<(DayOfMonth, DayOfMonth)>),
    Dates(Vec<Date>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayOfMonth {
    Day(u8),
    Last,
}

impl DayOfMonth {
    fn resolve(self, date: Date) -> i8 {
        match self {
            DayOfMonth::Day(day) => day as i8,
            DayOfMonth::Last => date.days_in_month(),
        }
    }
}

/// More windows than this make a profile unreadable and every evaluation slow.
pub const MAX_WINDOWS: usize = 1000;

/// A validated window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    applies: Applies,
    start: Time,
    /// None: midnight at the end of the day.
    end: Option<Time>,
    crosses_midnight: bool,
    pub min_tasks: u32,
}

/// A validated profile, ready to give floors.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub timezone: TimeZone,
    pub lead_minutes: i64,
    pub windows: Vec<Window>,
}

/// The floor at an instant and which windows give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Floor {
    pub min_tasks: u32,
    /// Indexes of the windows open now or within the lead time.
    pub windows: Vec<usize>,
}

fn parse_time(text: &str, allow_24: bool) -> Result<Option<Time>, String> {
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

fn parse_days_of_month(text: &str) -> Result<Vec<(DayOfMonth, DayOfMonth)>, String> {
    let day = |part: &str| -> Result<DayOfMonth, String> {
        if part.eq_ignore_ascii_case("L") {
            return Ok(DayOfMonth::Last);
        }
        match part.parse::<u8>() {
            Ok(day @ 1..=31) => Ok(DayOfMonth::Day(day)),
            _ => Err(format!("{part:?} is not a day of the month (1-31 or L)")),
        }
    };
    let mut ranges = Vec::new();
    for item in text.split(',').map(str::trim) {
        let (first, last) = match item.split_once('-') {
            Some((first, last)) => (day(first.trim())?, day(last.trim())?),
            None => {
                let only = day(item)?;
                (only, only)
            }
        };
        match (first, last) {
            (DayOfMonth::Last, DayOfMonth::Day(_)) => {
                return Err(format!(
                    "{item:?} cannot occur: the range ends before it starts"
                ));
            }
            (DayOfMonth::Day(first), DayOfMonth::Day(last)) if last < first => {
                return Err(format!(
                    "{item:?} cannot occur: the range ends before it starts"
                ));
            }
            _ => {}
        }
        ranges.push((first, last));
    }
    Ok(ranges)
}

impl WindowSpec {
    /// Validates; every problem is pushed with its path.
    pub fn compile(&self, path: &str, problems: &mut Vec<Problem>) -> Option<Window> {
        let before = problems.len();
        let mut problem = |field: &str, message: String| {
            problems.push(Problem::new(format!("{path}{field}"), message))
        };
        let applies = self.applies(&mut problem);
        let (start, end) = self.times(&mut problem);
        let min_tasks = self.min_tasks;
        if !(min_tasks.is_finite()
            && min_tasks >= 0.0
            && min_tasks.fract() == 0.0
            && min_tasks <= f64::from(u32::MAX))
        {
            problem(
                ".min_tasks",
                format!("must be a whole number of tasks, 0 or more; got {min_tasks}"),
            );
        }
        if problems.len() > before {
            return None;
        }
        let (applies, start, end) = (applies?, start?, end?);
        let crosses_midnight = matches!(end, Some(end) if end <= start);
        Some(Window {
            applies,
            start,
            end,
            crosses_midnight,
            min_tasks: min_tasks as u32,
        })
    }

    /// Which days: exactly one of weekdays, days of the month and dates.
    fn applies(&self, problem: &mut impl FnMut(&str, String)) -> Option<Applies> {
        let kinds = usize::from(!self.days.is_empty())
            + usize::from(self.days_of_month.is_some())
            + usize::from(!self.dates.is_empty());
        if kinds != 1 {
            problem(
                "",
                "give exactly one of days, days_of_month and dates".to_owned(),
            );
            return None;
        }
        if let Some(days) = &self.days_of_month {
            return match parse_days_of_month(days) {
                Ok(ranges) => Some(Applies::DaysOfMonth(ranges)),
                Err(message) => {
                    problem(".days_of_month", message);
                    None
                }
            };
        }
        if !self.days.is_empty() {
            let mut weekdays = Vec::new();
            for (index, day) in self.days.iter().enumerate() {
                match parse_weekday(day) {
                    Some(weekday) => weekdays.push(weekday),
                    None => problem(
                        &format!(".days[{index}]"),
                        format!(
                            "{day:?} is not a day of the week (mon, tue, wed, thu, fri, sat, sun)"
                        ),
                    ),
                }
            }
            return Some(Applies::Weekdays(weekdays));
        }
        let mut dates = Vec::new();
        for (index, text) in self.dates.iter().enumerate() {
            match text.parse::<Date>() {
                Ok(date) => dates.push(date),
                Err(_) => problem(
                    &format!(".dates[{index}]"),
                    format!("{text:?} is not a date YYYY-MM-DD"),
                ),
            }
        }
        Some(Applies::Dates(dates))
    }

    /// Start and end of day (None for an end at midnight), each None when invalid.
    fn times(
        &self,
        problem: &mut impl FnMut(&str, String),
    ) -> (Option<Time>, Option<Option<Time>>) {
        let start = match self.start.as_deref().map(|t| parse_time(t, false)) {
            None => Some(Time::midnight()),
            Some(Ok(time)) => time,
            Some(Err(message)) => {
                problem(".start", message);
                None
            }
        };
        let end = match self.end.as_deref().map(|t| parse_time(t, true)) {
            None => Some(None),
            Some(Ok(time)) => Some(time),
            Some(Err(message)) => {
                problem(".end", message);
                None
            }
        };
        if matches!((start, end), (Some(start), Some(Some(end))) if start == end) {
            problem(
                ".end",
                "must differ from start: an empty window never opens".to_owned(),
            );
        }
        if self.days.is_empty() && self.start.is_some() != self.end.is_some() {
            let field = if self.start.is_some() {
                ".end"
            } else {
                ".start"
            };
            problem(
                field,
                "give both start and end, or neither for the whole day".to_owned(),
            );
        }
        if !self.days.is_empty() && (self.start.is_none() || self.end.is_none()) {
            problem("", "a weekly window needs start and end".to_owned());
        }
        (start, end)
    }
}

impl Window {
    fn applies_on(&self, date: Date) -> bool {
        match &self.applies {
            Applies::Weekdays(days) => days.contains(&date.weekday()),
            Applies::Dates(dates) => dates.contains(&date),
            Applies::DaysOfMonth(ranges) => ranges.iter().any(|(first, last)| {
                let day = date.day();
                day >= first.resolve(date) && day <= last.resolve(date)
            }),
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
    fn open_at(&self, at: Timestamp, tz: &TimeZone) -> bool {
        let today = tz.to_datetime(at).date();
        [today.yesterday().ok(), Some(today)]
            .into_iter()
            .flatten()
            .any(|date| {
                self.applies_on(date)
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

impl Schedule {
    /// Validates a stored or written profile; every problem by path.
    pub fn compile(profile: &Profile, path: &str) -> Result<Schedule, Vec<Problem>> {
        let mut problems = Vec::new();
        let timezone = match crate::tz::get(&profile.timezone) {
            Ok(tz) => Some(tz),
            Err(_) => {
                problems.push(Problem {
                    path: format!("{path}.timezone"),
                    message: format!("unknown IANA time zone {:?}", profile.timezone),
                });
                None
            }
        };
        if profile.windows.len() > MAX_WINDOWS {
            problems.push(Problem::new(
                format!("{path}.windows"),
                format!(
                    "{} windows; at most {MAX_WINDOWS} (every floor looks at each one)",
                    profile.windows.len()
                ),
            ));
        }
        if profile.lead_minutes > 24 * 60 {
            problems.push(Problem {
                path: format!("{path}.lead_minutes"),
                message: format!("must be at most 1440 (a day), got {}", profile.lead_minutes),
            });
        }
        // Past the limit the windows are not checked one by one: one problem says it.
        let checked = if profile.windows.len() > MAX_WINDOWS {
            0
        } else {
            profile.windows.len()
        };
        let windows: Vec<Option<Window>> = profile.windows[..checked]
            .iter()
            .enumerate()
            .map(|(index, spec)| spec.compile(&format!("{path}.windows[{index}]"), &mut problems))
            .collect();
        match timezone {
            Some(timezone) if problems.is_empty() => Ok(Schedule {
                name: profile.name.clone(),
                timezone,
                lead_minutes: i64::from(profile.lead_minutes),
                windows: windows.into_iter().flatten().collect(),
            }),
            _ => Err(problems),
        }
    }

    /// The floor at `at`: the largest min_tasks of the windows open at `at + lead`
    /// (capacity ready before the peak) or still open at `at` (held until the end).
    pub fn floor_at(&self, at: Timestamp) -> Floor {
        let ahead = at.checked_add(self.lead_minutes.minutes()).unwrap_or(at);
        let windows: Vec<usize> = self
            .windows
            .iter()
            .enumerate()
            .filter(|(_, w)| w.open_at(at, &self.timezone) || w.open_at(ahead, &self.timezone))
            .map(|(index, _)| index)
            .collect();
        let min_tasks = windows
            .iter()
            .map(|i| self.windows[*i].min_tasks)
            .max()
            .unwrap_or(0);
        Floor { min_tasks, windows }
    }

    /// The instants in [from, from + hours) at which the floor changes, with the new
    /// floor, checked minute by minute: what `sluicectl plan` prints.
    pub fn changes(&self, from: Timestamp, hours: u32) -> Vec<(Timestamp, Floor)> {
        let start = from
            .round(
                jiff::TimestampRound::new()
                    .smallest(jiff::Unit::Minute)
                    .mode(jiff::RoundMode::Trunc),
            )
            .unwrap_or(from);
        let mut changes = Vec::new();
        let mut previous: Option<Floor> = None;
        for minute in 0..i64::from(hours) * 60 {
            let Ok(at) = start.checked_add(minute.minutes()) else {
                break;
            };
            let floor = self.floor_at(at);
            if previous.as_ref() != Some(&floor) {
                changes.push((at, floor.clone()));
                previous = Some(floor);
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &[&str], start: &str, end: &str, min_tasks: f64) -> WindowSpec {
        WindowSpec {
            days: days.iter().map(|d| (*d).to_owned()).collect(),
            start: Some(start.to_owned()),
            end: Some(end.to_owned()),
            min_tasks,
            ..WindowSpec::default()
        }
    }

    fn month(days: &str, min_tasks: f64) -> WindowSpec {
        WindowSpec {
            days_of_month: Some(days.to_owned()),
            min_tasks,
            ..WindowSpec::default()
        }
    }

    fn schedule(timezone: &str, lead_minutes: u32, windows: Vec<WindowSpec>) -> Schedule {
        let profile = Profile {
            name: "p".into(),
            timezone: timezone.into(),
            lead_minutes,
            windows,
        };
        Schedule::compile(&profile, "profile").expect("valid profile")
    }

    /// The floor at a local time of the schedule's zone (first occurrence if repeated).
    fn floor(schedule: &Schedule, local: &str) -> u32 {
        let local: DateTime = local.parse().expect("local datetime");
        let at = schedule
            .timezone
            .to_ambiguous_timestamp(local)
            .earlier()
            .expect("instant");
        schedule.floor_at(at).min_tasks
    }

    fn at_utc(schedule: &Schedule, utc: &str) -> u32 {
        schedule.floor_at(utc.parse().expect("timestamp")).min_tasks
    }

    #[test]
    fn every_problem_is_named_by_path() {
        let profile = Profile {
            name: "p".into(),
            timezone: "Europe/Atlantis".into(),
            lead_minutes: 10,
            windows: vec![
                window(&["mon"], "25:00", "18:00", 5.0),
                window(&["mon"], "08:00", "08:00", 5.0),
                window(&["funday"], "08:00", "09:00", -1.0),
                window(&["mon"], "08:00", "09:00", 2.5),
                month("31-30", 1.0),
                month("0", 1.0),
                WindowSpec {
                    min_tasks: 1.0,
                    ..WindowSpec::default()
                },
                WindowSpec {
                    dates: vec!["2026-02-30".into()],
                    min_tasks: 1.0,
                    ..WindowSpec::default()
                },
            ],
        };
        let problems: Vec<String> = Schedule::compile(&profile, "profiles[0]")
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            vec![
                "profiles[0].timezone: unknown IANA time zone \"Europe/Atlantis\"",
                "profiles[0].windows[0].start: \"25:00\" is not a time of day HH:MM (00:00 to 23:59)",
                "profiles[0].windows[1].end: must differ from start: an empty window never opens",
                "profiles[0].windows[2].days[0]: \"funday\" is not a day of the week (mon, tue, wed, thu, fri, sat, sun)",
                "profiles[0].windows[2].min_tasks: must be a whole number of tasks, 0 or more; got -1",
                "profiles[0].windows[3].min_tasks: must be a whole number of tasks, 0 or more; got 2.5",
                "profiles[0].windows[4].days_of_month: \"31-30\" cannot occur: the range ends before it starts",
                "profiles[0].windows[5].days_of_month: \"0\" is not a day of the month (1-31 or L)",
                "profiles[0].windows[6]: give exactly one of days, days_of_month and dates",
                "profiles[0].windows[7].dates[0]: \"2026-02-30\" is not a date YYYY-MM-DD",
            ]
        );
    }

    #[test]
    fn plan_lists_the_changes() {
        let s = schedule(
            "Europe/Berlin",
            10,
            vec![window(
                &["mon", "tue", "wed", "thu", "fri"],
                "08:00",
                "18:00",
                5.0,
            )],
        );
        let changes = s.changes("2026-11-30T00:00:00Z".parse().unwrap(), 24);
        let summary: Vec<(String, u32)> = changes
            .iter()
            .map(|(at, f)| (at.to_string(), f.min_tasks))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("2026-11-30T00:00:00Z".to_owned(), 0),
                ("2026-11-30T06:50:00Z".to_owned(), 5),
                ("2026-11-30T17:00:00Z".to_owned(), 0),
            ]
        );
    }

    fn dates(dates: &[&str], min_tasks: f64) -> WindowSpec {
        WindowSpec {
            dates: dates.iter().map(|d| (*d).to_owned()).collect(),
            min_tasks,
            ..WindowSpec::default()
        }
    }

    /// A profile and the floors it must give: `(instant, floor, why)`, where an instant
    /// ending in Z is UTC and any other is local time in the profile's zone.
    struct Case {
        name: &'static str,
        timezone: &'static str,
        lead_minutes: u32,
        windows: Vec<WindowSpec>,
        floors: &'static [(&'static str, u32, &'static str)],
    }

    #[test]
    fn floor_table() {
        let weekdays = ["mon", "tue", "wed", "thu", "fri"];
        let cases = [
            Case {
                name: "weekday windows open on their days only",
                timezone: "Europe/Berlin",
                lead_minutes: 0,
                windows: vec![window(&weekdays, "08:00", "18:00", 5.0)],
                floors: &[
                    ("2026-11-30T07:59", 0, "Monday before the start"),
                    ("2026-11-30T08:00", 5, "start is inclusive"),
                    ("2026-11-30T17:59", 5, "open"),
                    ("2026-11-30T18:00", 0, "end is exclusive"),
                    ("2026-11-29T12:00", 0, "Sunday"),
                ],
            },
            Case {
                name: "lead time raises the floor early and it holds until the end",
                timezone: "Europe/Berlin",
                lead_minutes: 10,
                windows: vec![window(&["mon"], "08:00", "18:00", 5.0)],
                floors: &[
                    ("2026-11-30T07:49", 0, "11 minutes ahead"),
                    ("2026-11-30T07:50", 5, "10 minutes ahead"),
                    ("2026-11-30T17:59", 5, "held while open"),
                    ("2026-11-30T18:00", 0, "closed"),
                ],
            },
            Case {
                name: "a window may cross midnight",
                timezone: "UTC",
                lead_minutes: 0,
                windows: vec![window(&["fri"], "22:00", "02:00", 3.0)],
                floors: &[
                    ("2026-11-27T21:59", 0, "before"),
                    ("2026-11-27T23:30", 3, "Friday night"),
                    (
                        "2026-11-28T01:59",
                        3,
                        "Saturday small hours belong to Friday's window",
                    ),
                    ("2026-11-28T02:00", 0, "closed"),
                    ("2026-11-28T23:00", 0, "not on Saturday night"),
                ],
            },
            Case {
                name: "month end in a 30-day month, February and a leap year",
                timezone: "UTC",
                lead_minutes: 0,
                windows: vec![month("28-L", 8.0)],
                floors: &[
                    ("2026-11-27T23:59", 0, "before the 28th"),
                    ("2026-11-28T00:00", 8, "the 28th"),
                    ("2026-11-30T23:59", 8, "30 is the last day of November"),
                    ("2026-12-01T00:00", 0, "next month"),
                    ("2027-02-28T12:00", 8, "28 is the last day of February 2027"),
                    ("2027-03-01T00:00", 0, "March"),
                    ("2028-02-29T12:00", 8, "leap day"),
                ],
            },
            Case {
                name: "L is the last day, whatever the month's length",
                timezone: "UTC",
                lead_minutes: 0,
                windows: vec![month("L", 2.0)],
                floors: &[
                    ("2028-02-28T12:00", 0, "not the last day in a leap year"),
                    ("2028-02-29T12:00", 2, "the leap day is"),
                    ("2026-12-31T12:00", 2, "31 December"),
                ],
            },
            Case {
                name: "overlapping windows give their maximum",
                timezone: "UTC",
                lead_minutes: 0,
                windows: vec![
                    window(&["mon"], "08:00", "18:00", 5.0),
                    month("30", 8.0),
                    window(&["mon"], "12:00", "13:00", 6.0),
                ],
                floors: &[
                    ("2026-11-30T09:00", 8, "Monday the 30th: month-end wins"),
                    ("2026-12-07T12:30", 6, "lunch peak over business hours"),
                ],
            },
            Case {
                name: "specific dates and whole days",
                timezone: "UTC",
                lead_minutes: 0,
                windows: vec![dates(&["2026-12-24"], 1.0)],
                floors: &[
                    ("2026-12-23T23:59", 0, "the day before"),
                    ("2026-12-24T00:00", 1, "from midnight"),
                    ("2026-12-24T23:59", 1, "to midnight"),
                    ("2026-12-25T00:00", 0, "the day after"),
                ],
            },
            Case {
                // Europe/Berlin skips 02:00-03:00 on 2027-03-28 (a Sunday).
                name: "spring forward starts at the first valid minute (Berlin)",
                timezone: "Europe/Berlin",
                lead_minutes: 0,
                windows: vec![window(&["sun"], "02:30", "05:00", 4.0)],
                floors: &[
                    ("2027-03-28T00:59:00Z", 0, "01:59 CET"),
                    (
                        "2027-03-28T01:00:00Z",
                        4,
                        "03:00 CEST: the first valid minute",
                    ),
                    ("2027-03-28T02:59:00Z", 4, "04:59 CEST"),
                    ("2027-03-28T03:00:00Z", 0, "05:00 CEST"),
                ],
            },
            Case {
                // America/New_York skips 02:00-03:00 on 2027-03-14.
                name: "spring forward starts at the first valid minute (New York)",
                timezone: "America/New_York",
                lead_minutes: 0,
                windows: vec![window(&["sun"], "02:15", "04:00", 2.0)],
                floors: &[
                    ("2027-03-14T06:59:00Z", 0, "01:59 EST"),
                    ("2027-03-14T07:00:00Z", 2, "03:00 EDT"),
                ],
            },
            Case {
                // Europe/Berlin repeats 02:00-03:00 on 2026-10-25 (a Sunday).
                name: "fall back uses the first occurrence (Berlin)",
                timezone: "Europe/Berlin",
                lead_minutes: 0,
                windows: vec![window(&["sun"], "02:30", "02:45", 4.0)],
                floors: &[
                    ("2026-10-25T00:29:00Z", 0, "02:29 CEST"),
                    ("2026-10-25T00:30:00Z", 4, "02:30 CEST, first occurrence"),
                    ("2026-10-25T00:45:00Z", 0, "02:45 CEST"),
                    (
                        "2026-10-25T01:30:00Z",
                        0,
                        "02:30 CET, the repeat: not again",
                    ),
                ],
            },
            Case {
                // America/New_York repeats 01:00-02:00 on 2026-11-01.
                name: "fall back uses the first occurrence (New York)",
                timezone: "America/New_York",
                lead_minutes: 0,
                windows: vec![window(&["sun"], "01:00", "03:00", 2.0)],
                floors: &[
                    ("2026-11-01T04:59:00Z", 0, "00:59 EDT"),
                    ("2026-11-01T05:00:00Z", 2, "01:00 EDT"),
                    ("2026-11-01T06:30:00Z", 2, "01:30 EST, still open"),
                    ("2026-11-01T08:00:00Z", 0, "03:00 EST"),
                ],
            },
        ];
        for case in cases {
            let s = schedule(case.timezone, case.lead_minutes, case.windows);
            for (instant, expected, why) in case.floors {
                let got = if instant.ends_with('Z') {
                    at_utc(&s, instant)
                } else {
                    floor(&s, instant)
                };
                assert_eq!(got, *expected, "{}: {instant} ({why})", case.name);
            }
        }
    }

    #[test]
    fn overlapping_windows_name_every_window_that_gives_the_floor() {
        let s = schedule(
            "UTC",
            0,
            vec![
                window(&["mon"], "08:00", "18:00", 5.0),
                month("30", 8.0),
                window(&["mon"], "12:00", "13:00", 6.0),
            ],
        );
        assert_eq!(
            s.floor_at("2026-12-07T12:30Z".parse().unwrap()).windows,
            vec![0, 2]
        );
    }

    #[test]
    fn a_repeated_hour_opens_a_window_once() {
        let new_york = schedule(
            "America/New_York",
            0,
            vec![window(&["sun"], "01:00", "03:00", 2.0)],
        );
        let changes = new_york.changes("2026-11-01T00:00:00Z".parse().unwrap(), 24);
        assert_eq!(
            changes.iter().filter(|(_, f)| f.min_tasks == 2).count(),
            1,
            "opens once: {changes:?}"
        );
    }

    #[test]
    fn times_are_two_digits_each_and_compared_as_times() {
        // (start, end, problems)
        let cases = [
            (
                "+8:00",
                "18:00",
                vec![
                    "profiles[0].windows[0].start: \"+8:00\" is not a time of day HH:MM (00:00 to 23:59)",
                ],
            ),
            (
                "08:00",
                "-1:00",
                vec![
                    "profiles[0].windows[0].end: \"-1:00\" is not a time of day HH:MM (00:00 to 23:59, or 24:00)",
                ],
            ),
            (
                "08:00",
                "08:00",
                vec![
                    "profiles[0].windows[0].end: must differ from start: an empty window never opens",
                ],
            ),
            ("00:00", "24:00", vec![]),
        ];
        for (start, end, expected) in cases {
            let profile = Profile {
                name: "p".into(),
                timezone: "UTC".into(),
                lead_minutes: 0,
                windows: vec![window(&["mon"], start, end, 1.0)],
            };
            let problems: Vec<String> = match Schedule::compile(&profile, "profiles[0]") {
                Ok(_) => Vec::new(),
                Err(problems) => problems.iter().map(ToString::to_string).collect(),
            };
            assert_eq!(problems, expected, "{start}-{end}");
        }
    }
}
