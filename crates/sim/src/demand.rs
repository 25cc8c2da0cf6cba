//! Demand for a simulation: messages arriving per minute, from a built-in generator
//! (seeded, so a run is reproducible), from a CSV trace, or derived from the metrics
//! the publisher already wrote.

use jiff::Timestamp;
use rand::SeedableRng;
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

use sluice_core::profile::{Profile, Schedule, WindowSpec};

/// A demand generator, as a scenario file names it. Rates are messages per minute;
/// each minute's arrivals are drawn from a Poisson distribution around the rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DemandSpec {
    /// The same rate all the time.
    Steady { rate: f64 },
    /// `base`, then `peak` from `at_minute` on.
    Step {
        base: f64,
        peak: f64,
        at_minute: u32,
    },
    /// `base`, `peak` for `minutes` from `at_minute`, then `base` again.
    Surge {
        base: f64,
        peak: f64,
        at_minute: u32,
        minutes: u32,
    },
    /// From `from` to `to` linearly over `minutes`, starting at `at_minute`.
    Ramp {
        from: f64,
        to: f64,
        #[serde(default)]
        at_minute: u32,
        minutes: u32,
    },
    /// A daily wave in `timezone`: `peak` at `peak_hour`, `base` twelve hours away.
    Diurnal {
        base: f64,
        peak: f64,
        peak_hour: u32,
        #[serde(default = "utc")]
        timezone: String,
    },
    /// `peak` on `days` between `start` and `end` (local times in `timezone`), else
    /// `base`: office hours.
    Weekly {
        base: f64,
        peak: f64,
        days: Vec<String>,
        start: String,
        end: String,
        #[serde(default = "utc")]
        timezone: String,
    },
    /// `peak` on `days_of_month` (e.g. `28-L`), else `base`: month-end batch work.
    MonthEnd {
        base: f64,
        peak: f64,
        days_of_month: String,
        #[serde(default = "utc")]
        timezone: String,
    },
    /// Nothing, then a job of `size` messages every `every_minutes` on average
    /// (arrival times drawn from the seed), each job arriving over `spread_minutes`.
    Bursty {
        size: u32,
        every_minutes: u32,
        #[serde(default = "one")]
        spread_minutes: u32,
    },
}

fn utc() -> String {
    "UTC".to_owned()
}

fn one() -> u32 {
    1
}

/// Arrivals per minute for `minutes` from `start`, drawn with `seed`; an error names
/// what in the spec cannot be used (an unknown zone, an impossible window, a
/// negative rate).
pub fn generate(
    spec: &DemandSpec,
    start: Timestamp,
    minutes: u32,
    seed: u64,
) -> Result<Vec<u32>, String> {
    let mut rng = Pcg64::seed_from_u64(seed);
    if let DemandSpec::Bursty {
        size,
        every_minutes,
        spread_minutes,
    } = spec
    {
        return Ok(bursty(
            *size,
            *every_minutes,
            *spread_minutes,
            minutes,
            &mut rng,
        ));
    }
    let rate = rate_function(spec)?;
    let mut arrivals = Vec::with_capacity(minutes as usize);
    for minute in 0..minutes {
        let at = start
            .checked_add(jiff::SignedDuration::from_mins(i64::from(minute)))
            .map_err(|e| e.to_string())?;
        arrivals.push(poisson(rate(minute, at)?, &mut rng));
    }
    Ok(arrivals)
}

/// One minute's rate as a function of the minute and the instant.
type Rate = Box<dyn Fn(u32, Timestamp) -> Result<f64, String>>;

fn rate_function(spec: &DemandSpec) -> Result<Rate, String> {
    if let Some(bad) = spec
        .rates()
        .into_iter()
        .find(|v| !(v.is_finite() && *v >= 0.0))
    {
        return Err(format!(
            "a rate must be a number of messages, 0 or more: {bad}"
        ));
    }
    match by_minute(spec) {
        Some(rate) => Ok(rate),
        None => by_local_time(spec),
    }
}

/// The shapes that follow the minute of the run.
fn by_minute(spec: &DemandSpec) -> Option<Rate> {
    Some(match spec.clone() {
        DemandSpec::Steady { rate } => Box::new(move |_, _| Ok(rate)),
        DemandSpec::Step {
            base,
            peak,
            at_minute,
        } => Box::new(move |m, _| Ok(if m >= at_minute { peak } else { base })),
        DemandSpec::Surge {
            base,
            peak,
            at_minute,
            minutes,
        } => {
            let end = at_minute.saturating_add(minutes);
            Box::new(move |m, _| {
                Ok(if (at_minute..end).contains(&m) {
                    peak
                } else {
                    base
                })
            })
        }
        DemandSpec::Ramp {
            from,
            to,
            at_minute,
            minutes,
        } => Box::new(move |m, _| {
            let done = f64::from(m.saturating_sub(at_minute)) / f64::from(minutes.max(1));
            Ok(from + (to - from) * done.min(1.0))
        }),
        _ => return None,
    })
}

