//! Learning a capacity profile from a target's own history: for each weekday and
//! hour, the task count that would have kept backlog per task at the target's goal,
//! taken at a high quantile so that most of the past peaks would have been covered.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;

use sluice_core::profile::{Schedule, WindowSpec};

/// One moment of history: running tasks and backlog per task (as published, with
/// zero running counted as one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub at: i64,
    pub running: f64,
    pub backlog_per_task: f64,
}

/// Tasks that would have held backlog per task at `goal` in this sample.
pub fn needed(sample: &Sample, goal: f64) -> u32 {
    let backlog = sample.backlog_per_task * sample.running.max(1.0);
    let tasks = (backlog / goal).ceil();
    if tasks.is_finite() && tasks > 0.0 {
        tasks.min(f64::from(u32::MAX)) as u32
    } else {
        0
    }
}

/// The `quantile` (0-1, nearest rank) of the values.
fn quantile(values: &mut [u32], quantile: f64) -> u32 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = (quantile * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "mon"),
    (Weekday::Tuesday, "tue"),
    (Weekday::Wednesday, "wed"),
    (Weekday::Thursday, "thu"),
    (Weekday::Friday, "fri"),
    (Weekday::Saturday, "sat"),
    (Weekday::Sunday, "sun"),
];

/// Windows for a profile in `tz`: per weekday, runs of hours with the same need above
/// zero become one window; identical windows on several days become one window.
pub fn learn(
    samples: &[Sample],
    goal: f64,
    tz: &TimeZone,
    q: f64,
    max_tasks: u32,
) -> Vec<WindowSpec> {
    let mut needs: BTreeMap<(usize, i8), Vec<u32>> = BTreeMap::new();
    for sample in samples {
        let Ok(at) = Timestamp::from_second(sample.at) else {
            continue;
        };
        let local = tz.to_datetime(at);
        let day = DAYS
            .iter()
            .position(|(d, _)| *d == local.weekday())
            .unwrap_or(0);
        needs
            .entry((day, local.hour()))
            .or_default()
            .push(needed(sample, goal).min(max_tasks));
    }
    let hourly: BTreeMap<(usize, i8), u32> = needs
        .into_iter()
        .map(|(key, mut values)| (key, quantile(&mut values, q)))
        .collect();

    // (start hour, end hour, tasks) -> days
    let mut windows: BTreeMap<(i8, i8, u32), Vec<usize>> = BTreeMap::new();
    for day in 0..7 {
        let mut hour = 0;
        while hour < 24 {
            let tasks = hourly.get(&(day, hour)).copied().unwrap_or(0);
            if tasks == 0 {
                hour += 1;
                continue;
            }
            let start = hour;
            while hour < 24 && hourly.get(&(day, hour)).copied().unwrap_or(0) == tasks {
                hour += 1;
            }
            windows.entry((start, hour, tasks)).or_default().push(day);
        }
    }
    let mut specs: Vec<(Vec<usize>, WindowSpec)> = windows
        .into_iter()
        .map(|((start, end, tasks), days)| {
            let spec = WindowSpec {
                days: days.iter().map(|d| DAYS[*d].1.to_owned()).collect(),
                start: Some(format!("{start:02}:00")),
                end: Some(format!("{end:02}:00")),
                min_tasks: f64::from(tasks),
                ..WindowSpec::default()
            };
            (days, spec)
        })
        .collect();
    specs.sort_by(|(a, sa), (b, sb)| a.cmp(b).then(sa.start.cmp(&sb.start)));
    specs.into_iter().map(|(_, spec)| spec).collect()
}

/// How a profile's floors compared with what the history needed, for one window (or
/// the time no window was open): task-hours the floor held above the need (paid for,
/// idle) and below it (left to reactive scaling, which arrives late).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WindowScore {
    /// The window's index, None for the time outside every window.
    pub window: Option<usize>,
    pub hours: f64,
    pub over_task_hours: f64,
    pub under_task_hours: f64,
    /// The largest need seen while it gave the floor.
    pub peak_need: u32,
}

