//! `sluicectl metrics`: the latest values the metric publisher wrote, per target.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use sluice_aws::{AwsError, CloudWatchMetrics, ConfigStore, DynamoStore, ItemKind};
use sluice_core::names;

use crate::cli::MetricsArgs;

pub async fn run(args: MetricsArgs) -> Result<ExitCode> {
    let (store, cloudwatch) = crate::table::store_and_metrics(&args.table).await;
    metrics(
        &store,
        &cloudwatch,
        &args.cloudwatch.namespace,
        args.target,
        args.minutes,
    )
    .await
}

/// The columns shown: each a published metric and its header. The readings are the
/// latest of the last `--minutes`; the wake's latencies (one datapoint per wake) the
/// latest of the last day.
const COLUMNS: [(&str, &str); 12] = [
    (names::VISIBLE, "visible"),
    (names::IN_FLIGHT, "in-flight"),
    (names::DELAYED, "delayed"),
    (names::BACKLOG, "backlog"),
    (names::RUNNING_TASKS, "running"),
    (names::DESIRED_TASKS, "desired"),
    (names::BACKLOG_PER_TASK, "backlog/task"),
    (names::GPU_AVERAGE, "gpu avg %"),
    (names::GPU_MAX, "gpu max %"),
    (names::OLDEST_MESSAGE_AGE, "oldest age s"),
    (names::WAKE_LATENCY, "wake s"),
    (names::START_LATENCY, "start s"),
];

/// Published once per wake: looked for over a day.
const PER_WAKE: [&str; 2] = [names::WAKE_LATENCY, names::START_LATENCY];
const PER_WAKE_MINUTES: u32 = 24 * 60;

/// The latest published value of each metric of each target, as (target, metric) ->
/// value: readings within the last `minutes`, a wake's latencies within the last day.
pub async fn latest(
    cloudwatch: &CloudWatchMetrics,
    namespace: &str,
    targets: &[String],
    metrics: &[&str],
    minutes: u32,
) -> Result<BTreeMap<(String, String), f64>, AwsError> {
    let (per_wake, readings): (Vec<&str>, Vec<&str>) =
        metrics.iter().partition(|metric| PER_WAKE.contains(metric));
    let mut latest = cloudwatch
        .latest_published(namespace, targets, &readings, minutes)
        .await?;
    latest.extend(
        cloudwatch
            .latest_published(namespace, targets, &per_wake, PER_WAKE_MINUTES)
            .await?,
    );
    Ok(latest)
}

async fn metrics(
    store: &DynamoStore,
    cloudwatch: &CloudWatchMetrics,
    namespace: &str,
    only: Option<String>,
    minutes: u32,
) -> Result<ExitCode> {
    let mut targets: Vec<String> = store
        .list(ItemKind::Target)
        .await
        .with_context(|| format!("cannot read the table {}", store.table()))?
        .into_iter()
        .map(|item| item.name)
        .collect();
    if let Some(only) = only {
        if !targets.contains(&only) {
            bail!(
                "no target named {only:?} in {} (stored: {})",
                store.table(),
                targets.join(", ")
            );
        }
        targets = vec![only];
    }
    let metrics: Vec<&str> = COLUMNS.iter().map(|(metric, _)| *metric).collect();
    let latest = latest(cloudwatch, namespace, &targets, &metrics, minutes).await?;
    let width = targets.iter().map(String::len).max().unwrap_or(6).max(6);
    out!("{:<width$}", "target");
    for (_, header) in COLUMNS {
        out!(" {header:>12}");
    }
    outln!();
    for target in &targets {
        out!("{target:<width$}");
        for (metric, _) in COLUMNS {
            match latest.get(&(target.clone(), metric.to_owned())) {
                Some(value) => out!(" {:>12}", format_value(*value)),
                None => out!(" {:>12}", "-"),
            }
        }
        outln!();
    }
    outln!(
        "(latest datapoint of the last {minutes} min in namespace {namespace}, of the last \
         day for the last wake's latencies; '-' = none published)"
    );
    Ok(ExitCode::SUCCESS)
}

fn format_value(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}
