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
    /// Minutes ahead of a window its floor is raised: the lead, or with `lead: auto`
    /// the lead until enough start-ups have been measured.
    #[serde(default)]
    pub lead_minutes: u32,
    /// `auto`: the target's measured p95 start-up plus the prescaler's interval and a
    /// minute (sluice_core::startup); `fixed` (the default): `lead_minutes`.
    #[serde(default, skip_serializing_if = "LeadMode::is_fixed")]
    pub lead: LeadMode,
    /// Days off: dates `YYYY-MM-DD`, or `MM-DD` for every year. A window does not
    /// open on them unless its `on_holidays` says so, and business days skip them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// Names of the document's `calendars` whose dates are holidays too; resolved into
    /// `holidays` when the file is read (never stored).
    #[serde(default, skip_serializing)]
    pub calendars: Vec<String>,
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
    /// Days of the week: mon, tue, wed, thu, fri, sat, sun; `mon#1` is the month's
    /// first Monday (1-5), `fri#L` its last Friday.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<String>,
    /// Days of the month, comma-separated: `15`, `1-5`, `28-L` (L = the last day),
    /// `L-2` (two days before the last), `BD3` (the third business day: not a weekend,
    /// not a holiday), `BDL` (the last business day), `BDL-1` (the one before it).
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
    /// A cap while the window is open (not ahead of it): the scalable target's
    /// MaxCapacity, at most `capacity.max`, given back when it closes. For a cheaper
    /// night or a hard limit during a risky period; needs a scalable target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tasks: Option<u32>,
    /// A required floor: an enforcing budget that is spent never holds MaxCapacity
    /// below this window's min_tasks (a month-end close that must run).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// On the profile's holidays: `skip` (the default: closed), `only` (open only on
    /// holidays: a holiday's own window; its days rule may be left out), or `also`.
    #[serde(default, skip_serializing_if = "OnHolidays::is_skip")]
    pub on_holidays: OnHolidays,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadMode {
    #[default]
    Fixed,
    Auto,
}