/// Each sample (`step_seconds` apart) charged to the window that gave its floor (the
/// first open window with the largest min_tasks), or to "no window" with
/// `baseline` (the target's `capacity.min`) as the floor.
pub fn score(
    samples: &[Sample],
    schedule: &Schedule,
    goal: f64,
    baseline: u32,
    step_seconds: i64,
) -> Vec<WindowScore> {
    let mut rows: BTreeMap<Option<usize>, WindowScore> = BTreeMap::new();
    let hours = step_seconds as f64 / 3600.0;
    for sample in samples {
        let Ok(at) = Timestamp::from_second(sample.at) else {
            continue;
        };
        let floor = schedule.floor_ahead(at, 0);
        let giver = floor.windows.iter().copied().find(|i| {
            schedule
                .windows
                .get(*i)
                .is_some_and(|w| w.min_tasks == floor.min_tasks)
        });
        let held = f64::from(floor.min_tasks.max(baseline));
        let need = needed(sample, goal);
        let row = rows.entry(giver).or_insert_with(|| WindowScore {
            window: giver,
            ..WindowScore::default()
        });
        row.hours += hours;
        row.over_task_hours += (held - f64::from(need)).max(0.0) * hours;
        row.under_task_hours += (f64::from(need) - held).max(0.0) * hours;
        row.peak_need = row.peak_need.max(need);
    }
    rows.into_values().collect()
}

/// The month's edge days a day-of-month window may name: the first five and the last
/// five (`L-4` to `L`), where month-end and month-start peaks live.
const EDGE_DAYS: [&str; 10] = ["1", "2", "3", "4", "5", "L-4", "L-3", "L-2", "L-1", "L"];

fn edge_day(date: Date) -> Option<usize> {
    let day = date.day();
    let from_end = date.days_in_month() - day;
    match (day, from_end) {
        (1..=5, _) => Some(day as usize - 1),
        (_, 0..=4) => Some(9 - from_end as usize),
        _ => None,
    }
}

/// What one edge day's hour saw: the needs, on which dates, and the most the weekly
/// windows gave then.
#[derive(Default)]
struct EdgeHour {
    needs: Vec<u32>,
    dates: Vec<Date>,
    weekly_floor: u32,
}

/// A proposed window and the history behind it, in one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    pub window: WindowSpec,
    pub because: String,
}

/// Day-of-month windows on the month's edge days (`1`-`5`, `L-4`-`L`): for each edge day
/// and hour seen in at least two months, the `q` quantile of the need, where it is above
/// what the weekly `windows` already give. Runs of hours and then of adjacent edge days
/// with the same need become one window, explained by the dates behind it.
pub fn learn_month_edges(
    samples: &[Sample],
    goal: f64,
    tz: &TimeZone,
    q: f64,
    max_tasks: u32,
    weekly: &Schedule,
) -> Vec<Explained> {
    let needs = edge_needs(samples, goal, tz, max_tasks, weekly);
    // (edge day, hour) -> tasks, where the edge day needs more than the weekly floor.
    let mut above: BTreeMap<(usize, i8), u32> = BTreeMap::new();
    let mut dates: BTreeMap<usize, Vec<Date>> = BTreeMap::new();
    for ((edge, hour), mut seen) in needs {
        let tasks = quantile(&mut seen.needs, q);
        if months(&seen.dates) >= 2 && tasks > seen.weekly_floor {
            above.insert((edge, hour), tasks);
            dates.entry(edge).or_default().extend(seen.dates);
        }
    }
    hour_runs(&above)
        .into_iter()
        .map(|((start, end, tasks), edges)| {
            let mut behind: Vec<Date> = edges.iter().flat_map(|e| dates[e].clone()).collect();
            behind.sort_unstable();
            behind.dedup();
            explain_run(start, end, tasks, &edges, &behind, q)
        })
        .collect()
}

/// The needs seen on each (edge day, hour), with their dates and the weekly floor
/// then.
fn edge_needs(
    samples: &[Sample],
    goal: f64,
    tz: &TimeZone,
    max_tasks: u32,
    weekly: &Schedule,
) -> BTreeMap<(usize, i8), EdgeHour> {
    let mut needs: BTreeMap<(usize, i8), EdgeHour> = BTreeMap::new();
    for sample in samples {
        let Ok(at) = Timestamp::from_second(sample.at) else {
            continue;
        };
        let local = tz.to_datetime(at);
        let Some(edge) = edge_day(local.date()) else {
            continue;
        };
        let entry = needs.entry((edge, local.hour())).or_default();
        entry.needs.push(needed(sample, goal).min(max_tasks));
        if !entry.dates.contains(&local.date()) {
            entry.dates.push(local.date());
        }
        entry.weekly_floor = entry.weekly_floor.max(weekly.floor_ahead(at, 0).min_tasks);
    }
    needs
}

