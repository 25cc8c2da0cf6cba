//! One invocation of the watcher: work out which targets the event concerns, read
//! their facts, decide (sluice_core::zero), claim the transition in DynamoDB with a
//! conditional write, and only then change ECS. A failed read changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use serde::Serialize;
use serde_json::Value;
use sluice_aws::{
    AwsError, ConfigStore, EmfLog, ItemKind, MetricReader, QueueDepths, ScalableTargets,
    ServiceCounts, ServiceScaler, Versioned, WatchStates, ecs_resource_id, read_backlogs,
    read_task_counts,
};
use sluice_core::config::{ScaleToZero, Target};
use sluice_core::facts::MetricQuery;
use sluice_core::metrics::{Datum, Rollup, embedded_metric_line};
use sluice_core::names;
use sluice_core::zero::{Decision, Facts, Trigger, WatchState, decide, push_while_awake};

use crate::event::{self, BadEvent, ManualAction, WatchEvent};
use crate::settings::Settings;

/// Seconds since the epoch; injected so tests can move time.
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// The capabilities an invocation needs.
pub struct Ports<'a> {
    pub store: &'a dyn ConfigStore,
    pub states: &'a dyn WatchStates,
    pub queues: &'a dyn QueueDepths,
    pub services: &'a dyn ServiceCounts,
    pub scaler: &'a dyn ServiceScaler,
    pub autoscaling: &'a dyn ScalableTargets,
    pub metrics: &'a dyn MetricReader,
    pub emf: &'a dyn EmfLog,
    pub clock: &'a dyn Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    BadEvent(#[from] BadEvent),
    #[error("cannot read targets from table: {0}")]
    Store(AwsError),
    #[error("unknown target {name:?}; targets with scale_to_zero: {}", .known.join(", "))]
    UnknownTarget { name: String, known: Vec<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Woke,
    Slept,
    /// Dry run: what would have been done.
    WouldWake,
    WouldSleep,
    Stayed,
    /// Nothing decided: a fact could not be read, the target is paused, or another
    /// invocation holds the transition.
    Skipped,
    /// Decided and claimed, but ECS refused; the claim expires and a later look retries.
    Failed,
}