/// The shapes that follow the local clock and calendar.
fn by_local_time(spec: &DemandSpec) -> Result<Rate, String> {
    match spec.clone() {
        DemandSpec::Diurnal {
            base,
            peak,
            peak_hour,
            timezone,
        } => diurnal(base, peak, peak_hour, &timezone),
        DemandSpec::Weekly {
            base,
            peak,
            days,
            start,
            end,
            timezone,
        } => {
            let window = WindowSpec {
                days,
                start: Some(start),
                end: Some(end),
                ..window()
            };
            calendar(base, peak, window, &timezone)
        }
        DemandSpec::MonthEnd {
            base,
            peak,
            days_of_month,
            timezone,
        } => {
            let window = WindowSpec {
                days_of_month: Some(days_of_month),
                ..window()
            };
            calendar(base, peak, window, &timezone)
        }
        _ => Ok(Box::new(|_, _| Ok(0.0))),
    }
}

impl DemandSpec {
    /// The rates the spec names, to check before anything is generated.
    fn rates(&self) -> Vec<f64> {
        match self {
            DemandSpec::Steady { rate } => vec![*rate],
            DemandSpec::Step { base, peak, .. }
            | DemandSpec::Surge { base, peak, .. }
            | DemandSpec::Diurnal { base, peak, .. }
            | DemandSpec::Weekly { base, peak, .. }
            | DemandSpec::MonthEnd { base, peak, .. } => vec![*base, *peak],
            DemandSpec::Ramp { from, to, .. } => vec![*from, *to],
            DemandSpec::Bursty { .. } => Vec::new(),
        }
    }
}

fn window() -> WindowSpec {
    WindowSpec {
        min_tasks: 1.0,
        ..WindowSpec::default()
    }
}

/// `peak` while the window is open, with the profile rules (days, DST, `L`).
fn calendar(base: f64, peak: f64, window: WindowSpec, timezone: &str) -> Result<Rate, String> {
    let profile = Profile::new("demand", timezone.to_owned(), 0, vec![window]);
    let schedule = Schedule::compile(&profile, "demand").map_err(|problems| {
        let said: Vec<String> = problems.iter().map(ToString::to_string).collect();
        said.join("; ")
    })?;
    Ok(Box::new(move |_, at| {
        Ok(if schedule.floor_at(at).min_tasks > 0 {
            peak
        } else {
            base
        })
    }))
}

fn diurnal(base: f64, peak: f64, peak_hour: u32, timezone: &str) -> Result<Rate, String> {
    if peak_hour > 23 {
        return Err(format!("peak_hour must be 0 to 23, got {peak_hour}"));
    }
    let zone =
        sluice_core::tz::get(timezone).map_err(|_| format!("unknown time zone {timezone:?}"))?;
    Ok(Box::new(move |_, at| {
        let local = zone.to_datetime(at);
        let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0;
        let phase = (hour - f64::from(peak_hour)) / 24.0 * std::f64::consts::TAU;
        Ok(base + (peak - base) * (1.0 + phase.cos()) / 2.0)
    }))
}

fn poisson(rate: f64, rng: &mut Pcg64) -> u32 {
    if rate <= 0.0 {
        return 0;
    }
    match Poisson::new(rate) {
        Ok(distribution) => {
            let drawn: f64 = distribution.sample(rng);
            drawn.min(f64::from(u32::MAX)) as u32
        }
        Err(_) => rate.round().min(f64::from(u32::MAX)) as u32,
    }
}

/// Jobs at random minutes (on average one every `every` minutes), each `size`
/// messages spread evenly over `spread` minutes.
fn bursty(size: u32, every: u32, spread: u32, minutes: u32, rng: &mut Pcg64) -> Vec<u32> {
    let mut arrivals = vec![0u32; minutes as usize];
    let chance = 1.0 / f64::from(every.max(1));
    let spread = spread.max(1);
    for minute in 0..minutes {
        let starts: f64 = rand::RngExt::random(rng);
        if starts >= chance {
            continue;
        }
        for offset in 0..spread {
            let share = size / spread + u32::from(offset < size % spread);
            if let Some(slot) = arrivals.get_mut((minute + offset) as usize) {
                *slot = slot.saturating_add(share);
            }
        }
    }
    arrivals
}

/// A CSV trace: one row per minute, the arrivals in the last column; a header row
/// and blank lines are skipped. An error names the line that does not parse.
pub fn parse_csv(text: &str) -> Result<Vec<u32>, String> {
    let mut arrivals = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let last = line.rsplit(',').next().unwrap_or(line).trim();
        match last.parse::<f64>() {
            Ok(value) if value.is_finite() && value >= 0.0 => {
                arrivals.push(value.round().min(f64::from(u32::MAX)) as u32);
            }
            _ if index == 0 => continue,
            _ => {
                return Err(format!(
                    "line {}: {last:?} is not a number of messages, 0 or more",
                    index + 1
                ));
            }
        }
    }
    if arrivals.is_empty() {
        return Err("no rows: one row per minute, arrivals in the last column".to_owned());
    }
    Ok(arrivals)
}

