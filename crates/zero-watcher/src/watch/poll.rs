//! After a scheduled poll's first look, keep looking at the sleeping targets every
//! poll interval until the window closes, so a message that arrives mid-minute wakes
//! its service within seconds. Only a cheap read (backlog, activation metric) is made
//! per look; a full decision follows only for targets that show activity, and for
//! targets whose wake's tasks are still starting (its start-up is measured to the
//! poll, `zero::wake_starting`).

use std::time::Duration;

use sluice_core::zero::Cause;
use tokio::time::Instant;

use sluice_lambda::per_place;

use super::control::{self, Known};
use super::report::{DecisionReport, Effect, Report};
use super::work::Watched;
use super::{Ports, evaluate, facts};
use crate::settings::Settings;

/// The controlled targets, and what the first look learnt of them.
pub struct Control<'k, 't> {
    pub targets: &'k [&'t sluice_core::config::Target],
    pub known: &'k mut Known,
}

/// Activation metrics are read at most this often: CloudWatch's standard resolution
/// gives nothing newer in between, and each read is a billed request (docs/cost.md).
const ACTIVATION_METRIC_RESOLUTION: Duration = Duration::from_secs(60);

/// Time kept between the last look and the invocation's deadline: one look's reads,
/// decision and write, with room to answer.
pub const LAST_LOOK_MARGIN: Duration = Duration::from_secs(3);

/// Looks again every interval while some target sleeps or some controlled target is
/// awake, until `until`.
pub async fn poll(
    watched: &[Watched<'_>],
    control: Control<'_, '_>,
    report: &mut Report,
    until: Instant,
    settings: &Settings,
    ports: &Ports<'_>,
) {
    let interval = Duration::from_secs(settings.poll_interval_seconds);
    let mut metrics_read = Instant::now();
    let mut asleep = decided(watched, report, |d| d.desired_after == Some(0));
    let mut waking = decided(watched, report, starting);
    let mut pass = 0;
    let awake = |known: &Known| control.targets.iter().any(|t| known.is_awake(&t.name));
    while (!asleep.is_empty() || !waking.is_empty() || awake(control.known))
        && Instant::now() + interval <= until
    {
        tokio::time::sleep(interval).await;
        pass += 1;
        report.passes += 1;
        let raised =
            control::poll_look(control.targets, control.known, pass, settings, ports).await;
        report.capacity.extend(raised);
        let given_back =
            control::due_looks(control.targets, control.known, pass, settings, ports).await;
        report.capacity.extend(given_back);
        let read_metrics = metrics_read.elapsed() >= ACTIVATION_METRIC_RESOLUTION;
        if read_metrics {
            metrics_read = Instant::now();
        }
        let active = if asleep.is_empty() {
            Vec::new()
        } else {
            active_everywhere(&asleep, read_metrics, settings, ports).await
        };
        let work: Vec<_> = active
            .iter()
            .chain(&waking)
            .map(|w| (*w, Cause::Poll))
            .collect();
        if work.is_empty() {
            continue;
        }
        for decision in evaluate::evaluate(&work, pass, settings, ports).await {
            if decision.desired_after != Some(0) {
                asleep.retain(|w| w.name() != decision.target);
            }
            waking.retain(|w| w.name() != decision.target);
            if starting(&decision) {
                waking.extend(watched.iter().find(|w| w.name() == decision.target));
            }
            if decision.outcome != Effect::Stayed || decision.start_latency_seconds.is_some() {
                report.decisions.push(decision);
            }
        }
    }
}

/// The watched targets the first look left as `which` says.
fn decided<'t>(
    watched: &[Watched<'t>],
    report: &Report,
    which: impl Fn(&DecisionReport) -> bool,
) -> Vec<Watched<'t>> {
    watched
        .iter()
        .filter(|w| {
            report
                .decisions
                .iter()
                .any(|d| d.target == w.name() && which(d))
        })
        .copied()
        .collect()
}

/// Whether a look left a wake's tasks starting, to be looked at again at the next poll
/// (not a dry run's wake: nothing starts).
fn starting(decision: &DecisionReport) -> bool {
    decision.starting && matches!(decision.outcome, Effect::Woke | Effect::Stayed)
}

/// [`facts::active`] for the sleeping targets of each account, with its clients; a
/// target whose account cannot be reached is not active here (the next scheduled
/// look decides it, and reports the failure).
async fn active_everywhere<'t>(
    asleep: &[Watched<'t>],
    read_metrics: bool,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Watched<'t>> {
    let active = per_place(
        asleep,
        |watched| watched.target,
        ports.accounts,
        async |account, mine| {
            let ports = ports.in_account(account);
            let active = facts::active(mine, read_metrics, settings, &ports).await;
            mine.iter()
                .map(|w| active.iter().any(|a| a.name() == w.name()))
                .collect()
        },
        |_, _| false,
    )
    .await;
    asleep
        .iter()
        .zip(active)
        .filter_map(|(watched, active)| active.then_some(*watched))
        .collect()
}