impl Outcome {
    fn metric_name(self) -> &'static str {
        match self {
            Outcome::Woke | Outcome::WouldWake => names::WATCHER_WOKE,
            Outcome::Slept | Outcome::WouldSleep => names::WATCHER_SLEPT,
            Outcome::Stayed => names::WATCHER_STAYED,
            Outcome::Skipped => names::WATCHER_SKIPPED,
            Outcome::Failed => names::WATCHER_FAILED,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionReport {
    pub target: String,
    pub outcome: Outcome,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_before: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_after: Option<u32>,
    /// Which look of a polling invocation decided it (0: the first).
    pub pass: u32,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub trigger: String,
    pub dry_run: bool,
    pub passes: u32,
    pub decisions: Vec<DecisionReport>,
    /// Parts of the event that concern no target, and why they were ignored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_events: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub invalid_targets: BTreeMap<String, String>,
}

/// How often one target is decided again after losing a conditional write.
const ATTEMPTS: usize = 3;

/// How old an observation may get before a "stay" refreshes it in the table.
const OBSERVATION_REFRESH_SECONDS: i64 = 60;

pub async fn watch(
    event: &Value,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Result<Report, WatchError> {
    let watch_event = event::parse(event)?;
    let items = ports
        .store
        .list(ItemKind::Target)
        .await
        .map_err(WatchError::Store)?;
    let mut report = Report {
        dry_run: settings.dry_run,
        ..Report::default()
    };
    let mut targets = Vec::new();
    for item in items {
        match Target::from_stored(&item.name, &item.spec) {
            Ok(target) if target.scale_to_zero.is_some() => targets.push(target),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(target_name = %item.name, %error, "skipping invalid stored target");
                report.invalid_targets.insert(item.name, error);
            }
        }
    }

    let mut work: Vec<(&Target, Trigger)> = Vec::new();
    match &watch_event {
        WatchEvent::Poll { trigger } => {
            report.trigger = (*trigger).to_owned();
            work.extend(targets.iter().map(|t| (t, Trigger::Poll)));
        }
        WatchEvent::Sns { topics } => {
            report.trigger = "sns".to_owned();
            let unique: BTreeSet<&String> = topics.iter().collect();
            for topic in unique {
                let owners = listing(&targets, |z| &z.topics, topic);
                if owners.is_empty() {
                    report.skipped_events.push(format!(
                        "SNS topic {topic}: no target lists it in scale_to_zero.topics"
                    ));
                }
                for owner in owners {
                    if !work.iter().any(|(t, _)| t.name == owner.name) {
                        work.push((
                            owner,
                            Trigger::Push(format!("SNS notification from {topic}")),
                        ));
                    }
                }
            }
        }
        WatchEvent::Alarm { name, state } => {
            report.trigger = "cloudwatch-alarm".to_owned();
            if state != "ALARM" {
                report
                    .skipped_events
                    .push(format!("alarm {name} is {state}: only ALARM wakes"));
            } else {
                let owners = listing(&targets, |z| &z.alarms, name);
                if owners.is_empty() {
                    report.skipped_events.push(format!(
                        "alarm {name}: no target lists it in scale_to_zero.alarms"
                    ));
                }
                work.extend(
                    owners
                        .into_iter()
                        .map(|t| (t, Trigger::Push(format!("alarm {name} in ALARM")))),
                );
            }
        }
        WatchEvent::Manual { action, target } => {
            report.trigger = "manual".to_owned();
            let Some(found) = targets.iter().find(|t| &t.name == target) else {
                return Err(WatchError::UnknownTarget {
                    name: target.clone(),
                    known: targets.iter().map(|t| t.name.clone()).collect(),
                });
            };
            let trigger = match action {
                ManualAction::Wake => Trigger::Push("manual wake".to_owned()),
                ManualAction::Sleep => Trigger::ManualSleep,
            };
            work.push((found, trigger));
        }
    }
    for skipped in &report.skipped_events {
        tracing::warn!(event = %skipped, "ignored");
    }

    report.decisions = evaluate(&work, 0, settings, ports).await;
    report.passes = 1;
    if matches!(watch_event, WatchEvent::Poll { .. }) {
        poll(&targets, &mut report, settings, ports).await;
    }
    Ok(report)
}

/// Never used: `watch` keeps only targets with scale_to_zero. Saves an unwrap.
static NOT_WATCHED: ScaleToZero = ScaleToZero {
    idle_minutes: u32::MAX,
    wake_tasks: 1,
    activation_backlog: u64::MAX,
    topics: Vec::new(),
    alarms: Vec::new(),
    metric: None,
};

fn zero(target: &Target) -> &ScaleToZero {
    target.scale_to_zero.as_ref().unwrap_or(&NOT_WATCHED)
}

/// The targets whose `scale_to_zero` lists `name` (a topic, an alarm) in `list`.
fn listing<'t>(
    targets: &'t [Target],
    list: impl Fn(&ScaleToZero) -> &Vec<String>,
    name: &str,
) -> Vec<&'t Target> {
    targets
        .iter()
        .filter(|t| list(zero(t)).iter().any(|listed| listed == name))
        .collect()
}

/// Keeps looking at sleeping targets every poll interval until the window closes, so
/// a message that arrives mid-minute wakes its service within seconds. Only a cheap
/// read (backlog, activation metric) is made per look; a full decision follows only
/// for targets that show activity.
///
/// Activation metrics are read at most once a minute: CloudWatch's standard
/// resolution gives nothing newer in between, and each read is a billed metric
/// request (docs/cost.md).
async fn poll(targets: &[Target], report: &mut Report, settings: &Settings, ports: &Ports<'_>) {
    let window = Duration::from_secs(settings.poll_window_seconds);
    let interval = Duration::from_secs(settings.poll_interval_seconds);
    let started = Instant::now();
    let mut metrics_read = started;
    let mut asleep: Vec<&Target> = targets
        .iter()
        .filter(|t| {
            report
                .decisions
                .iter()
                .any(|d| d.target == t.name && d.desired_after == Some(0))
        })
        .collect();
    let mut pass = 0;
    while !asleep.is_empty() && started.elapsed() + interval <= window {
        tokio::time::sleep(interval).await;
        pass += 1;
        report.passes += 1;
        let read_metrics = metrics_read.elapsed() >= ACTIVATION_METRIC_RESOLUTION;
        if read_metrics {
            metrics_read = Instant::now();
        }
        let active = active_targets(&asleep, read_metrics, settings, ports).await;
        if active.is_empty() {
            continue;
        }
        let work: Vec<(&Target, Trigger)> = active.iter().map(|t| (*t, Trigger::Poll)).collect();
        for decision in evaluate(&work, pass, settings, ports).await {
            if decision.desired_after != Some(0) {
                asleep.retain(|t| t.name != decision.target);
            }
            if decision.outcome != Outcome::Stayed {
                report.decisions.push(decision);
            }
        }
    }
}

