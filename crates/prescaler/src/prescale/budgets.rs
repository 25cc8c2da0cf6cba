//! Each stored budget's spend this period: hourly averages of its targets' published
//! `RunningTasks` since the period began, summed as task-hours (sluice_core::budget).
//! A budget whose spend cannot be read says why; its targets are then not decided
//! when it enforces.

use jiff::Timestamp;
use sluice_aws::{Bins, read_series};
use sluice_core::budget::{self, Budget, BudgetMode, Standing};
use sluice_core::facts::MetricQuery;
use sluice_core::names;

use super::Ports;
use crate::settings::Settings;

/// A budget and where it stands, or why that is not known.
pub type Budgeted = (Budget, Result<Standing, String>);

pub async fn standings(
    budgets: Vec<Budget>,
    settings: &Settings,
    ports: &Ports<'_>,
    now: Timestamp,
) -> Vec<Budgeted> {
    let mut answers = Vec::with_capacity(budgets.len());
    for budget in budgets {
        let standing = standing(&budget, settings, ports, now).await;
        answers.push((budget, standing));
    }
    answers
}

async fn standing(
    budget: &Budget,
    settings: &Settings,
    ports: &Ports<'_>,
    now: Timestamp,
) -> Result<Standing, String> {
    let start = budget.period_start(now)?;
    let lookback = (now.as_second() - start.as_second()).max(60);
    let lookback_minutes = u32::try_from((lookback + 59) / 60).unwrap_or(u32::MAX);
    let queries: Vec<MetricQuery> = budget
        .targets
        .iter()
        .map(|target| MetricQuery {
            namespace: settings.common.namespace.clone(),
            metric: names::RUNNING_TASKS.to_owned(),
            dimensions: [(names::TARGET_DIMENSION.to_owned(), target.clone())].into(),
            statistic: "Average",
        })
        .collect();
    let answers = read_series(
        ports.metrics,
        &queries,
        (lookback_minutes, Bins::Hour),
        settings.common.concurrency,
    )
    .await;
    let mut task_hours = 0.0;
    for (target, answer) in budget.targets.iter().zip(answers) {
        let hourly = answer.map_err(|e| format!("RunningTasks of {target}: {e}"))?;
        task_hours += budget::task_hours(&hourly, now.as_second());
    }
    Ok(budget.standing(task_hours))
}

/// What the budgets that count `target` do to it: the lines its report shows, and
/// whether one of them is spent and enforcing (Ok(true)), or an enforcing one cannot
/// be read (Err: the target is left as it is).
pub fn verdict(budgets: &[Budgeted], target: &str) -> (Vec<String>, Result<bool, String>) {
    let mine = budgets
        .iter()
        .filter(|(budget, _)| budget.targets.iter().any(|t| t == target));
    let mut said = Vec::new();
    let mut verdict = Ok(false);
    for (budget, standing) in mine {
        match standing {
            Ok(standing) => {
                said.push(standing.said.clone());
                if standing.enforcing && verdict.is_ok() {
                    verdict = Ok(true);
                }
            }
            Err(error) => {
                let line = format!("budget {}: spend cannot be read: {error}", budget.name);
                if budget.mode == BudgetMode::Enforce {
                    verdict = Err(line.clone());
                }
                said.push(line);
            }
        }
    }
    (said, verdict)
}
