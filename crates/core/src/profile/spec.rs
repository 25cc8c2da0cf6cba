//! A profile as written: its windows, lead and holidays, checked and compiled into a
//! [`Schedule`](super::Schedule).

use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use super::days::{Applies, parse_day_of_week, parse_days_of_month, parse_time};
use super::holidays::{OnHolidays, calendar_date};
use super::window::Window;
use crate::problem::Problem;

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
    /// A profile with a fixed lead, no holidays and no calendars: the common case.
    pub fn new(
        name: impl Into<String>,
        timezone: impl Into<String>,
        lead_minutes: u32,
        windows: Vec<WindowSpec>,
    ) -> Self {
        Profile {
            name: name.into(),
            timezone: timezone.into(),
            lead_minutes,
            lead: LeadMode::Fixed,
            holidays: Vec::new(),
            calendars: Vec::new(),
            windows,
        }
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

/// Writes `4`, not `4.0`, for whole counts.
fn whole_if_possible<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && *value >= 0.0 && *value <= f64::from(u32::MAX) {
        serializer.serialize_u32(*value as u32)
    } else {
        serializer.serialize_f64(*value)
    }
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
        let most = crate::limits::MAX_TASKS;
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
