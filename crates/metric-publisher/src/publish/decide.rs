//! From what was read to what is published: each target's reading and datums (the
//! rules live in sluice_core::metrics: `assemble`, then `Reading::datums`), its
//! report, and the fleet-wide counts.

use sluice_core::capacity::Rates;
use sluice_core::config::Target;
use sluice_core::metrics::{Datum, FleetTally, ScalingChangeLimit, assemble};
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
                outcome: Status::Skipped,
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
                    outcome: Status::Failed,
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

fn decide_target(
    target: &Target,
    facts: Facts,
    fleet: &mut FleetTally,
    now: i64,
) -> (TargetReport, Vec<Datum>, Option<Rates>) {
    let assembled = assemble(target, facts, now);
    let mut report = TargetReport {
        name: target.name.clone(),
        warnings: assembled.left.iter().map(ToString::to_string).collect(),
        ..TargetReport::default()
    };
    match assembled.reading {
        Ok(reading) => {
            fleet.count_published(target, &reading);
            let datums = reading.datums(target);
            report.reading = Some(ReadingReport::of(&reading, datums.len()));
            (report, datums, assembled.rates)
        }
        Err(error) => {
            fleet.count_failed();
            report.outcome = Status::Unread;
            report.failure = Some(error.kind);
            report.error = Some(error.to_string());
            (report, Vec::new(), None)
        }
    }
}
