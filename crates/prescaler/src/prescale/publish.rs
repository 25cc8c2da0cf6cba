//! Every target's floor, published as `PrescaleFloor` (also in forecast-only mode,
//! never in a dry run): the dashboard's graph and the forecast's record.

use sluice_core::budget::Standing;
use sluice_core::metrics::{self, Datum, Unit};
use sluice_core::names;

use super::Ports;
use super::budgets::Budgeted;
use super::outcome::TargetReport;
use super::plan::Planned;
use crate::settings::Settings;

/// How many floors were published. The counts of targets without a floor and of
/// failures (`failed`: targets, groups, stored budgets; `report::failures`) go out
/// with them, fleet-wide.
pub async fn publish(
    planned: &[Planned],
    budgets: &[Budgeted],
    failed: usize,
    settings: &Settings,
    ports: &Ports<'_>,
) -> usize {
    if settings.dry_run {
        return 0;
    }
    let unevaluated = super::report::without_floor(planned) as f64;
    let failed = failed as f64;
    let mut datums: Vec<Datum> = planned.iter().flat_map(|p| per_target(&p.report)).collect();
    datums.push(Datum::fleet_count(
        names::TARGETS_WITHOUT_FLOOR,
        unevaluated,
    ));
    datums.push(Datum::fleet_count(names::PRESCALER_FAILED, failed));
    datums.extend(budget_datums(budgets));
    let mut published = 0;
    for batch in metrics::batches(
        &datums,
        metrics::MAX_DATUMS_PER_CALL,
        metrics::MAX_BYTES_PER_CALL,
    ) {
        match ports
            .sink
            .put_metric_data(&settings.common.namespace, batch)
            .await
        {
            Ok(()) => {
                published += batch
                    .iter()
                    .filter(|d| d.name == names::PRESCALE_FLOOR)
                    .count()
            }
            Err(error) => tracing::error!(%error, "publishing floors failed"),
        }
    }
    published
}

/// Each budget's spend and share of its limit, and the fleet's highest share, which
/// the template's 80 % and 100 % alarms watch. A budget whose spend is unknown
/// publishes nothing: the alarms treat missing data as not breaching, and the
/// report names it.
fn budget_datums(budgets: &[Budgeted]) -> Vec<Datum> {
    let standings: Vec<&Standing> = budgets
        .iter()
        .filter_map(|(_, s)| s.as_ref().ok())
        .collect();
    let mut datums: Vec<Datum> = standings
        .iter()
        .flat_map(|s| {
            [
                Datum::per_budget(&s.budget, names::BUDGET_SPEND, s.spent, Unit::Count),
                Datum::per_budget(
                    &s.budget,
                    names::BUDGET_USED_PERCENT,
                    s.percent,
                    Unit::Percent,
                ),
            ]
        })
        .collect();
    if let Some(highest) = standings.iter().map(|s| s.percent).reduce(f64::max) {
        datums.push(Datum {
            unit: Unit::Percent,
            ..Datum::fleet_count(names::BUDGET_USED_PERCENT_MAX, highest)
        });
    }
    datums
}

/// A target's floor, the lead it rose ahead by, and its measured start-ups.
fn per_target(report: &TargetReport) -> Vec<Datum> {
    let target = &report.target;
    let mut datums = Vec::new();
    if let Some(floor) = report.floor {
        datums.push(Datum::count(
            target,
            names::PRESCALE_FLOOR,
            f64::from(floor),
        ));
    }
    if let Some(lead) = report.lead_minutes {
        datums.push(Datum::seconds(
            target,
            names::PRESCALE_LEAD,
            (lead * 60) as f64,
        ));
    }
    if let Some(error) = report.floor_error {
        datums.push(Datum::count(
            target,
            names::FLOOR_OVER_TASK_HOURS,
            error.over_task_hours,
        ));
        datums.push(Datum::count(
            target,
            names::FLOOR_UNDER_TASK_HOURS,
            error.under_task_hours,
        ));
    }
    if let Some(start_up) = report.start_up {
        datums.push(Datum::seconds(
            target,
            names::START_UP_P50,
            start_up.p50 as f64,
        ));
        datums.push(Datum::seconds(
            target,
            names::START_UP_P95,
            start_up.p95 as f64,
        ));
    }
    datums
}
