//! From what was read to what is published: each target's reading and datums (the
//! rules live in sluice_core::metrics), its report, and the fleet-wide counts.

use sluice_core::config::Target;
use sluice_core::metrics::{Datum, FleetTally, Reading, ScalingChangeLimit, scaling_changes};
use sluice_lambda::Selection;

use super::read::Facts;
use super::report::{ReadingReport, Status, TargetReport};

/// The reports, and the datums to write: one group per target (empty when it failed;
/// one EMF line, or its share of the PutMetricData batches). The fleet-wide counts are
/// written after these, once it is known which were refused.
pub struct Decided {
    pub reports: Vec<TargetReport>,
    pub invalid: Vec<TargetReport>,
    pub fleet: FleetTally,
    pub datum_groups: Vec<Vec<Datum>>,
}

pub fn decide(selection: &Selection, facts: Vec<Facts>, limit: ScalingChangeLimit) -> Decided {
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
    for (target, facts) in selection.targets.iter().zip(facts) {
        let (report, datums) = decide_target(target, facts, &mut fleet);
        reports.push(report);
        datum_groups.push(datums);
    }
    Decided {
        reports,
        invalid,
        fleet,
        datum_groups,
    }
}

fn decide_target(
    target: &Target,
    facts: Facts,
    fleet: &mut FleetTally,
) -> (TargetReport, Vec<Datum>) {
    let mut report = TargetReport {
        name: target.name.clone(),
        ..TargetReport::default()
    };
    let gpu = match facts.gpu {
        Ok(gpu) => {
            if target.gpu.is_some() && gpu.is_none() {
                report.warnings.push(
                    "no GPU datapoint in the look-back window: GPU metrics not published"
                        .to_owned(),
                );
            }
            gpu
        }
        Err(error) => {
            report
                .warnings
                .push(format!("GPU metrics not published: {error}"));
            None
        }
    };
    let history = match facts.desired_history {
        Ok(history) => history,
        Err(error) => {
            report
                .warnings
                .push(format!("ScalingChanges not published: {error}"));
            None
        }
    };
    let oldest_age = facts.oldest_age.unwrap_or_else(|error| {
        report
            .warnings
            .push(format!("OldestMessageAge not published: {error}"));
        None
    });
    match (facts.backlog, facts.tasks) {
        (Ok(backlog), Ok(tasks)) => {
            let reading = Reading {
                backlog,
                tasks,
                gpu,
                oldest_age,
                scaling_changes: history.map(|h| scaling_changes(&h, tasks.desired)),
            };
            fleet.count_published(target, &reading);
            let datums = reading.datums(target);
            report.reading = Some(ReadingReport {
                depth: backlog.depth,
                backlog: reading.backlog(),
                tasks,
                backlog_per_task: reading.backlog_per_task(),
                gpu,
                oldest_message_age: oldest_age,
                metrics: datums.len(),
            });
            (report, datums)
        }
        (Err(error), _) | (_, Err(error)) => {
            fleet.count_failed();
            report.status = Status::Failed;
            report.retryable = error.kind.is_retryable();
            report.error = Some(error.to_string());
            (report, Vec::new())
        }
    }
}
