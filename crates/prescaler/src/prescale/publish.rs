//! Every target's floor, published as `PrescaleFloor` (also in forecast-only mode,
//! never in a dry run): the dashboard's graph and the forecast's record.

use sluice_core::metrics::{self, Datum};
use sluice_core::names;

use super::Ports;
use super::plan::Planned;
use super::report::TargetReport;
use crate::settings::Settings;

/// How many floors were published. The count of targets without a floor goes out
/// with them, fleet-wide.
pub async fn publish(planned: &[Planned], settings: &Settings, ports: &Ports<'_>) -> usize {
    if settings.dry_run {
        return 0;
    }
    let unevaluated = super::report::without_floor(planned) as f64;
    let fleet = Datum::fleet_count(names::TARGETS_WITHOUT_FLOOR, unevaluated);
    let mut datums: Vec<Datum> = planned.iter().flat_map(|p| per_target(&p.report)).collect();
    datums.push(fleet);
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