const ACTIVATION_METRIC_RESOLUTION: Duration = Duration::from_secs(60);

/// Of these sleeping targets, those whose backlog (or, when `read_metrics`, whose
/// activation metric) shows work.
async fn active_targets<'t>(
    asleep: &[&'t Target],
    read_metrics: bool,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<&'t Target> {
    let queues: Vec<&[String]> = asleep.iter().map(|t| t.queues.as_slice()).collect();
    let (backlogs, metrics) = futures::join!(
        read_backlogs(ports.queues, &queues, settings.concurrency),
        async {
            if read_metrics {
                read_activation_metrics(asleep, ports).await
            } else {
                vec![Ok(false); asleep.len()]
            }
        },
    );
    asleep
        .iter()
        .zip(backlogs)
        .zip(metrics)
        .filter(|((target, backlog), metric)| {
            let busy =
                matches!(backlog, Ok(depth) if depth.backlog() > zero(target).activation_backlog);
            busy || matches!(metric, Ok(true))
        })
        .map(|((target, _), _)| *target)
        .collect()
}

/// Whether each target's activation metric is above its threshold (false without one).
async fn read_activation_metrics(
    targets: &[&Target],
    ports: &Ports<'_>,
) -> Vec<Result<bool, String>> {
    let configured: Vec<(usize, MetricQuery, f64)> = targets
        .iter()
        .enumerate()
        .filter_map(|(index, t)| {
            let metric = zero(t).metric.as_ref()?;
            Some((index, metric.query()?, metric.threshold))
        })
        .collect();
    let mut results = vec![Ok(false); targets.len()];
    if configured.is_empty() {
        return results;
    }
    let queries: Vec<MetricQuery> = configured.iter().map(|(_, q, _)| q.clone()).collect();
    match ports.metrics.latest(&queries, 5).await {
        Ok(values) => {
            for ((index, _, threshold), value) in configured.iter().zip(values) {
                results[*index] = Ok(value.is_some_and(|v| v > *threshold));
            }
        }
        Err(error) => {
            for (index, _, _) in &configured {
                results[*index] = Err(format!("activation metric: {error}"));
            }
        }
    }
    results
}

/// Decides for each (target, trigger), retrying targets whose conditional write lost
/// to another invocation with freshly read state.
async fn evaluate(
    work: &[(&Target, Trigger)],
    pass: u32,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<DecisionReport> {
    let mut reports: BTreeMap<String, DecisionReport> = BTreeMap::new();
    let mut pending: Vec<(&Target, Trigger)> = work.to_vec();
    for attempt in 1..=ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        let mut lost = Vec::new();
        for (target, trigger, result) in attempt_once(&pending, pass, settings, ports).await {
            match result {
                Some(report) => {
                    reports.insert(target.name.clone(), report);
                }
                None if attempt < ATTEMPTS => lost.push((target, trigger)),
                None => {
                    reports.insert(
                        target.name.clone(),
                        skipped(
                            target,
                            pass,
                            "state changed concurrently; another invocation decides".to_owned(),
                        ),
                    );
                }
            }
        }
        pending = lost;
    }
    let ordered: Vec<DecisionReport> = work
        .iter()
        .filter_map(|(target, _)| reports.remove(&target.name))
        .collect();
    for report in &ordered {
        record(report, settings, ports);
    }
    ordered
}

