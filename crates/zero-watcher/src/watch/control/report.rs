//! What a capacity look did to a target, and how it is told: one log event, and an
//! EMF count for a change (fleet-wide too).

use serde::Serialize;
use sluice_aws::AwsError;
use sluice_core::capacity::{Move, Need};
use sluice_core::config::Target;
use sluice_core::metrics::{Datum, Rollup, embedded_metric_line};
use sluice_core::names;

use super::super::Ports;
use crate::settings::Settings;

/// What a look did to a target's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlEffect {
    Raised,
    Lowered,
    /// Dry run: what would have been done.
    WouldRaise,
    WouldLower,
    Held,
    /// Nothing decided: a fact could not be read, or the service is not Sluice's to
    /// size now.
    Skipped,
    /// Decided, but ECS refused.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlReport {
    pub target: String,
    /// Which look of the invocation decided it (0: the first).
    pub pass: u32,
    pub effect: ControlEffect,
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
            effect: ControlEffect::Skipped,
            reason,
            need: None,
            decision: None,
            desired_before: None,
            desired_after: None,
            error: None,
        }
    }

    /// Every target left as it is, for one reason.
    pub fn all_skipped(targets: &[&Target], reason: &str) -> Vec<Self> {
        targets
            .iter()
            .map(|t| Self::skipped(t, 0, reason.to_owned()))
            .collect()
    }

    /// Nothing decided for want of a fact, the error kept.
    pub fn unread(target: &Target, error: AwsError) -> Self {
        let reason = format!("not decided: {error}");
        ControlReport {
            error: Some(error),
            ..Self::skipped(target, 0, reason)
        }
    }

    /// One log event, and an EMF count for a change (fleet-wide too).
    pub fn record(&self, settings: &Settings, ports: &Ports<'_>) {
        tracing::info!(
            target_name = %self.target,
            effect = ?self.effect,
            reason = %self.reason,
            desired_before = ?self.desired_before,
            desired_after = ?self.desired_after,
            pass = self.pass,
            "capacity"
        );
        let name = match self.effect {
            ControlEffect::Raised | ControlEffect::WouldRaise => names::WATCHER_RAISED,
            ControlEffect::Lowered | ControlEffect::WouldLower => names::WATCHER_LOWERED,
            ControlEffect::Failed => names::WATCHER_FAILED,
            ControlEffect::Held | ControlEffect::Skipped => return,
        };
        let datums = [Datum::count(&self.target, name, 1.0)];
        ports.emf.emit(&embedded_metric_line(
            &settings.common.namespace,
            ports.clock.now().saturating_mul(1000),
            &datums,
            Rollup::AlsoFleetWide,
        ));
    }
}

/// Each report logged and counted.
pub fn record_all(reports: &[ControlReport], settings: &Settings, ports: &Ports<'_>) {
    for report in reports {
        report.record(settings, ports);
    }
}