impl LeadMode {
    fn is_fixed(&self) -> bool {
        *self == LeadMode::Fixed
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnHolidays {
    #[default]
    Skip,
    Only,
    Also,
}

impl OnHolidays {
    fn is_skip(&self) -> bool {
        *self == OnHolidays::Skip
    }
}

/// A profile's days off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    dates: Vec<Date>,
    /// (month, day), every year.
    yearly: Vec<(i8, i8)>,
}

/// A holiday as written: a date, or a (month, day) of every year.
enum Holiday {
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
fn calendar_date(text: &str) -> Option<Date> {
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
    fn parse(texts: &[String], path: &str, problems: &mut Vec<Problem>) -> Holidays {
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

    fn is_business_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.contains(date)
    }
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
    Weekdays(Vec<(Weekday, Option<Nth>)>),
    DaysOfMonth(Vec<(DayOfMonth, DayOfMonth)>),
    Dates(Vec<Date>),
    /// Only `on_holidays: only` windows may leave out their days: every holiday.
    Holidays,
}

/// Which of a month's same weekdays: the first to fifth, or the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nth {
    Index(i8),
    Last,
}

impl Nth {
    fn matches(self, date: Date) -> bool {
        match self {
            Nth::Index(n) => (date.day() - 1) / 7 + 1 == n,
            Nth::Last => date.day() + 7 > date.days_in_month(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayOfMonth {
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
    fn resolve(self, date: Date, holidays: &Holidays) -> Option<i8> {
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

/// More windows than this make a profile unreadable and every evaluation slow.
pub const MAX_WINDOWS: usize = 1000;

/// A validated window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    applies: Applies,
    on_holidays: OnHolidays,
    start: Time,
    /// None: midnight at the end of the day.
    end: Option<Time>,
    crosses_midnight: bool,
    pub min_tasks: u32,
    pub max_tasks: Option<u32>,
    pub required: bool,
}

/// A validated profile, ready to give floors.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub name: String,
    pub timezone: TimeZone,
    pub lead_minutes: i64,
    pub lead: LeadMode,
    pub holidays: Holidays,
    pub windows: Vec<Window>,
}

/// The floor at an instant and which windows give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Floor {
    pub min_tasks: u32,
    /// The smallest cap of the windows open now (not ahead: a cap holds only while
    /// its window is open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tasks: Option<u32>,
    /// The largest min_tasks of the required windows among them: no budget holds
    /// MaxCapacity below it.
    #[serde(skip_serializing_if = "is_zero")]
    pub required: u32,
    /// Indexes of the windows open now or within the lead time.
    pub windows: Vec<usize>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Floor {
    pub fn hold(&self) -> crate::prescale::Hold {
        crate::prescale::Hold {
            floor: self.min_tasks,
            cap: self.max_tasks,
            budget_cap: None,
        }
    }
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

/// `mon`, `mon#2` (the second Monday of the month) or `fri#L` (its last Friday).
fn parse_day_of_week(text: &str) -> Option<(Weekday, Option<Nth>)> {
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

fn parse_days_of_month(text: &str) -> Result<Vec<(DayOfMonth, DayOfMonth)>, String> {
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
        let most = crate::config::MAX_TASKS;
        if !(min_tasks.is_finite()
            && min_tasks >= 0.0
            && min_tasks.fract() == 0.0
            && min_tasks <= f64::from(most))
        {
            problem(
                ".min_tasks",
                format!("must be a whole number of tasks, 0 to {most}; got {min_tasks}"),
            );
        }
        if let Some(cap) = self.max_tasks.filter(|cap| *cap > most) {
            problem(
                ".max_tasks",
                format!("must be at most {most} tasks, got {cap}"),
            );
        }
        if let Some(cap) = self.max_tasks
            && f64::from(cap) < min_tasks
        {
            problem(
                ".max_tasks",
                format!("{cap} is below the window's min_tasks {min_tasks}"),
            );
        }
        if problems.len() > before {
            return None;
        }
        let (applies, start, end) = (applies?, start?, end?);
        let crosses_midnight = matches!(end, Some(end) if end <= start);
        Some(Window {
            applies,
            on_holidays: self.on_holidays,
            start,
            end,
            crosses_midnight,
            min_tasks: min_tasks as u32,
            max_tasks: self.max_tasks,
            required: self.required,
        })
    }

    /// Which days: exactly one of weekdays, days of the month and dates.
    fn applies(&self, problem: &mut impl FnMut(&str, String)) -> Option<Applies> {
        let kinds = usize::from(!self.days.is_empty())
            + usize::from(self.days_of_month.is_some())
            + usize::from(!self.dates.is_empty());
        if kinds == 0 && self.on_holidays == OnHolidays::Only {
            return Some(Applies::Holidays);
        }
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
                match parse_day_of_week(day) {
                    Some(weekday) => weekdays.push(weekday),
                    None => problem(
                        &format!(".days[{index}]"),
                        format!(
                            "{day:?} is not a day of the week (mon, tue, wed, thu, fri, sat, \
                             sun; mon#1 to mon#5 for the nth in the month, mon#L for the last)"
                        ),
                    ),
                }
            }
            return Some(Applies::Weekdays(weekdays));
        }
        let mut dates = Vec::new();
        for (index, text) in self.dates.iter().enumerate() {
            match calendar_date(text) {
                Some(date) => dates.push(date),
                None => problem(
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
    fn applies_on(&self, date: Date, holidays: &Holidays) -> bool {
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
    fn open_at(&self, at: Timestamp, tz: &TimeZone, holidays: &Holidays) -> bool {
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
fn skipped_months(open: &[Date]) -> Option<String> {
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
        let holidays = Holidays::parse(&profile.holidays, path, &mut problems);
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
                lead: profile.lead,
                holidays,
                windows: windows.into_iter().flatten().collect(),
            }),
            _ => Err(problems),
        }
    }

    /// What is valid but likely not meant, by path, over the four years from `from`
    /// (every month length and weekday layout, one leap year): a window that never
    /// opens, a day-of-month rule that skips some month of the year (`30-L` in
    /// February), and a start or end inside a daylight-saving gap (the window then opens
    /// or closes at the first valid minute after it; when both fall in it, it does not
    /// open that day).
    pub fn warnings(&self, path: &str, from: Date) -> Vec<Problem> {
        let days: Vec<Date> = (0..4 * 366)
            .map_while(|n| from.checked_add(n.days()).ok())
            .collect();
        let mut warnings = Vec::new();
        for (index, window) in self.windows.iter().enumerate() {
            let at = format!("{path}.windows[{index}]");
            let open: Vec<Date> = days
                .iter()
                .copied()
                .filter(|d| window.applies_on(*d, &self.holidays))
                .collect();
            let (Some(first), Some(last)) = (days.first(), days.last()) else {
                continue;
            };
            if open.is_empty() {
                warnings.push(Problem::new(
                    at,
                    format!("never opens between {first} and {last}"),
                ));
                continue;
            }
            if matches!(window.applies, Applies::DaysOfMonth(_)) {
                warnings.extend(skipped_months(&open).map(|months| {
                    Problem::new(
                        format!("{at}.days_of_month"),
                        format!("never opens in {months}"),
                    )
                }));
            }
            warnings.extend(self.dst_gaps(window, &open, &at));
        }
        warnings
    }

    /// Starts or ends inside a daylight-saving gap on days the window opens.
    fn dst_gaps(&self, window: &Window, open: &[Date], at: &str) -> Vec<Problem> {
        let in_gap = |date: Date, time: Time| {
            let local = date.to_datetime(time);
            matches!(
                self.timezone.to_ambiguous_timestamp(local).offset(),
                AmbiguousOffset::Gap { .. }
            )
        };
        let mut warnings = Vec::new();
        // An end before the start falls on the next day.
        let edges = [
            ("start", Some(window.start), false),
            ("end", window.end, window.crosses_midnight),
        ];
        for (field, time, next_day) in edges {
            let Some(time) = time else { continue };
            let gaps: Vec<Date> = open
                .iter()
                .filter_map(|d| {
                    if next_day {
                        d.tomorrow().ok()
                    } else {
                        Some(*d)
                    }
                })
                .filter(|d| in_gap(*d, time))
                .collect();
            if let Some(first) = gaps.first() {
                warnings.push(Problem::new(
                    format!("{at}.{field}"),
                    format!(
                        "{} does not exist on {first} in {} (daylight saving; {} such day(s) \
                         in four years): the window's {field} moves to the first valid minute \
                         after the gap",
                        time.strftime("%H:%M"),
                        self.timezone.iana_name().unwrap_or("its zone"),
                        gaps.len()
                    ),
                ));
            }
        }
        warnings
    }

    /// The floor at `at` with the profile's `lead_minutes`.
    pub fn floor_at(&self, at: Timestamp) -> Floor {
        self.floor_ahead(at, self.lead_minutes)
    }

    /// The floor at `at`: the largest min_tasks of the windows open at `at + lead`
    /// (capacity ready before the peak) or still open at `at` (held until the end).
    pub fn floor_ahead(&self, at: Timestamp, lead_minutes: i64) -> Floor {
        let ahead = at.checked_add(lead_minutes.minutes()).unwrap_or(at);
        let mut floor = Floor {
            min_tasks: 0,
            max_tasks: None,
            required: 0,
            windows: Vec::new(),
        };
        for (index, window) in self.windows.iter().enumerate() {
            let open_now = window.open_at(at, &self.timezone, &self.holidays);
            if open_now || window.open_at(ahead, &self.timezone, &self.holidays) {
                floor.windows.push(index);
                floor.min_tasks = floor.min_tasks.max(window.min_tasks);
                if window.required {
                    floor.required = floor.required.max(window.min_tasks);
                }
            }
            // A cap holds only while its window is open, never ahead of it.
            if open_now && let Some(cap) = window.max_tasks {
                floor.max_tasks = Some(floor.max_tasks.map_or(cap, |c| c.min(cap)));
            }
        }
        floor
    }

    /// The instants in [from, from + hours) at which the floor changes (raised ahead
    /// by `lead_minutes`), with the new floor, checked minute by minute: what
    /// `sluicectl plan` prints.
    pub fn changes(
        &self,
        from: Timestamp,
        hours: u32,
        lead_minutes: i64,
    ) -> Vec<(Timestamp, Floor)> {
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
            let floor = self.floor_ahead(at, lead_minutes);
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
        Schedule {
            lead_minutes: i64::from(lead_minutes),
            ..with_holidays(timezone, &[], windows)
        }
    }

    fn with_holidays(timezone: &str, holidays: &[&str], windows: Vec<WindowSpec>) -> Schedule {
        let profile = Profile {
            name: "p".into(),
            timezone: timezone.into(),
            lead_minutes: 0,
            lead: LeadMode::Fixed,
            holidays: holidays.iter().map(|d| (*d).to_owned()).collect(),
            calendars: Vec::new(),
            windows,
        };
        Schedule::compile(&profile, "profile").expect("valid profile")
    }

    /// The floor at a local time of the schedule's zone (first occurrence if repeated).
    fn floor(schedule: &Schedule, local: &str) -> u32 {
        floor_at_local(schedule, local).min_tasks
    }

    fn floor_at_local(schedule: &Schedule, local: &str) -> Floor {
        let local: DateTime = local.parse().expect("local datetime");
        let at = schedule
            .timezone
            .to_ambiguous_timestamp(local)
            .earlier()
            .expect("instant");
        schedule.floor_at(at)
    }

    fn at_utc(schedule: &Schedule, utc: &str) -> u32 {
        schedule.floor_at(utc.parse().expect("timestamp")).min_tasks
    }

    /// Every date of 2024-2031: two leap years, every month length, every weekday
    /// layout of a month.
    fn eight_years() -> impl Iterator<Item = Date> {
        let first = jiff::civil::date(2024, 1, 1);
        (0..)
            .map_while(move |n| first.checked_add(n.days()).ok())
            .take_while(|d| d.year() < 2032)
    }

    fn compiled(spec: WindowSpec) -> Window {
        let mut problems = Vec::new();
        let window = spec.compile("w", &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        window.expect("valid window")
    }

    /// The nth business day of `date`'s month, counted the slow way.
    fn business_days_of(date: Date, holidays: &Holidays) -> Vec<i8> {
        (1..=date.days_in_month())
            .filter(|day| {
                let d = jiff::civil::date(date.year(), date.month(), *day);
                !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !holidays.contains(d)
            })
            .collect()
    }

    #[test]
    fn day_rules_match_their_definition_on_every_date_of_eight_years() {
        let mut problems = Vec::new();
        let holidays = Holidays::parse(
            &["01-01".into(), "12-25".into(), "2027-05-03".into()],
            "p",
            &mut problems,
        );
        assert!(problems.is_empty());
        type Oracle = fn(Date, &[i8]) -> bool;
        let rules: [(&str, Oracle); 8] = [
            ("L-2", |d, _| d.day() == d.days_in_month() - 2),
            ("25-L-2", |d, _| {
                d.day() >= 25 && d.day() <= d.days_in_month() - 2
            }),
            ("L-3-L", |d, _| d.day() >= d.days_in_month() - 3),
            ("30-L", |d, _| d.day() >= 30),
            ("BD3", |d, bd| bd.get(2) == Some(&d.day())),
            ("BDL", |d, bd| bd.last() == Some(&d.day())),
            ("BDL-1", |d, bd| bd.len() > 1 && bd[bd.len() - 2] == d.day()),
            ("1,BD1", |d, bd| {
                d.day() == 1 || bd.first() == Some(&d.day())
            }),
        ];
        for (rule, oracle) in rules {
            let window = compiled(WindowSpec {
                on_holidays: OnHolidays::Also,
                ..month(rule, 1.0)
            });
            for date in eight_years() {
                let expected = oracle(date, &business_days_of(date, &holidays));
                assert_eq!(
                    window.applies_on(date, &holidays),
                    expected,
                    "{rule} on {date}"
                );
            }
        }
        let weekly: [(&str, Oracle); 3] = [
            ("mon#1", |d, _| {
                d.weekday() == Weekday::Monday && d.day() <= 7
            }),
            ("wed#3", |d, _| {
                d.weekday() == Weekday::Wednesday && (15..=21).contains(&d.day())
            }),
            ("fri#L", |d, _| {
                d.weekday() == Weekday::Friday && d.day() + 7 > d.days_in_month()
            }),
        ];
        for (rule, oracle) in weekly {
            let window = compiled(window(&[rule], "08:00", "09:00", 1.0));
            for date in eight_years() {
                let expected = oracle(date, &[]);
                assert_eq!(
                    window.applies_on(date, &Holidays::default()),
                    expected,
                    "{rule} on {date}"
                );
            }
        }
    }

    #[test]
    fn day_rules_on_known_dates() {
        let holidays = with_holidays("UTC", &["01-01", "2026-12-24"], vec![]).holidays;
        let cases = [
            ("L-2", "2024-02-27", true),
            ("L-2", "2025-02-26", true),
            ("L-2", "2025-02-27", false),
            ("BDL", "2026-11-30", true),
            ("BDL", "2026-05-29", true),
            ("BD1", "2027-01-04", true),
            ("BD1", "2027-01-01", false),
            ("BD3", "2026-12-03", true),
            ("BDL-1", "2026-12-30", true),
            ("30-L", "2028-02-29", false),
        ];
        for (rule, date, expected) in cases {
            let window = compiled(WindowSpec {
                on_holidays: OnHolidays::Also,
                ..month(rule, 1.0)
            });
            let date: Date = date.parse().expect("date");
            assert_eq!(
                window.applies_on(date, &holidays),
                expected,
                "{rule} on {date}"
            );
        }
        let last_friday = compiled(window(&["fri#L"], "08:00", "09:00", 1.0));
        let fridays = ["2026-02-27", "2026-07-31", "2027-12-31"];
        for date in fridays {
            let date: Date = date.parse().expect("date");
            assert!(last_friday.applies_on(date, &Holidays::default()), "{date}");
        }
    }

    /// Issue 23 item 10: jiff reads "2026-12-24T10:00+01:00" as a date and drops the
    /// rest; a profile's dates are days, written exactly so.
    #[test]
    fn a_date_is_a_day_written_yyyy_mm_dd() {
        for good in ["2026-12-24", "12-24", "02-29", "2028-02-29"] {
            assert_eq!(parse_holiday(good), Ok(()), "{good}");
        }
        for bad in [
            "2026-12-24T10:00:00+01:00",
            "2026-12-24T10:00",
            "2026-12-24 ",
            "12-24T10",
            "2026-02-30",
            "2026-2-3",
            "+02026-12-24",
        ] {
            assert!(parse_holiday(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn holidays_close_windows_or_open_their_own() {
        let workdays = window(&["mon", "tue", "wed", "thu", "fri"], "08:00", "18:00", 4.0);
        let holiday = WindowSpec {
            start: Some("10:00".into()),
            end: Some("14:00".into()),
            on_holidays: OnHolidays::Only,
            ..dates(&[], 1.0)
        };
        let month_end = WindowSpec {
            on_holidays: OnHolidays::Also,
            ..month("L", 2.0)
        };
        let schedule = with_holidays(
            "Europe/Berlin",
            &["12-24", "12-31", "2026-12-28"],
            vec![workdays, holiday, month_end],
        );
        // Thursday 24 December 2026, a yearly holiday: only its own window.
        assert_eq!(floor(&schedule, "2026-12-24T09:00"), 0);
        assert_eq!(floor(&schedule, "2026-12-24T11:00"), 1);
        // Monday 28 December 2026, a dated holiday; Tuesday 29th a workday again.
        assert_eq!(floor(&schedule, "2026-12-28T09:00"), 0);
        assert_eq!(floor(&schedule, "2026-12-29T09:00"), 4);
        // Thursday 31 December: a holiday, and the month's last day, whose window
        // opens on holidays too.
        assert_eq!(floor(&schedule, "2026-12-31T09:00"), 2);
        assert_eq!(floor(&schedule, "2026-12-31T11:00"), 2);
    }

    #[test]
    fn nth_weekday_windows_in_a_dst_gap_open_at_the_first_valid_minute() {
        // Berlin springs forward on the last Sunday of March (2026-03-29, 02:00 CET ->
        // 03:00 CEST, 01:00Z); Sydney on the first Sunday of October (2026-10-04,
        // 02:00 AEST -> 03:00 AEDT, 16:00Z the day before).
        let berlin = schedule(
            "Europe/Berlin",
            0,
            vec![window(&["sun#L"], "02:30", "03:30", 3.0)],
        );
        assert_eq!(at_utc(&berlin, "2026-03-29T00:59:00Z"), 0);
        assert_eq!(at_utc(&berlin, "2026-03-29T01:00:00Z"), 3);
        assert_eq!(at_utc(&berlin, "2026-03-29T01:29:00Z"), 3);
        assert_eq!(at_utc(&berlin, "2026-03-29T01:30:00Z"), 0);
        assert_eq!(
            at_utc(&berlin, "2026-03-22T01:45:00Z"),
            0,
            "not the last Sunday"
        );
        let sydney = schedule(
            "Australia/Sydney",
            0,
            vec![window(&["sun#1"], "02:15", "05:00", 2.0)],
        );
        assert_eq!(at_utc(&sydney, "2026-10-03T15:59:00Z"), 0);
        assert_eq!(at_utc(&sydney, "2026-10-03T16:00:00Z"), 2);
        assert_eq!(at_utc(&sydney, "2026-10-03T17:59:00Z"), 2);
        assert_eq!(at_utc(&sydney, "2026-10-03T18:00:00Z"), 0);
        // Autumn in Sydney (first Sunday of April, 03:00 AEDT -> 02:00 AEST): the
        // repeated hour opens the window once, at its first occurrence.
        let autumn = schedule(
            "Australia/Sydney",
            0,
            vec![window(&["sun#1"], "02:30", "04:00", 2.0)],
        );
        let opened: Vec<_> = autumn
            .changes("2026-04-04T14:00:00Z".parse().expect("ts"), 6, 0)
            .into_iter()
            .filter(|(_, f)| f.min_tasks == 2)
            .collect();
        assert_eq!(opened.len(), 1, "{opened:?}");
        assert_eq!(opened[0].0.to_string(), "2026-04-04T15:30:00Z");
    }

    #[test]
    fn warnings_name_rules_that_never_open_and_edges_in_a_dst_gap() {
        let schedule = schedule(
            "Europe/Berlin",
            0,
            vec![
                month("30-L", 1.0),
                month("31", 1.0),
                month("1,L", 1.0),
                dates(&["2026-03-29"], 1.0),
                window(&["sun#L"], "02:30", "04:00", 1.0),
                window(&["sat#L"], "23:00", "02:30", 1.0),
                window(&["mon#1"], "02:30", "04:00", 1.0),
            ],
        );
        let warnings: Vec<String> = schedule
            .warnings("p", jiff::civil::date(2026, 11, 24))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            warnings,
            [
                "p.windows[0].days_of_month: never opens in February",
                "p.windows[1].days_of_month: never opens in February, April, June, September, November",
                "p.windows[3]: never opens between 2026-11-24 and 2030-11-26",
                "p.windows[4].start: 02:30 does not exist on 2027-03-28 in Europe/Berlin (daylight saving; 4 such day(s) in four years): the window's start moves to the first valid minute after the gap",
                // The last Saturday of March is not always the eve of the change.
                "p.windows[5].end: 02:30 does not exist on 2027-03-28 in Europe/Berlin (daylight saving; 3 such day(s) in four years): the window's end moves to the first valid minute after the gap",
            ]
        );
    }

    #[test]
    fn a_cap_holds_only_while_its_window_is_open() {
        let night = WindowSpec {
            max_tasks: Some(2),
            ..window(&["mon"], "22:00", "06:00", 0.0)
        };
        let tight = WindowSpec {
            max_tasks: Some(1),
            ..window(&["mon"], "23:00", "23:30", 1.0)
        };
        let schedule = schedule("Europe/Berlin", 60, vec![night, tight]);
        let cap = |local: &str| floor_at_local(&schedule, local).max_tasks;
        assert_eq!(cap("2026-11-30T21:30"), None, "not ahead: a cap is no lead");
        assert_eq!(cap("2026-11-30T22:00"), Some(2));
        assert_eq!(cap("2026-11-30T23:10"), Some(1), "the smallest open cap");
        assert_eq!(cap("2026-12-01T05:59"), Some(2), "across midnight");
        assert_eq!(cap("2026-12-01T06:00"), None, "given back");
        let mut problems = Vec::new();
        let below = WindowSpec {
            max_tasks: Some(2),
            ..month("L", 3.0)
        };
        assert!(below.compile("w", &mut problems).is_none());
        assert_eq!(
            problems[0].to_string(),
            "w.max_tasks: 2 is below the window's min_tasks 3"
        );
    }

    #[test]
    fn every_problem_is_named_by_path() {
        let profile = Profile {
            name: "p".into(),
            timezone: "Europe/Atlantis".into(),
            lead_minutes: 10,
            lead: LeadMode::Fixed,
            holidays: vec!["2026-12-24".into(), "12-31".into(), "13-01".into()],
            calendars: Vec::new(),
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
                window(&["mon#6"], "08:00", "09:00", 1.0),
                month("BD1-BD3", 1.0),
                month("BD0", 1.0),
                month("L-2-L-5", 1.0),
                month("L-31", 1.0),
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
                "profiles[0].holidays[2]: \"13-01\" is not a date YYYY-MM-DD or a yearly MM-DD",
                "profiles[0].windows[0].start: \"25:00\" is not a time of day HH:MM (00:00 to 23:59)",
                "profiles[0].windows[1].end: must differ from start: an empty window never opens",
                "profiles[0].windows[2].days[0]: \"funday\" is not a day of the week (mon, tue, wed, thu, fri, sat, sun; mon#1 to mon#5 for the nth in the month, mon#L for the last)",
                "profiles[0].windows[2].min_tasks: must be a whole number of tasks, 0 to 100000; got -1",
                "profiles[0].windows[3].min_tasks: must be a whole number of tasks, 0 to 100000; got 2.5",
                "profiles[0].windows[4].days_of_month: \"31-30\" cannot occur: the range ends before it starts",
                "profiles[0].windows[5].days_of_month: \"0\" is not a day of the month (1-31, L, L-n, BDn for the nth business day, BDL or BDL-n)",
                "profiles[0].windows[6]: give exactly one of days, days_of_month and dates",
                "profiles[0].windows[7].dates[0]: \"2026-02-30\" is not a date YYYY-MM-DD",
                "profiles[0].windows[8].days[0]: \"mon#6\" is not a day of the week (mon, tue, wed, thu, fri, sat, sun; mon#1 to mon#5 for the nth in the month, mon#L for the last)",
                "profiles[0].windows[9].days_of_month: \"BD1-BD3\": a business day is a single day; list them (BD1,BD2,BD3)",
                "profiles[0].windows[10].days_of_month: \"BD0\" is not a day of the month (1-31, L, L-n, BDn for the nth business day, BDL or BDL-n)",
                "profiles[0].windows[11].days_of_month: \"L-2-L-5\" cannot occur: the range ends before it starts",
                "profiles[0].windows[12].days_of_month: \"L-31\" is not a day of the month (1-31, L, L-n, BDn for the nth business day, BDL or BDL-n)",
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
        let changes = s.changes("2026-11-30T00:00:00Z".parse().unwrap(), 24, s.lead_minutes);
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
        let changes = new_york.changes(
            "2026-11-01T00:00:00Z".parse().unwrap(),
            24,
            new_york.lead_minutes,
        );
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
                lead: LeadMode::Fixed,
                holidays: Vec::new(),
                calendars: Vec::new(),
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