fn skipped(target: &Target, pass: u32, reason: String) -> DecisionReport {
    DecisionReport {
        target: target.name.clone(),
        outcome: Outcome::Skipped,
        reason,
        desired_before: None,
        desired_after: None,
        pass,
    }
}

/// One structured log event and one decision count (EMF) per decision.
fn record(report: &DecisionReport, settings: &Settings, ports: &Ports<'_>) {
    tracing::info!(
        target_name = %report.target,
        outcome = ?report.outcome,
        reason = %report.reason,
        desired_before = ?report.desired_before,
        desired_after = ?report.desired_after,
        pass = report.pass,
        dry_run = settings.dry_run,
        "decision"
    );
    // The fleet-wide series lets one alarm watch every target's WatcherFailed.
    let datum = Datum::count(&report.target, report.outcome.metric_name(), 1.0);
    ports.emf.emit(&embedded_metric_line(
        &settings.namespace,
        ports.clock.now() * 1000,
        &[datum],
        Rollup::AlsoFleetWide,
    ));
}

/// Reads, decides and acts once for each pending target. None for a target means its
/// conditional write lost: decide again with fresh state.
async fn attempt_once<'t>(
    pending: &[(&'t Target, Trigger)],
    pass: u32,
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<(&'t Target, Trigger, Option<DecisionReport>)> {
    let states = match ports.states.load_all().await {
        Ok(states) => states,
        Err(error) => {
            return pending
                .iter()
                .map(|(t, trigger)| {
                    (
                        *t,
                        trigger.clone(),
                        Some(skipped(
                            t,
                            pass,
                            format!("cannot read the watcher's state: {error}"),
                        )),
                    )
                })
                .collect();
        }
    };
    let now = ports.clock.now();
    let mut results = Vec::new();
    let mut needs_facts: Vec<(&Target, Trigger, Versioned<WatchState>)> = Vec::new();
    for (target, trigger) in pending {
        let stored = states.get(&target.name).copied().unwrap_or_default();
        if target.paused {
            results.push((
                *target,
                trigger.clone(),
                Some(skipped(target, pass, "paused".to_owned())),
            ));
            continue;
        }
        // A push to a service seen awake moments ago only resets its idle clock: a
        // burst of notifications costs no ECS call.
        if matches!(trigger, Trigger::Push(_))
            && let Some(outcome) = push_while_awake(&stored.value, now)
        {
            let desired = outcome.state.observed.map(|(d, _)| d);
            let report = conclude(target, &outcome.decision, desired, pass, settings.dry_run);
            let saved = if settings.dry_run || stored.value.last_activity == Some(now) {
                true
            } else {
                match ports
                    .states
                    .save(&target.name, &outcome.state, stored.version, &report.reason)
                    .await
                {
                    Ok(saved) => saved,
                    Err(error) => {
                        results.push((
                            *target,
                            trigger.clone(),
                            Some(skipped(
                                target,
                                pass,
                                format!("cannot record activity: {error}"),
                            )),
                        ));
                        continue;
                    }
                }
            };
            results.push((*target, trigger.clone(), saved.then_some(report)));
            continue;
        }
        needs_facts.push((*target, trigger.clone(), stored));
    }
    if needs_facts.is_empty() {
        return results;
    }

    let facts = read_facts(&needs_facts, settings, ports).await;
    for ((target, trigger, stored), facts) in needs_facts.into_iter().zip(facts) {
        let facts = match facts {
            Ok(facts) => facts,
            Err(reason) => {
                results.push((
                    target,
                    trigger,
                    Some(skipped(
                        target,
                        pass,
                        format!("not decided, nothing changed: {reason}"),
                    )),
                ));
                continue;
            }
        };
        let outcome = decide(zero(target), &facts, &stored.value, &trigger, now);
        let transition = outcome.decision.transition();
        let mut report = conclude(
            target,
            &outcome.decision,
            Some(facts.desired),
            pass,
            settings.dry_run,
        );
        if settings.dry_run {
            results.push((target, trigger, Some(report)));
            continue;
        }
        let changed = transition.is_some()
            || outcome.state.last_activity != stored.value.last_activity
            || outcome.state.observed.map(|(d, _)| d) != stored.value.observed.map(|(d, _)| d)
            || stored
                .value
                .observed
                .is_none_or(|(_, at)| now - at >= OBSERVATION_REFRESH_SECONDS);
        if changed {
            match ports
                .states
                .save(&target.name, &outcome.state, stored.version, &report.reason)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    results.push((target, trigger, None));
                    continue;
                }
                Err(error) => {
                    results.push((
                        target,
                        trigger,
                        Some(skipped(
                            target,
                            pass,
                            format!("cannot claim the decision: {error}"),
                        )),
                    ));
                    continue;
                }
            }
        }
        // The claim is ours: act. If ECS fails, the claim's lease runs out and a later
        // look retries.
        if let Some(desired) = report.desired_after
            && transition.is_some()
            && let Err(error) = ports
                .scaler
                .set_desired(&target.cluster, &target.service, desired)
                .await
        {
            report.outcome = Outcome::Failed;
            report.reason = format!("{}; but {error}", report.reason);
        }
        results.push((target, trigger, Some(report)));
    }
    results
}

