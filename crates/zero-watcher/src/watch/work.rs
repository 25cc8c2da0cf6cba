//! Which targets an event concerns, and why: every watched target for a poll, the
//! targets that list a topic or an alarm for a push, the named one for a manual event.

use std::collections::BTreeSet;

use sluice_core::config::{ScaleToZero, Target};
use sluice_core::zero::Cause;
use sluice_lambda::envelope::{AlarmChange, Notification};

use super::request::{ManualAction, WatchRequest};

/// A target the watcher handles, with its scale-to-zero settings at hand.
#[derive(Debug, Clone, Copy)]
pub struct Watched<'t> {
    pub target: &'t Target,
    pub zero: &'t ScaleToZero,
}

impl<'t> Watched<'t> {
    /// The targets with `scale_to_zero`, in order.
    pub fn all(targets: &'t [Target]) -> Vec<Watched<'t>> {
        targets
            .iter()
            .filter_map(|target| {
                let zero = target.scale_to_zero.as_ref()?;
                Some(Watched { target, zero })
            })
            .collect()
    }

    pub fn name(&self) -> &'t str {
        &self.target.name
    }
}

/// One target to decide for, and why.
pub type Work<'t> = (Watched<'t>, Cause);

/// The work an event gives; parts of it that concern no target go to `skipped`.
/// `home` is the stack's account, where targets without `role_arn` are.
pub fn for_request<'t>(
    request: &WatchRequest,
    watched: &[Watched<'t>],
    home: Option<&str>,
    skipped: &mut Vec<String>,
) -> Vec<Work<'t>> {
    let work = match request {
        WatchRequest::Poll { .. } => watched.iter().map(|w| (*w, Cause::Poll)).collect(),
        WatchRequest::Sns(notifications) => from_sns(notifications, watched, skipped),
        WatchRequest::Alarm(alarm) if !alarm.is_alarm() => {
            skipped.push(format!(
                "alarm {} is {}: only ALARM wakes",
                alarm.name, alarm.state
            ));
            Vec::new()
        }
        WatchRequest::Alarm(alarm) => from_alarm(alarm, watched, home, skipped),
        WatchRequest::Manual { action, target } => {
            let cause = match action {
                ManualAction::Wake => Cause::Push("manual wake".to_owned()),
                ManualAction::Sleep => Cause::ManualSleep,
            };
            watched
                .iter()
                .filter(|w| w.name() == target)
                .map(|w| (*w, cause.clone()))
                .collect()
        }
    };
    for event in skipped.iter() {
        tracing::warn!(%event, "ignored");
    }
    work
}

/// The targets SNS notifications wake: those listing a topic notified, once each; an
/// alarm's notification only when it goes to ALARM.
fn from_sns<'t>(
    notifications: &[Notification],
    watched: &[Watched<'t>],
    skipped: &mut Vec<String>,
) -> Vec<Work<'t>> {
    // An alarm's notification through a topic wakes only when it goes to ALARM.
    for n in notifications {
        if let Some(alarm) = n.alarm.as_ref().filter(|a| !a.is_alarm()) {
            skipped.push(format!(
                "alarm {} is {} (through {}): only ALARM wakes",
                alarm.name, alarm.state, n.topic_arn
            ));
        }
    }
    let waking = notifications
        .iter()
        .filter(|n| n.alarm.as_ref().is_none_or(|a| a.is_alarm()));
    let topics: BTreeSet<&String> = waking.map(|n| &n.topic_arn).collect();
    let mut work: Vec<Work<'t>> = Vec::new();
    for topic in topics {
        let owners = listing(watched, |z| &z.topics, topic);
        if owners.is_empty() {
            skipped.push(format!(
                "SNS topic {topic}: no target lists it in scale_to_zero.topics"
            ));
        }
        for owner in owners {
            if !work.iter().any(|(w, _)| w.name() == owner.name()) {
                work.push((owner, Cause::Push(format!("SNS notification from {topic}"))));
            }
        }
    }
    work
}

/// The targets an alarm in ALARM wakes: those of its own account listing it.
fn from_alarm<'t>(
    alarm: &AlarmChange,
    watched: &[Watched<'t>],
    home: Option<&str>,
    skipped: &mut Vec<String>,
) -> Vec<Work<'t>> {
    let named = listing(watched, |z| &z.alarms, &alarm.name);
    let (owners, strangers): (Vec<_>, Vec<_>) = named
        .into_iter()
        .partition(|w| same_account(alarm.account.as_deref(), w, home));
    for stranger in &strangers {
        skipped.push(format!(
            "alarm {} is in account {}, not the account of {}: an alarm wakes the \
             targets of its own account only",
            alarm.name,
            alarm.account.as_deref().unwrap_or("?"),
            stranger.name()
        ));
    }
    if owners.is_empty() && strangers.is_empty() {
        skipped.push(format!(
            "alarm {}: no target lists it in scale_to_zero.alarms",
            alarm.name
        ));
    }
    let cause = Cause::Push(format!("alarm {} in ALARM", alarm.name));
    owners.into_iter().map(|w| (w, cause.clone())).collect()
}

/// Whether an alarm of `account` may be `watched`'s: alarm names are unique within an
/// account only. Either account unknown (an event without one, a local run without
/// `SLUICE_ACCOUNT_ID`) is not a mismatch.
fn same_account(account: Option<&str>, watched: &Watched<'_>, home: Option<&str>) -> bool {
    let place = watched.target.place();
    let theirs = place.account().or(home);
    match (account, theirs) {
        (Some(alarm), Some(target)) => alarm == target,
        _ => true,
    }
}

/// The watched targets whose `scale_to_zero` lists `name` (a topic, an alarm).
fn listing<'t>(
    watched: &[Watched<'t>],
    list: impl Fn(&ScaleToZero) -> &Vec<String>,
    name: &str,
) -> Vec<Watched<'t>> {
    watched
        .iter()
        .filter(|w| list(w.zero).iter().any(|listed| listed == name))
        .copied()
        .collect()
}
