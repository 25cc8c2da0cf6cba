//! Budgets: what a target, or a fleet of targets, may spend per day or month, in
//! task-hours, GPU-hours or money at a stated price per task-hour. A budget alerts
//! (its spend is published and alarmed at 80 % and 100 %) or, when it says `enforce`,
//! caps MaxCapacity of its targets once spent: never below the tasks running and never
//! below a required floor. Pure: spend comes in as task-hours read from the published
//! `RunningTasks`.

use jiff::Timestamp;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::problem::{Problem, name_problem};

/// A budget's figures (its limit, a price, GPUs a task) lie between these: spend over
/// limit stays a finite number for CloudWatch, and no figure is a rounding error.
pub const MIN_FIGURE: f64 = 1e-6;
pub const MAX_FIGURE: f64 = 1e12;

/// A budget as written in a configuration file and stored in the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub name: String,
    /// The targets whose tasks it counts: one for a per-target budget, more for a
    /// fleet's.
    pub targets: Vec<String>,
    pub period: Period,
    /// IANA time zone in which a day or month begins.
    #[serde(default = "utc")]
    pub timezone: String,
    /// The most the targets may spend in a period, in `unit`.
    pub limit: f64,
    #[serde(default)]
    pub unit: SpendUnit,
    /// GPUs per task, for `unit: gpu_hours`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus_per_task: Option<f64>,
    /// Price of one task-hour, for `unit: money` (in the currency `limit` is in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_task_hour: Option<f64>,
    #[serde(default)]
    pub mode: BudgetMode,
}

