//! Learning a capacity profile from a target's own history: for each weekday and
//! hour, the task count that would have kept backlog per task at the target's goal,
//! taken at a high quantile so that most of the past peaks would have been covered.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;

use crate::profile::WindowSpec;

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
        let tz = crate::tz::get("Europe/Berlin").unwrap();
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
}