/// The months the dates fall in.
fn months(dates: &[Date]) -> usize {
    let mut seen: Vec<(i16, i8)> = dates.iter().map(|d| (d.year(), d.month())).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// Per edge day, runs of hours with one need: (start, end, tasks) -> edge days.
fn hour_runs(above: &BTreeMap<(usize, i8), u32>) -> BTreeMap<(i8, i8, u32), Vec<usize>> {
    let mut runs: BTreeMap<(i8, i8, u32), Vec<usize>> = BTreeMap::new();
    for edge in 0..EDGE_DAYS.len() {
        let mut hour = 0;
        while hour < 24 {
            let Some(&tasks) = above.get(&(edge, hour)) else {
                hour += 1;
                continue;
            };
            let start = hour;
            while hour < 24 && above.get(&(edge, hour)) == Some(&tasks) {
                hour += 1;
            }
            runs.entry((start, hour, tasks)).or_default().push(edge);
        }
    }
    runs
}

/// One run as a day-of-month window, explained by the dates behind it.
fn explain_run(
    start: i8,
    end: i8,
    tasks: u32,
    edges: &[usize],
    behind: &[Date],
    q: f64,
) -> Explained {
    let days: Vec<&str> = edges.iter().map(|e| EDGE_DAYS[*e]).collect();
    let shown: Vec<String> = behind.iter().take(6).map(ToString::to_string).collect();
    Explained {
        window: WindowSpec {
            days_of_month: Some(days.join(",")),
            start: Some(format!("{start:02}:00")),
            end: Some(format!("{end:02}:00")),
            min_tasks: f64::from(tasks),
            ..WindowSpec::default()
        },
        because: format!(
            "the {q} quantile of the need on {} dates in {} months ({}{}) was {tasks}, \
             above what the weekday windows give then",
            behind.len(),
            months(behind),
            shown.join(", "),
            if behind.len() > 6 { ", ..." } else { "" },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn need_is_backlog_over_goal_rounded_up() {
        let sample = |running, backlog_per_task| Sample {
            at: 0,
            running,
            backlog_per_task,
        };
        assert_eq!(needed(&sample(2.0, 100.0), 50.0), 4);
        assert_eq!(
            needed(&sample(0.0, 30.0), 50.0),
            1,
            "zero running counted as one, as published"
        );
        assert_eq!(needed(&sample(3.0, 0.0), 50.0), 0);
        assert_eq!(needed(&sample(1.0, 51.0), 50.0), 2);
    }

    #[test]
    fn quantile_is_nearest_rank() {
        assert_eq!(quantile(&mut [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9);
        assert_eq!(quantile(&mut [5], 0.9), 5);
        assert_eq!(quantile(&mut [], 0.9), 0);
    }

    #[test]
    fn business_hours_history_becomes_one_weekday_window() {
        let tz = sluice_core::tz::get("Europe/Berlin").unwrap();
        // Two weeks of 5-minute datapoints from Monday 2026-11-16 00:00 in Berlin.
        let monday: jiff::civil::DateTime = "2026-11-16T00:00".parse().unwrap();
        let start = tz
            .to_ambiguous_timestamp(monday)
            .earlier()
            .unwrap()
            .as_second();
        let mut samples = Vec::new();
        for step in 0..14 * 24 * 12 {
            let at = start + step * 300;
            let local = tz.to_datetime(Timestamp::from_second(at).unwrap());
            let weekday = !matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday);
            let busy = weekday && (8..18).contains(&local.hour());
            // One 5-minute spike at 03:00 stays below the 0.9 quantile of its hour.
            let spike = step == 3 * 12;
            samples.push(Sample {
                at,
                running: 2.0,
                backlog_per_task: if busy {
                    100.0
                } else if spike {
                    500.0
                } else {
                    0.0
                },
            });
        }
        let windows = learn(&samples, 50.0, &tz, 0.9, 20);
        assert_eq!(windows.len(), 1, "{windows:?}");
        assert_eq!(windows[0].days, vec!["mon", "tue", "wed", "thu", "fri"]);
        assert_eq!(
            (
                windows[0].start.as_deref(),
                windows[0].end.as_deref(),
                windows[0].min_tasks
            ),
            (Some("08:00"), Some("18:00"), 4.0)
        );
    }

    /// Hourly samples from `from` (Berlin, local) for `days`, the need given by
    /// `need(local)` at a goal of 10 with one task running.
    fn history(from: &str, days: i64, need: impl Fn(jiff::civil::DateTime) -> f64) -> Vec<Sample> {
        let tz = sluice_core::tz::get("Europe/Berlin").unwrap();
        let start: jiff::civil::DateTime = from.parse().unwrap();
        let start = tz
            .to_ambiguous_timestamp(start)
            .earlier()
            .unwrap()
            .as_second();
        (0..days * 24)
            .map(|h| {
                let at = start + h * 3600;
                let local = tz.to_datetime(Timestamp::from_second(at).unwrap());
                Sample {
                    at,
                    running: 1.0,
                    backlog_per_task: need(local) * 10.0,
                }
            })
            .collect()
    }

    fn weekdays_9_to_17(local: jiff::civil::DateTime) -> bool {
        !matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday)
            && (9..17).contains(&local.hour())
    }

    fn profile(windows: Vec<WindowSpec>) -> Schedule {
        let profile = sluice_core::profile::Profile::new("p", "Europe/Berlin", 0, windows);
        Schedule::compile(&profile, "p").unwrap()
    }

    #[test]
    fn score_charges_over_and_under_provisioning_to_the_window_that_gave_the_floor() {
        // Weekdays 09-17 need 4; the profile holds 6 from 08 to 18: 2 over for 8 h a
        // day and 6 over for the two hours around, nothing under.
        let samples = history("2026-11-16T00:00", 7, |l| {
            if weekdays_9_to_17(l) { 4.0 } else { 0.0 }
        });
        let schedule = profile(vec![WindowSpec {
            days: ["mon", "tue", "wed", "thu", "fri"]
                .map(String::from)
                .to_vec(),
            start: Some("08:00".into()),
            end: Some("18:00".into()),
            min_tasks: 6.0,
            ..WindowSpec::default()
        }]);
        let rows = score(&samples, &schedule, 10.0, 0, 3600);
        let window = rows.iter().find(|r| r.window == Some(0)).unwrap();
        assert_eq!(window.hours, 50.0);
        assert_eq!(window.over_task_hours, 5.0 * (8.0 * 2.0 + 2.0 * 6.0));
        assert_eq!((window.under_task_hours, window.peak_need), (0.0, 4));
        let outside = rows.iter().find(|r| r.window.is_none()).unwrap();
        assert_eq!(
            (outside.hours, outside.over_task_hours),
            (168.0 - 50.0, 0.0)
        );
    }

    #[test]
    fn month_end_peaks_become_day_of_month_windows_with_their_dates() {
        // Three months: weekdays 09-17 need 4; the last two days of each month 09-17
        // need 8 whatever the weekday.
        let samples = history("2026-09-01T00:00", 91, |l| {
            let last_two = l.date().days_in_month() - l.day() < 2;
            if last_two && (9..17).contains(&l.hour()) {
                8.0
            } else if weekdays_9_to_17(l) {
                4.0
            } else {
                0.0
            }
        });
        let tz = sluice_core::tz::get("Europe/Berlin").unwrap();
        let weekly = learn(&samples, 10.0, &tz, 0.9, 20);
        let edges = learn_month_edges(&samples, 10.0, &tz, 0.9, 20, &profile(weekly.clone()));
        assert_eq!(edges.len(), 1, "{edges:#?}");
        let window = &edges[0].window;
        assert_eq!(window.days_of_month.as_deref(), Some("L-1,L"));
        assert_eq!(
            (
                window.start.as_deref(),
                window.end.as_deref(),
                window.min_tasks
            ),
            (Some("09:00"), Some("17:00"), 8.0)
        );
        assert!(
            edges[0]
                .because
                .contains("on 6 dates in 3 months (2026-09-29, 2026-09-30, 2026-10-30"),
            "{}",
            edges[0].because
        );
    }
}
