//! What a capacity look did to a target, and how it is told: one log event, and an
//! EMF count for a change (fleet-wide too).

use serde::Serialize;
use sluice_aws::AwsError;
use sluice_core::capacity::{Move, Need};
use sluice_core::config::Target;
use sluice_core::metrics::Datum;
use sluice_core::names;
use sluice_core::outcome::{Outcome, Resize};

use super::super::Ports;
use super::super::report::emit_counts;
use crate::settings::Settings;

/// What a look did to a target's count, in the one vocabulary
/// (`sluice_core::outcome`).
pub type ControlEffect = Outcome<Resize>;

#[derive(Debug, Clone, Serialize)]
pub struct ControlReport {
    pub target: String,
    /// Which look of the invocation decided it (0: the first).
    pub pass: u32,
    pub outcome: ControlEffect,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<Need>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Move>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_before: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_after: Option<u32>,
    #[serde(skip)]
    pub error: Option<AwsError>,
}

impl ControlReport {
    pub fn skipped(target: &Target, pass: u32, reason: String) -> Self {
        ControlReport {
            target: target.name.clone(),
            pass,
            outcome: ControlEffect::Skipped,
            reason,
            need: None,
            decision: None,
            desired_before: None,
            desired_after: None,
            error: None,
        }
    }

    /// Every target left as it is: what they all need could not be read.
    pub fn all_unread(targets: &[&Target], error: &AwsError) -> Vec<Self> {
        targets
            .iter()
            .map(|t| Self::unread(t, error.clone()))
            .collect()
    }

    /// Nothing decided for want of a fact, the error kept.
    pub fn unread(target: &Target, error: AwsError) -> Self {
        let reason = format!("not decided, nothing changed: {error}");
        ControlReport {
            outcome: ControlEffect::Unread,
            error: Some(error),
            ..Self::skipped(target, 0, reason)
        }
    }

    /// Not decided for Sluice's own fault (deciding panicked).
    pub fn failed(target: &Target, pass: u32, reason: String) -> Self {
        ControlReport {
            outcome: ControlEffect::Failed,
            ..Self::skipped(target, pass, reason)
        }
    }

    /// One log event, and an EMF count for a change (fleet-wide too).
    pub fn record(&self, settings: &Settings, ports: &Ports<'_>) {
        tracing::info!(
            target_name = %self.target,
            pass = self.pass,
            outcome = %self.outcome,
            reason = %self.reason,
            desired_before = ?self.desired_before,
            desired_after = ?self.desired_after,
            "capacity"
        );
        let name = match self.outcome.act() {
            Some(Resize::Raise) => names::WATCHER_RAISED,
            Some(Resize::Lower) => names::WATCHER_LOWERED,
            None if self.outcome == Outcome::Failed => names::WATCHER_FAILED,
            None => return,
        };
        let datums = [Datum::count(&self.target, name, 1.0)];
        emit_counts(&datums, settings, ports);
    }
}

/// Each report logged and counted.
pub fn record_all(reports: &[ControlReport], settings: &Settings, ports: &Ports<'_>) {
    for report in reports {
        report.record(settings, ports);
    }
}