fn utc() -> String {
    "UTC".to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Month,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendUnit {
    #[default]
    TaskHours,
    GpuHours,
    Money,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetMode {
    /// Publish the spend; the template's alarms say when it reaches 80 % and 100 %.
    #[default]
    Alert,
    /// As alert, and once spent hold MaxCapacity at what runs (or a required floor).
    Enforce,
}

impl Budget {
    /// Every problem of the budget, by path; `targets` are the names it may count.
    pub fn problems(&self, path: &str, targets: &[&str]) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(Problem::new(format!("{path}.{field}"), message));
        };
        if let Some(message) = name_problem(&self.name) {
            problem("name", message);
        }
        if self.targets.is_empty() {
            problem("targets", "must name at least one target".to_owned());
        }
        for (index, name) in self.targets.iter().enumerate() {
            if !targets.contains(&name.as_str()) {
                problem(
                    &format!("targets[{index}]"),
                    format!("no target named {name:?} in this file"),
                );
            }
        }
        if !(self.limit.is_finite() && (MIN_FIGURE..=MAX_FIGURE).contains(&self.limit)) {
            problem(
                "limit",
                format!(
                    "must be a number from {MIN_FIGURE:e} to {MAX_FIGURE:e}, got {}",
                    crate::problem::shown(self.limit)
                ),
            );
        }
        if crate::tz::get(&self.timezone).is_err() {
            problem(
                "timezone",
                format!("unknown IANA time zone {:?}", self.timezone),
            );
        }
        self.unit_problems(&mut problem);
        problems
    }

    /// The unit and the figure it is counted in: what turns task-hours into spend.
    fn unit_problems(&self, problem: &mut impl FnMut(&str, String)) {
        // Spent over limit, a share published as a metric, must stay a finite number:
        // CloudWatch refuses a whole PutMetricData batch for one infinite value.
        let positive = |value: Option<f64>| {
            value.is_some_and(|v| v.is_finite() && (MIN_FIGURE..=MAX_FIGURE).contains(&v))
        };
        match (self.unit, self.gpus_per_task, self.price_per_task_hour) {
            (SpendUnit::GpuHours, gpus, _) if !positive(gpus) => problem(
                "gpus_per_task",
                format!(
                    "unit gpu_hours needs gpus_per_task, a number from {MIN_FIGURE:e} to {MAX_FIGURE:e}"
                ),
            ),
            (SpendUnit::Money, _, price) if !positive(price) => problem(
                "price_per_task_hour",
                format!(
                    "unit money needs price_per_task_hour, a number from {MIN_FIGURE:e} to {MAX_FIGURE:e}"
                ),
            ),
            _ => {}
        }
        if self.gpus_per_task.is_some() && self.unit != SpendUnit::GpuHours {
            problem("gpus_per_task", "only with unit gpu_hours".to_owned());
        }
        if self.price_per_task_hour.is_some() && self.unit != SpendUnit::Money {
            problem("price_per_task_hour", "only with unit money".to_owned());
        }
    }

    /// A budget as stored in the table; the error says why not.
    pub fn from_stored(name: &str, spec: &str) -> Result<Budget, String> {
        let budget: Budget =
            serde_json::from_str(spec).map_err(|e| format!("stored spec does not parse: {e}"))?;
        if budget.name != name {
            return Err(format!("stored under {name:?} but named {:?}", budget.name));
        }
        let targets: Vec<&str> = budget.targets.iter().map(String::as_str).collect();
        let problems = budget.problems("budget", &targets);
        if problems.is_empty() {
            Ok(budget)
        } else {
            Err(crate::problem::Problems(problems).to_string())
        }
    }

    /// When the period that holds `now` began: local midnight, or midnight of the
    /// month's first day, in the budget's zone.
    pub fn period_start(&self, now: Timestamp) -> Result<Timestamp, String> {
        let zone = crate::tz::get(&self.timezone).map_err(|e| e.to_string())?;
        let today = zone.to_datetime(now).date();
        let first = match self.period {
            Period::Day => today,
            Period::Month => today.first_of_month(),
        };
        // A midnight skipped by daylight saving begins at the first valid instant.
        zone.to_ambiguous_timestamp(first.to_datetime(Time::midnight()))
            .compatible()
            .map_err(|e| e.to_string())
    }

    /// Task-hours in the budget's unit.
    pub fn spend(&self, task_hours: f64) -> f64 {
        task_hours
            * match self.unit {
                SpendUnit::TaskHours => 1.0,
                SpendUnit::GpuHours => self.gpus_per_task.unwrap_or(1.0),
                SpendUnit::Money => self.price_per_task_hour.unwrap_or(0.0),
            }
    }

    fn unit_label(&self) -> String {
        match self.unit {
            SpendUnit::TaskHours => "task-hours".to_owned(),
            SpendUnit::GpuHours => "GPU-hours".to_owned(),
            SpendUnit::Money => format!(
                "(money, at {} a task-hour)",
                self.price_per_task_hour.unwrap_or(0.0)
            ),
        }
    }

    /// Where the budget stands after `task_hours` of its targets in this period.
    pub fn standing(&self, task_hours: f64) -> Standing {
        let spent = self.spend(task_hours);
        let percent = if self.limit > 0.0 {
            spent / self.limit * 100.0
        } else {
            0.0
        };
        Standing {
            budget: self.name.clone(),
            spent,
            limit: self.limit,
            percent,
            enforcing: self.mode == BudgetMode::Enforce && percent >= 100.0,
            said: format!(
                "budget {}: {spent:.1} of {} {} this {} ({percent:.0} %){}",
                self.name,
                self.limit,
                self.unit_label(),
                match self.period {
                    Period::Day => "day",
                    Period::Month => "month",
                },
                match (self.mode, percent >= 100.0) {
                    (BudgetMode::Enforce, true) => ", spent: MaxCapacity held at what runs",
                    (BudgetMode::Enforce, false) => "",
                    (BudgetMode::Alert, _) => ", alert only",
                }
            ),
        }
    }
}

/// A budget's spend so far in its period, and whether it now caps its targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    pub budget: String,
    pub spent: f64,
    pub limit: f64,
    pub percent: f64,
    /// Enforcing and spent: its targets' MaxCapacity is held.
    pub enforcing: bool,
    /// One line for reports: the spend against the limit and what it does.
    pub said: String,
}

/// Task-hours from hourly averages of running tasks (epoch seconds of each bin's
/// start, average), the last bin counted only up to `now`. Averages do not depend on
/// how often the publisher wrote; an hour it did not write counts nothing.
pub fn task_hours(hourly: &[(i64, f64)], now: i64) -> f64 {
    hourly
        .iter()
        .map(|(start, average)| {
            let seconds = now.saturating_sub(*start).clamp(0, 3600);
            average.max(0.0) * seconds as f64 / 3600.0
        })
        .filter(|hours| hours.is_finite())
        .sum()
}

