//! From what was read to what is published: each target's reading and datums (the
//! rules live in sluice_core::metrics), its report, and the fleet-wide counts.

use sluice_core::capacity::{Look, Need, Rates, planned_start_up, queue_minutes};
use sluice_core::config::Target;
use sluice_core::metrics::{Datum, FleetTally, Reading, ScalingChangeLimit, scaling_changes};
use sluice_lambda::Selection;

use super::read::{Facts, LoadFacts};
use super::report::{ReadingReport, Status, TargetReport};

/// The reports, and the datums to write: one group per target (empty when it failed;
/// one EMF line, or its share of the PutMetricData batches). The fleet-wide counts are
/// written after these, once it is known which were refused.
pub struct Decided {
    pub reports: Vec<TargetReport>,
    pub invalid: Vec<TargetReport>,
    pub fleet: FleetTally,
    pub datum_groups: Vec<Vec<Datum>>,
    /// The rates to store for the targets under the load model, by target name.
    pub rates: Vec<(String, Rates)>,
}

pub fn decide(
    selection: &Selection,
    facts: Vec<Facts>,
    limit: ScalingChangeLimit,
    now: i64,
) -> Decided {
    let mut fleet = FleetTally::new(limit);
    let invalid: Vec<TargetReport> = selection
        .invalid
        .iter()
        .map(|(name, error)| {
            fleet.count_failed();
            TargetReport {
                name: name.clone(),
                status: Status::Invalid,
                error: Some(error.clone()),
                ..TargetReport::default()
            }
        })
        .collect();
    let mut reports = Vec::with_capacity(selection.targets.len());
    let mut datum_groups = Vec::with_capacity(selection.targets.len() + 1);
    let mut rates = Vec::new();
    for (target, facts) in selection.targets.iter().zip(facts) {
        let decided = sluice_lambda::isolated_now(|| decide_target(target, facts, &mut fleet, now));
        let (report, datums, learned) = match decided {
            Ok(decided) => decided,
            Err(panicked) => {
                fleet.count_failed();
                let failed = TargetReport {
                    name: target.name.clone(),
                    status: Status::Failed,
                    error: Some(panicked),
                    ..TargetReport::default()
                };
                (failed, Vec::new(), None)
            }
        };
        reports.push(report);
        datum_groups.push(datums);
        rates.extend(learned.map(|r| (target.name.clone(), r)));
    }
    Decided {
        reports,
        invalid,
        fleet,
        datum_groups,
        rates,
    }
}

/// The load model's turn for a target under it: the need now on the rates stored, and
/// the rates this look and SQS's complete minutes teach. None when the rates could not
/// be read (said in a warning): a need from no rates would be a guess.
fn learn(
    target: &Target,
    look: Look,
    load: LoadFacts,
    now: i64,
    warnings: &mut Vec<String>,
) -> Option<(Need, Rates)> {
    if !target.scaling.uses_need() {
        return None;
    }
    let stored = match load.rates {
        Ok(stored) => stored.unwrap_or_default(),
        Err(error) => {
            warnings.push(format!("need not published: {error}"));
            return None;
        }
    };
    // The need plans with the start-up the watcher measured at its polls; the record
    // keeps the publisher's own, learned from its minute looks.
    let planned = stored.with_start_up(planned_start_up(&load.start_ups, stored.start_up, now));
    let need = Need::of(&target.goal(), &planned, &look);
    let minutes = match load.queue_counts {
        Ok(counts) => queue_minutes(&counts, now),
        Err(error) => {
            warnings.push(format!(
                "SQS's counts not read, rates not refreshed: {error}"
            ));
            Vec::new()
        }
    };
    Some((need, stored.observe(look, &minutes)))
}

/// A reading the target is published without when it fails: said as a warning.
fn optional<T, E: std::fmt::Display>(
    read: Result<Option<T>, E>,
    what: &str,
    warnings: &mut Vec<String>,
) -> Option<T> {
    read.unwrap_or_else(|error| {
        warnings.push(format!("{what} not published: {error}"));
        None
    })
}

fn decide_target(
    target: &Target,
    facts: Facts,
    fleet: &mut FleetTally,
    now: i64,
) -> (TargetReport, Vec<Datum>, Option<Rates>) {
    let mut report = TargetReport {
        name: target.name.clone(),
        ..TargetReport::default()
    };
    let warnings = &mut report.warnings;
    let no_datapoint = target.gpu.is_some() && matches!(facts.gpu, Ok(None));
    let gpu = optional(facts.gpu, "GPU metrics", warnings);
    if no_datapoint {
        warnings
            .push("no GPU datapoint in the look-back window: GPU metrics not published".to_owned());
    }
    let history = optional(facts.desired_history, "ScalingChanges", warnings);
    let oldest_age = optional(facts.oldest_age, "OldestMessageAge", warnings);
    match (facts.backlog, facts.tasks) {
        (Ok(backlog), Ok(tasks)) => {
            let learned = learn(
                target,
                Look::of(now, &backlog, &tasks),
                facts.load,
                now,
                &mut report.warnings,
            );
            let (need, rates) = learned.map_or((None, None), |(n, r)| (Some(n), Some(r)));
            let reading = Reading {
                backlog,
                tasks,
                gpu,
                oldest_age,
                scaling_changes: history.map(|h| scaling_changes(&h, tasks.desired)),
                need,
            };
            fleet.count_published(target, &reading);
            let datums = reading.datums(target);
            report.reading = Some(ReadingReport::of(&reading, datums.len()));
            (report, datums, rates)
        }
        (Err(error), _) | (_, Err(error)) => {
            fleet.count_failed();
            report.status = Status::Failed;
            report.retryable = error.kind.is_retryable();
            report.error = Some(error.to_string());
            (report, Vec::new(), None)
        }
    }
}
