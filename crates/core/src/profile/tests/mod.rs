//! Helpers shared by the profile tests.

use jiff::ToSpan;
use jiff::civil::{Date, DateTime, Weekday};

use super::*;

mod days;
mod floors;

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

fn dates(dates: &[&str], min_tasks: f64) -> WindowSpec {
    WindowSpec {
        dates: dates.iter().map(|d| (*d).to_owned()).collect(),
        min_tasks,
        ..WindowSpec::default()
    }
}
