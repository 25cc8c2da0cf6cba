//! Every target's floor, published as `PrescaleFloor` (also in forecast-only mode,
//! never in a dry run): the dashboard's graph and the forecast's record.

use sluice_core::metrics::{self, Datum};
use sluice_core::names;

use super::Ports;
use super::plan::Planned;
use crate::settings::Settings;

/// How many floors were published. The count of targets without a floor goes out
/// with them, fleet-wide.
pub async fn publish(planned: &[Planned], settings: &Settings, ports: &Ports<'_>) -> usize {
    if settings.dry_run {
        return 0;
    }
    let unevaluated = super::report::without_floor(planned) as f64;
    let fleet = Datum::fleet_count(names::TARGETS_WITHOUT_FLOOR, unevaluated);
    let mut datums: Vec<Datum> = planned
        .iter()
        .filter_map(|p| {
            let floor = p.report.floor?;
            Some(Datum::count(
                &p.report.target,
                names::PRESCALE_FLOOR,
                f64::from(floor),
            ))
        })
        .collect();
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
            Ok(()) => published += batch.iter().filter(|d| d.target.is_some()).count(),
            Err(error) => tracing::error!(%error, "publishing floors failed"),
        }
    }
    published
}
