//! What one invocation did, returned to the caller and logged: one line per target.

use serde::Serialize;
use sluice_aws::ErrorKind;
use sluice_core::facts::{GpuUtilization, QueueDepth, TaskCounts};
use sluice_core::metrics::FleetTally;
use sluice_core::metrics::Reading;
use sluice_core::outcome::{Outcome, Publish};

use super::PublishError;
use crate::settings::Settings;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub trigger: String,
    pub namespace: String,
    pub output: String,
    pub published_targets: usize,
    pub failed_targets: usize,
    pub datums: usize,
    pub put_metric_data_calls: usize,
    /// Published without dimensions, also when every target failed.
    pub fleet: FleetTally,
    pub targets: Vec<TargetReport>,
    /// Stored targets that do not parse or validate: skipped, named here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_targets: Vec<TargetReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub name: String,
    pub outcome: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading: Option<ReadingReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The kind of AWS failure that kept it from being published: whether it may pass
    /// by itself (`Retry::when_any_may_pass`).
    #[serde(skip)]
    pub failure: Option<ErrorKind>,
}

impl Default for TargetReport {
    fn default() -> Self {
        TargetReport {
            name: String::new(),
            outcome: Outcome::Done(Publish),
            reading: None,
            error: None,
            warnings: Vec::new(),
            failure: None,
        }
    }
}

/// What became of a target's metrics, in the one vocabulary (`sluice_core::outcome`).
pub type Status = Outcome<Publish>;

#[derive(Debug, Clone, Serialize)]
pub struct ReadingReport {
    #[serde(flatten)]
    pub depth: QueueDepth,
    pub backlog: u64,
    #[serde(flatten)]
    pub tasks: TaskCounts,
    pub backlog_per_task: f64,
    pub gpu: Option<GpuUtilization>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_message_age: Option<f64>,
    /// The tasks needed now, for a target under the load model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<sluice_core::capacity::Need>,
    pub metrics: usize,
}

impl ReadingReport {
    /// What the report says of a reading published as `metrics` data.
    pub fn of(reading: &Reading, metrics: usize) -> Self {
        ReadingReport {
            depth: reading.backlog.depth,
            backlog: reading.backlog(),
            tasks: reading.tasks,
            backlog_per_task: reading.backlog_per_task(),
            gpu: reading.gpu,
            oldest_message_age: reading.oldest_age,
            need: reading.need,
            metrics,
        }
    }
}

impl Summary {
    pub fn new(trigger: &str, settings: &Settings) -> Self {
        Summary {
            trigger: trigger.to_owned(),
            namespace: settings.common.namespace.clone(),
            output: settings.output.as_str().to_owned(),
            ..Summary::default()
        }
    }

    /// With each target's report (`targets`, then those whose configuration is
    /// invalid) and the fleet's tally: logs one line per target and counts; fails as
    /// a whole only when there was something to publish and nothing was.
    pub fn finish(
        mut self,
        targets: Vec<TargetReport>,
        invalid: Vec<TargetReport>,
        fleet: FleetTally,
    ) -> Result<Summary, PublishError> {
        self.targets = targets;
        self.invalid_targets = invalid;
        self.fleet = fleet;
        for report in &self.targets {
            match report.outcome {
                Outcome::Done(Publish) => {
                    tracing::info!(target_name = %report.name, reading = ?report.reading, warnings = ?report.warnings, "published")
                }
                _ => {
                    tracing::error!(target_name = %report.name, error = ?report.error, "target failed")
                }
            }
        }
        self.published_targets = self
            .targets
            .iter()
            .filter(|r| r.outcome == Outcome::Done(Publish))
            .count();
        self.failed_targets = self.targets.len() - self.published_targets;
        let anything_to_do = !self.targets.is_empty() || !self.invalid_targets.is_empty();
        if anything_to_do && self.published_targets == 0 {
            return Err(PublishError::NothingPublished(Box::new(self)));
        }
        Ok(self)
    }
}

pub fn summarise_failures(summary: &Summary) -> String {
    let failures: Vec<String> = summary
        .invalid_targets
        .iter()
        .chain(summary.targets.iter())
        .filter_map(|report| {
            report
                .error
                .as_ref()
                .map(|e| format!("{}: {e}", report.name))
        })
        .collect();
    failures.join("; ")
}