/// The MaxCapacity an enforcing, spent budget holds a target at: what runs, and never
/// below its required floor (a required window's min_tasks, and `capacity.min`).
pub fn cap(running: u32, required: u32) -> u32 {
    running.max(required)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(period: Period, mode: BudgetMode) -> Budget {
        Budget {
            name: "gpus".into(),
            targets: vec!["a".into()],
            period,
            timezone: "Europe/Berlin".into(),
            limit: 100.0,
            unit: SpendUnit::TaskHours,
            gpus_per_task: None,
            price_per_task_hour: None,
            mode,
        }
    }

    #[test]
    fn periods_begin_at_local_midnight_and_the_months_first_day() {
        let b = budget(Period::Day, BudgetMode::Alert);
        let now: Timestamp = "2026-11-24T22:30:00Z".parse().unwrap();
        // 23:30 in Berlin (CET): the day began at 23:00 UTC the day before.
        assert_eq!(
            b.period_start(now).unwrap().to_string(),
            "2026-11-23T23:00:00Z"
        );
        let month = budget(Period::Month, BudgetMode::Alert);
        assert_eq!(
            month.period_start(now).unwrap().to_string(),
            "2026-10-31T23:00:00Z"
        );
        // 00:30 on 1 December in Berlin is already December.
        let first: Timestamp = "2026-11-30T23:30:00Z".parse().unwrap();
        assert_eq!(
            month.period_start(first).unwrap().to_string(),
            "2026-11-30T23:00:00Z"
        );
    }

    #[test]
    fn task_hours_weigh_each_hour_and_the_last_only_up_to_now() {
        let now = 10 * 3600 + 1800;
        let hourly = [(8 * 3600, 2.0), (9 * 3600, 4.0), (10 * 3600, 6.0)];
        assert_eq!(task_hours(&hourly, now), 2.0 + 4.0 + 3.0);
        assert_eq!(task_hours(&[(now + 60, 5.0), (0, -1.0)], now), 0.0);
    }

    #[test]
    fn units_and_standing_say_what_is_spent_and_what_it_does() {
        let mut b = budget(Period::Month, BudgetMode::Enforce);
        let standing = b.standing(80.0);
        assert_eq!((standing.percent, standing.enforcing), (80.0, false));
        let spent = b.standing(100.0);
        assert!(spent.enforcing);
        assert!(
            spent
                .said
                .contains("100.0 of 100 task-hours this month (100 %), spent"),
            "{}",
            spent.said
        );
        b.unit = SpendUnit::Money;
        b.price_per_task_hour = Some(2.5);
        assert_eq!(b.spend(10.0), 25.0);
        b.mode = BudgetMode::Alert;
        assert!(!b.standing(1000.0).enforcing, "alert only never caps");
        assert_eq!(cap(3, 5), 5);
        assert_eq!(cap(7, 5), 7);
    }

    /// What validation says of `b` as the file's first budget, beside a target "a".
    fn said(b: &Budget) -> Vec<String> {
        b.problems("budgets[0]", &["a"])
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect()
    }

    #[test]
    fn problems_name_each_wrong_field() {
        let b = Budget {
            name: String::new(),
            targets: vec!["nobody".into()],
            limit: -1.0,
            timezone: "Mars/Base".into(),
            unit: SpendUnit::Money,
            gpus_per_task: Some(2.0),
            ..budget(Period::Day, BudgetMode::Enforce)
        };
        let said = said(&b);
        for expected in [
            "budgets[0].name: must not be empty",
            "budgets[0].targets[0]: no target named \"nobody\" in this file",
            "budgets[0].limit: must be a number from 1e-6 to 1e12, got -1",
            "budgets[0].timezone: unknown IANA time zone \"Mars/Base\"",
            "budgets[0].price_per_task_hour: unit money needs price_per_task_hour",
            "budgets[0].gpus_per_task: only with unit gpu_hours",
        ] {
            assert!(
                said.iter().any(|s| s.starts_with(expected)),
                "{expected} in {said:#?}"
            );
        }
    }

    /// Figures whose spend over limit is no finite number (CloudWatch refuses the whole
    /// batch the share is in) are refused, by path.
    #[test]
    fn figures_that_make_an_infinite_share_are_refused() {
        let b = Budget {
            limit: 1e-320,
            unit: SpendUnit::Money,
            price_per_task_hour: Some(1e308),
            ..budget(Period::Day, BudgetMode::Enforce)
        };
        let said = said(&b);
        assert_eq!(
            said,
            [
                "budgets[0].limit: must be a number from 1e-6 to 1e12, got 1e-320",
                "budgets[0].price_per_task_hour: unit money needs price_per_task_hour, a number from 1e-6 to 1e12",
            ]
        );
    }
}
