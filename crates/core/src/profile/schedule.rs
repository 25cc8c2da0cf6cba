//! A compiled profile: the floor (and cap) it gives at an instant, its warnings and
//! the changes it plans over a span of time.

use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use super::days::Applies;
use super::holidays::Holidays;
use super::spec::{LeadMode, Profile};
use super::window::{MAX_WINDOWS, Window, skipped_months};
use crate::problem::{Problem, Problems, name_problem};

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

/// Profiles are checked by compiling them: here, where the compiler is.
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
