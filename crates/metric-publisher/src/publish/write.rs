//! The one write: PutMetricData in the fewest calls, or Embedded Metric Format lines
//! on standard output. A failed PutMetricData fails the targets whose datums it carried.

use std::time::{SystemTime, UNIX_EPOCH};

use futures::stream::{self, StreamExt};
use sluice_aws::AwsError;
use sluice_core::metrics::{self, Datum, Rollup, embedded_metric_line};

use super::Ports;
use super::decide::Decided;
use super::report::{Status, Summary};
use crate::settings::{Output, Settings};

/// The targets' datums, then the fleet-wide counts, which count the targets whose
/// datums were refused as failed: the alarms they drive see what was really published.
pub async fn write(
    decided: &mut Decided,
    summary: &mut Summary,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    match settings.output {
        Output::PutMetricData => put_all(decided, summary, settings, ports).await,
        Output::EmbeddedMetricFormat => emit_all(decided, summary, settings, ports),
    }
    let fleet = vec![decided.fleet.datums()];
    match settings.output {
        Output::PutMetricData => put_fleet(&fleet[0], summary, settings, ports).await,
        Output::EmbeddedMetricFormat => emit_groups(&fleet, summary, settings, ports),
    }
}

async fn put_fleet(
    datums: &[Datum],
    summary: &mut Summary,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    summary.put_metric_data_calls += 1;
    summary.datums += datums.len();
    if let Err(error) = ports
        .sink
        .put_metric_data(&settings.common.namespace, datums)
        .await
    {
        tracing::error!(%error, "the fleet-wide counts were not published");
    }
}

async fn put_all(
    decided: &mut Decided,
    summary: &mut Summary,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let all: Vec<Datum> = decided.datum_groups.iter().flatten().cloned().collect();
    let batches = metrics::batches(
        &all,
        metrics::MAX_DATUMS_PER_CALL,
        metrics::MAX_BYTES_PER_CALL,
    );
    summary.put_metric_data_calls = batches.len();
    summary.datums = all.len();
    let failures: Vec<(&[Datum], AwsError)> = stream::iter(batches)
        .map(|batch| async move {
            let result = ports
                .sink
                .put_metric_data(&settings.common.namespace, batch)
                .await;
            (batch, result)
        })
        .buffer_unordered(settings.common.concurrency)
        .filter_map(|(batch, result)| async move { result.err().map(|e| (batch, e)) })
        .collect()
        .await;
    for (batch, error) in failures {
        for report in decided.reports.iter_mut() {
            if report.status == Status::Published && batch.iter().any(|d| d.is_for(&report.name)) {
                report.status = Status::Failed;
                report.retryable = error.kind.is_retryable();
                report.error = Some(error.to_string());
                decided.fleet.published = decided.fleet.published.saturating_sub(1);
                decided.fleet.count_failed();
            }
        }
    }
}

fn emit_all(decided: &Decided, summary: &mut Summary, settings: &Settings, ports: &Ports<'_>) {
    emit_groups(&decided.datum_groups, summary, settings, ports);
}

fn emit_groups(
    groups: &[Vec<Datum>],
    summary: &mut Summary,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    for datums in groups.iter().filter(|d| !d.is_empty()) {
        ports.emf.emit(&embedded_metric_line(
            &settings.common.namespace,
            now_ms,
            datums,
            Rollup::PerTargetOnly,
        ));
        summary.datums += datums.len();
    }
}