/// Arrivals per minute estimated from the publisher's history: what the backlog grew
/// by, plus what the running tasks (at `per_task_per_minute`) took from it.
pub fn from_history(backlog: &[f64], running: &[f64], per_task_per_minute: f64) -> Vec<u32> {
    let mut arrivals = Vec::with_capacity(backlog.len());
    for (index, now) in backlog.iter().enumerate() {
        let before = index
            .checked_sub(1)
            .and_then(|i| backlog.get(i))
            .copied()
            .unwrap_or(0.0);
        let tasks = index
            .checked_sub(1)
            .and_then(|i| running.get(i))
            .copied()
            .unwrap_or(0.0);
        let served = before.min(tasks * per_task_per_minute);
        let arrived = (now - before + served).max(0.0);
        arrivals.push(arrived.round().min(f64::from(u32::MAX)) as u32);
    }
    arrivals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> Timestamp {
        "2026-11-30T00:00:00Z".parse().expect("time")
    }

    fn mean(values: &[u32]) -> f64 {
        values.iter().map(|v| f64::from(*v)).sum::<f64>() / values.len().max(1) as f64
    }

    #[test]
    fn generators_follow_their_shape_and_a_seed_repeats_a_trace() {
        let surge = DemandSpec::Surge {
            base: 10.0,
            peak: 200.0,
            at_minute: 60,
            minutes: 30,
        };
        let trace = generate(&surge, start(), 180, 7).expect("trace");
        assert_eq!(trace, generate(&surge, start(), 180, 7).expect("again"));
        assert_ne!(
            trace,
            generate(&surge, start(), 180, 8).expect("other seed")
        );
        assert!(
            (8.0..12.0).contains(&mean(&trace[..60])),
            "{}",
            mean(&trace[..60])
        );
        assert!((180.0..220.0).contains(&mean(&trace[60..90])));
        assert!((8.0..12.0).contains(&mean(&trace[90..])));
    }

    #[test]
    fn calendar_generators_use_the_profile_rules() {
        // Monday 30 November 2026, Berlin office hours 08:00-18:00 (07:00-17:00 UTC).
        let weekly = DemandSpec::Weekly {
            base: 0.0,
            peak: 100.0,
            days: vec!["mon".into()],
            start: "08:00".into(),
            end: "18:00".into(),
            timezone: "Europe/Berlin".into(),
        };
        let day = generate(&weekly, start(), 24 * 60, 1).expect("trace");
        assert_eq!(mean(&day[..7 * 60]), 0.0, "before 08:00 Berlin");
        assert!(mean(&day[7 * 60..17 * 60]) > 90.0);
        assert_eq!(mean(&day[17 * 60..]), 0.0);
        let month_end = DemandSpec::MonthEnd {
            base: 1.0,
            peak: 50.0,
            days_of_month: "30-L".into(),
            timezone: "UTC".into(),
        };
        let two_days = generate(&month_end, start(), 48 * 60, 1).expect("trace");
        assert!(
            mean(&two_days[..24 * 60]) > 40.0,
            "the 30th is the last day"
        );
        assert!(mean(&two_days[24 * 60..]) < 2.0, "1 December");
        let bad = DemandSpec::MonthEnd {
            base: 1.0,
            peak: 50.0,
            days_of_month: "31-30".into(),
            timezone: "UTC".into(),
        };
        assert!(generate(&bad, start(), 10, 1).is_err_and(|e| e.contains("31-30")));
    }

    #[test]
    fn bursty_is_idle_between_jobs_of_the_given_size() {
        let bursty = DemandSpec::Bursty {
            size: 40,
            every_minutes: 60,
            spread_minutes: 4,
        };
        let trace = generate(&bursty, start(), 24 * 60, 3).expect("trace");
        let idle = trace.iter().filter(|a| **a == 0).count();
        assert!(idle > 20 * 60, "mostly idle: {idle}");
        let total: u32 = trace.iter().sum();
        assert_eq!(total % 10, 0, "whole jobs of 40 in 4 minutes of 10");
        assert!(total > 0);
    }

    #[test]
    fn csv_traces_and_history() {
        assert_eq!(
            parse_csv("minute,arrivals\n0,5\n1,7\n\n2,0\n"),
            Ok(vec![5, 7, 0])
        );
        assert_eq!(
            parse_csv("minute,arrivals\n0,5\n1,lots\n"),
            Err("line 3: \"lots\" is not a number of messages, 0 or more".to_owned())
        );
        assert!(parse_csv("").is_err());
        // The backlog grew 0 -> 10 -> 12 while 2 tasks took 4 a minute each.
        assert_eq!(
            from_history(&[0.0, 10.0, 12.0], &[2.0, 2.0, 2.0], 4.0),
            [0, 10, 10]
        );
    }
}
