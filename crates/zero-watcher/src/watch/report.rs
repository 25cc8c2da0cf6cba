//! What the watcher did, per target and per invocation: returned to the caller, one
//! structured log event and one Embedded Metric Format count per decision.

use std::collections::BTreeMap;

use serde::Serialize;
use sluice_core::metrics::{Datum, Rollup, embedded_metric_line};
use sluice_core::names;
use sluice_core::outcome::{Outcome, Zero};
use sluice_core::zero::Decision;

use super::Ports;
use super::request::WatchRequest;
use super::work::Watched;
use crate::settings::Settings;

/// What one look did to a target's service, in the one vocabulary
/// (`sluice_core::outcome`).
pub type Effect = Outcome<Zero>;

/// The EMF count a decision adds to.
fn metric_name(outcome: Effect) -> &'static str {
    match outcome {
        Outcome::Done(Zero::Wake) | Outcome::Would(Zero::Wake) => names::WATCHER_WOKE,
        Outcome::Done(Zero::Sleep) | Outcome::Would(Zero::Sleep) => names::WATCHER_SLEPT,
        Outcome::Unchanged => names::WATCHER_STAYED,
        Outcome::Skipped | Outcome::Unread => names::WATCHER_SKIPPED,
        Outcome::Failed => names::WATCHER_FAILED,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionReport {
    pub target: String,
    pub outcome: Effect,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_before: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_after: Option<u32>,
    /// Which look of a polling invocation decided it (0: the first).
    pub pass: u32,
    /// What was wrong with the stored state and has been set aside (said once: the
    /// look's write replaces the record).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Looks in a row that decided nothing for this target.
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped_in_a_row: u32,
    /// A wake: seconds from the first moment the work could have been seen to the
    /// UpdateService (sluice_core::zero::wake_latency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wake_latency_seconds: Option<i64>,
    /// The look that first saw a task running after a wake: seconds since the wake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_latency_seconds: Option<i64>,
    /// The wake's tasks are not running after `start_timeout_minutes`
    /// (sluice_core::zero::start_overdue): published and alarmed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub start_overdue: bool,
    /// The wake's tasks are still starting (sluice_core::zero::wake_starting): the
    /// polls look again, to measure its start-up.
    #[serde(skip)]
    pub starting: bool,
    /// The service is awake and idle or busy: the polls watch for its idle wait to
    /// end (`zero::Polls`).
    #[serde(skip)]
    pub polls: Option<sluice_core::zero::Polls>,
    /// The AWS failure that kept it from being decided or carried out.
    #[serde(skip)]
    pub error: Option<sluice_aws::AwsError>,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub trigger: String,
    pub dry_run: bool,
    pub passes: u32,
    pub decisions: Vec<DecisionReport>,
    /// The capacity moves on the need (`control`), every look's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity: Vec<super::control::ControlReport>,
    /// Parts of the event that concern no target, and why they were ignored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_events: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub invalid_targets: BTreeMap<String, String>,
}

impl Report {
    pub fn new(
        request: &WatchRequest,
        settings: &Settings,
        invalid_targets: BTreeMap<String, String>,
    ) -> Self {
        Report {
            trigger: request.label().to_owned(),
            dry_run: settings.dry_run,
            invalid_targets,
            ..Report::default()
        }
    }
}

impl DecisionReport {
    /// Nothing decided, and why.
    /// Not decided or not carried out for a reason that is Sluice's own (a panic in
    /// the target's work): counted failed, so the alarm hears it.
    pub fn failed(watched: Watched<'_>, pass: u32, reason: String) -> Self {
        DecisionReport {
            outcome: Effect::Failed,
            ..DecisionReport::skipped(watched, pass, reason)
        }
    }

    pub fn skipped(watched: Watched<'_>, pass: u32, reason: String) -> Self {
        DecisionReport {
            target: watched.name().to_owned(),
            outcome: Effect::Skipped,
            reason,
            desired_before: None,
            desired_after: None,
            pass,
            notes: Vec::new(),
            skipped_in_a_row: 0,
            wake_latency_seconds: None,
            start_latency_seconds: None,
            start_overdue: false,
            starting: false,
            polls: None,
            error: None,
        }
    }

    /// Nothing decided, nothing changed: AWS did not answer a read or the claim.
    pub fn unread(watched: Watched<'_>, pass: u32, reason: String) -> Self {
        DecisionReport {
            outcome: Effect::Unread,
            ..DecisionReport::skipped(watched, pass, reason)
        }
    }

    /// What a decision does, given the desired count it was made on.
    pub fn of(
        watched: Watched<'_>,
        decision: &Decision,
        desired: Option<u32>,
        pass: u32,
        dry_run: bool,
    ) -> Self {
        let (outcome, after) = match (decision, dry_run) {
            (Decision::Wake { to, .. }, false) => (Effect::Done(Zero::Wake), Some(*to)),
            (Decision::Wake { to, .. }, true) => (Effect::Would(Zero::Wake), Some(*to)),
            (Decision::Sleep { .. }, false) => (Effect::Done(Zero::Sleep), Some(0)),
            (Decision::Sleep { .. }, true) => (Effect::Would(Zero::Sleep), Some(0)),
            (Decision::Stay { .. }, _) => (Effect::Unchanged, desired),
        };
        DecisionReport {
            outcome,
            desired_before: desired,
            desired_after: after,
            ..Self::skipped(watched, pass, decision.reason())
        }
    }

    /// The report, with the problems found in the stored state noted.
    pub fn noting(mut self, problems: &[String]) -> Self {
        self.notes.extend(problems.iter().cloned());
        self
    }

    /// One structured log event and one decision count (EMF) for this decision.
    pub fn record(&self, settings: &Settings, ports: &Ports<'_>) {
        tracing::info!(
            target_name = %self.target,
            outcome = %self.outcome,
            reason = %self.reason,
            desired_before = ?self.desired_before,
            desired_after = ?self.desired_after,
            wake_latency_seconds = ?self.wake_latency_seconds,
            start_latency_seconds = ?self.start_latency_seconds,
            pass = self.pass,
            dry_run = settings.dry_run,
            "decision"
        );
        // The fleet-wide series lets one alarm watch every target's WatcherFailed, and
        // the largest skip streak of any target.
        let mut datums = vec![Datum::count(&self.target, metric_name(self.outcome), 1.0)];
        let latencies = [
            (names::WAKE_LATENCY, self.wake_latency_seconds),
            (names::START_LATENCY, self.start_latency_seconds),
        ];
        for (name, seconds) in latencies {
            if let Some(seconds) = seconds {
                datums.push(Datum::seconds(&self.target, name, seconds as f64));
            }
        }
        if self.start_overdue {
            datums.push(Datum::count(&self.target, names::START_OVERDUE, 1.0));
        }
        if self.skipped_in_a_row > 0 {
            let streak = f64::from(self.skipped_in_a_row);
            datums.push(Datum::count(
                &self.target,
                names::WATCHER_SKIPPED_IN_A_ROW,
                streak,
            ));
        }
        emit_counts(&datums, settings, ports);
    }
}

/// The watcher's counts for one target, as one EMF line with a fleet-wide series of
/// each: one alarm watches every target's.
pub(super) fn emit_counts(datums: &[Datum], settings: &Settings, ports: &Ports<'_>) {
    ports.emf.emit(&embedded_metric_line(
        &settings.common.namespace,
        ports.clock.now().saturating_mul(1000),
        datums,
        Rollup::AlsoFleetWide,
    ));
}
