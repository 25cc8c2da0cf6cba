//! The one write: PutMetricData in the fewest calls, or Embedded Metric Format lines
//! on standard output. A failed PutMetricData fails the targets whose datums it carried.

use std::time::{SystemTime, UNIX_EPOCH};

use futures::stream::{self, StreamExt};
use sluice_aws::AwsError;
use sluice_core::config::Target;
use sluice_core::metrics::{self, Datum, Rollup, embedded_metric_line};
use sluice_core::names;
use sluice_lambda::per_place;

use super::Ports;
use super::decide::Decided;
use super::report::{Status, Summary};
use crate::settings::{Output, Settings};
use sluice_core::outcome::Publish;

/// The targets' datums, then the fleet-wide counts, which count the targets whose
/// datums were refused as failed: the alarms they drive see what was really published.
pub async fn write(
    decided: &mut Decided,
    targets: &[Target],
    summary: &mut Summary,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    match settings.output {
        Output::PutMetricData => put_all(decided, summary, settings, ports).await,
        Output::EmbeddedMetricFormat => emit_all(decided, summary, settings, ports),
    }
    put_in_accounts(decided, targets, summary, settings, ports).await;
    let fleet = vec![decided.fleet.datums()];
    match settings.output {
        Output::PutMetricData => put_fleet(&fleet[0], summary, settings, ports).await,
        Output::EmbeddedMetricFormat => emit_groups(&fleet, summary, settings, ports),
    }
}

/// Stores the rates the load model learned, each target's on its own: a failed write
/// costs that target one minute of learning (said in its report), never its metrics.
pub async fn save_rates(decided: &mut Decided, settings: &Settings, ports: &Ports<'_>) {
    let rates = std::mem::take(&mut decided.rates);
    let failures: Vec<(&String, AwsError)> = stream::iter(&rates)
        .map(|(name, rates)| async move { (name, ports.rates.save_rates(name, rates).await) })
        .buffer_unordered(settings.common.concurrency.max(1))
        .filter_map(|(name, result)| async move { result.err().map(|e| (name, e)) })
        .collect()
        .await;
    for (name, error) in failures {
        tracing::warn!(target_name = %name, %error, "rates not stored");
        if let Some(report) = decided.reports.iter_mut().find(|r| &r.name == name) {
            report.warnings.push(format!("rates not stored: {error}"));
        }
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
        for index in 0..decided.reports.len() {
            if batch.iter().any(|d| d.is_for(&decided.reports[index].name)) {
                fail(decided, index, &error);
            }
        }
    }
}

/// A published target's datums were refused after all.
fn fail(decided: &mut Decided, index: usize, error: &AwsError) {
    let report = &mut decided.reports[index];
    if report.outcome != Status::Done(Publish) {
        return;
    }
    report.outcome = Status::Failed;
    report.failure = Some(error.kind);
    report.error = Some(error.to_string());
    decided.fleet.published = decided.fleet.published.saturating_sub(1);
    decided.fleet.count_failed();
}

/// The datums a scaling policy watches, put also in the account of each target that
/// lives elsewhere (names::WATCHED_BY_POLICIES), whatever the output: Embedded Metric
/// Format lines reach only the stack's account. A refused put fails its targets: their
/// policies would scale on nothing.
async fn put_in_accounts(
    decided: &mut Decided,
    targets: &[Target],
    summary: &mut Summary,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let elsewhere: Vec<(usize, &Target)> = targets
        .iter()
        .enumerate()
        .filter(|(index, t)| !t.place().is_home() && !decided.datum_groups[*index].is_empty())
        .collect();
    if elsewhere.is_empty() {
        return;
    }
    let groups = &decided.datum_groups;
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let results = per_place(
        &elsewhere,
        |(_, target)| target,
        ports.accounts,
        async |account, mine| {
            let Some(account) = account else {
                return mine.iter().map(|_| Ok(())).collect();
            };
            let datums: Vec<Datum> = mine
                .iter()
                .flat_map(|(index, _)| &groups[*index])
                .filter(|d| names::WATCHED_BY_POLICIES.contains(&d.name))
                .cloned()
                .collect();
            let (made, refused) =
                put_batches(&datums, account.sink.as_ref(), &settings.common.namespace).await;
            calls.fetch_add(made, std::sync::atomic::Ordering::Relaxed);
            mine.iter()
                .map(|(_, target)| {
                    refused
                        .iter()
                        .find(|(batch, _)| batch.iter().any(|d| d.is_for(&target.name)))
                        .map_or(Ok(()), |(_, error)| Err(error.clone()))
                })
                .collect()
        },
        |_, error| Err(error.clone()),
    )
    .await;
    summary.put_metric_data_calls += calls.into_inner();
    for ((index, _), result) in elsewhere.iter().zip(results) {
        if let Err(error) = result {
            let error = error.about("its account's copy of the policy metrics");
            fail(decided, *index, &error);
        }
    }
}

/// `datums` put into `namespace` in batches CloudWatch takes: the calls made, and
/// each batch it refused with why.
async fn put_batches<'d>(
    datums: &'d [Datum],
    sink: &dyn sluice_aws::MetricSink,
    namespace: &str,
) -> (usize, Vec<(&'d [Datum], AwsError)>) {
    let batches = metrics::batches(
        datums,
        metrics::MAX_DATUMS_PER_CALL,
        metrics::MAX_BYTES_PER_CALL,
    );
    let mut refused = Vec::new();
    for batch in &batches {
        if let Err(error) = sink.put_metric_data(namespace, batch).await {
            refused.push((*batch, error));
        }
    }
    (batches.len(), refused)
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