fn conclude(
    target: &Target,
    decision: &Decision,
    desired: Option<u32>,
    pass: u32,
    dry_run: bool,
) -> DecisionReport {
    let (outcome, after) = match (decision, dry_run) {
        (Decision::Wake { to, .. }, false) => (Outcome::Woke, Some(*to)),
        (Decision::Wake { to, .. }, true) => (Outcome::WouldWake, Some(*to)),
        (Decision::Sleep { .. }, false) => (Outcome::Slept, Some(0)),
        (Decision::Sleep { .. }, true) => (Outcome::WouldSleep, Some(0)),
        (Decision::Stay { .. }, _) => (Outcome::Stayed, desired),
    };
    DecisionReport {
        target: target.name.clone(),
        outcome,
        reason: decision.reason().to_owned(),
        desired_before: desired,
        desired_after: after,
        pass,
    }
}

/// Everything each decision needs, read together: ECS counts (10 services a call),
/// AAS bounds (50 a call), backlogs and activation metrics. A target whose facts
/// cannot all be read gets Err: never decide on a guess.
async fn read_facts(
    work: &[(&Target, Trigger, Versioned<WatchState>)],
    settings: &Settings,
    ports: &Ports<'_>,
) -> Vec<Result<Facts, String>> {
    let services: Vec<(&str, &str)> = work
        .iter()
        .map(|(t, _, _)| (t.cluster.as_str(), t.service.as_str()))
        .collect();
    let resource_ids: Vec<String> = work
        .iter()
        .map(|(t, _, _)| ecs_resource_id(&t.cluster, &t.service))
        .collect();
    // A push is activity by itself: its backlog is not needed.
    let polled: Vec<&Target> = work
        .iter()
        .filter(|(_, trigger, _)| !matches!(trigger, Trigger::Push(_)))
        .map(|(t, _, _)| *t)
        .collect();
    let queues: Vec<&[String]> = polled.iter().map(|t| t.queues.as_slice()).collect();
    let (counts, bounds, backlogs, metrics) = futures::join!(
        read_task_counts(ports.services, &services, settings.concurrency),
        ports.autoscaling.bounds(&resource_ids),
        read_backlogs(ports.queues, &queues, settings.concurrency),
        read_activation_metrics(&polled, ports),
    );
    let mut polled_results = polled.iter().zip(backlogs.into_iter().zip(metrics));
    work.iter()
        .zip(counts)
        .zip(&resource_ids)
        .map(|(((target, trigger, _), counts), resource_id)| {
            let counts = counts
                .map_err(|e| format!("service {}/{}: {e}", target.cluster, target.service))?;
            let bounds = bounds
                .as_ref()
                .map_err(|e| e.to_string())?
                .get(resource_id)
                .copied();
            let (backlog, metric_active) = if matches!(trigger, Trigger::Push(_)) {
                (0, false)
            } else {
                let (_, (backlog, metric)) =
                    polled_results.next().ok_or("internal: backlog not read")?;
                (backlog?.backlog(), metric?)
            };
            Ok(Facts {
                desired: counts.desired,
                backlog,
                metric_active,
                bounds,
            })
        })
        .collect()
}
